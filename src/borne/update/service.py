"""The daemon's update service: vet, install in the background, reboot when allowed, and
say after the next boot whether the new system was committed or rolled back.

One install at a time. :meth:`UpdateService.install` vets the bundle (RAUC checks its
signature; the box its compatible and version) and raises :class:`UpdateRefused`
before anything is written; then RAUC writes the other slot in the background
(``update.progress``), the pending record is kept on disk, ``update.installed`` is
published and the reboot is asked for as soon as the gate lets it
(:mod:`borne.update.reboot_gate`). After the reboot, :meth:`UpdateService.start`
compares the record with the booted slot and version: the new system is on trial until
``borne update commit`` marks it good and it becomes RAUC's primary, the slot every boot
starts (``update.committed``), or the box is back on the old one
(``update.rolled_back``); each is published once, then the record is removed.

Without RAUC (the simulator, a development machine) the state is ``unavailable`` and
every install is refused with ``update_unavailable``: nothing else changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..events import (UpdateAvailable, UpdateCommitted, UpdateInstalled, UpdateProgress,
                      UpdateRefusedEvent, UpdateRolledBack)
from ..runtime.boot_id import read_boot_id
from .errors import UpdateRefused
from .rauc import RaucClient, RaucError, primary_bootname
from .reboot_gate import RebootGate, request_reboot_file
from .release import read_release
from .settings import UpdateConfig
from .state import (BundleInfo, PendingRecord, UpdateStatus, forget_pending,
                    load_pending, save_pending)
from .vetting import install_error_code, vet_bundle

__all__ = ["UpdateRefused", "UpdateService", "UpdateStatus", "update_status"]

log = logging.getLogger("borne.update")

#: Seconds between looks at RAUC's progress, at the gate, at a trial slot's state.
POLL_S = 0.25
TRIAL_POLL_S = 2.0


class UpdateService:
    """Installs signed bundles through RAUC and reboots into them when no patient is there.

    ``gate`` says what holds a reboot; ``connect(address)`` builds the RAUC client
    (tests pass another); ``this_boot()`` names this boot (a pending record of the same
    boot means no reboot happened yet).
    """

    def __init__(self, config: UpdateConfig, *, bus: Any, data_dir: Path, runtime_dir: Path,
                 gate: RebootGate, connect: Callable[[str], RaucClient] = RaucClient,
                 this_boot: Callable[[], str] | None = None) -> None:
        self.config = config
        self._bus = bus
        self._runtime_dir = runtime_dir
        self._directory = data_dir / "update"  # the pending record's (the contract's)
        self._gate = gate
        self._connect = connect
        self._this_boot = this_boot or (lambda: read_boot_id())
        self._rauc: RaucClient | None = None
        self._state = "unavailable"
        # Read at once, not at start: the status the control socket gives while the other
        # parts start already names the running system.
        release = read_release(Path(config.release_file))
        self._version, self._compatible = release.version, release.compatible
        self._slot: str | None = None
        self._pending: PendingRecord | None = None
        self._progress = 0
        self._last_error: str | None = "update_unavailable"
        self._tasks: set[asyncio.Task[None]] = set()
        self._reboot_wanted = False
        self._reboot_task: asyncio.Task[None] | None = None

    @property
    def directory(self) -> Path:
        """Where the pending record lives: ``<data_dir>/update``."""
        return self._directory

    # -- start and stop -----------------------------------------------------------------------

    async def start(self) -> None:
        """Reach RAUC, read the booted slot, and judge the last install's boot."""
        if self.config.enabled == "off":
            return
        rauc = self._connect(self.config.dbus_address)
        try:
            await rauc.connect()
            if not await rauc.present():
                raise RaucError("absent", "RAUC is not on the bus")
            self._slot = str(await rauc.property("BootSlot")) or None
            self._compatible = str(await rauc.property("Compatible")) or self._compatible
        except RaucError as error:
            await rauc.close()
            level = logging.WARNING if self.config.enabled == "on" else logging.INFO
            log.log(level, "update: RAUC unavailable (%s)", error.text)
            return
        self._rauc = rauc
        self._state, self._last_error = "idle", None
        await self._judge_boot()

    async def stop(self) -> None:
        """Stop watching (an install RAUC runs goes on without us: it is RAUC's)."""
        for task in [*self._tasks, *([self._reboot_task] if self._reboot_task else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._rauc is not None:
            await self._rauc.close()
            self._rauc = None

    async def _judge_boot(self) -> None:
        """The pending record against this boot: still waiting, on trial, committed, or back."""
        pending = self._pending = load_pending(self._directory)
        if pending is None:
            return
        if pending.boot_id and pending.boot_id == self._this_boot():
            self._state = "installed"  # the daemon restarted; the box did not reboot yet
            self._want_reboot()
            return
        if self._slot is not None and self._slot == pending.to_slot \
                or self._version == pending.version:
            self._state = "trial"
            await self._check_trial()
            if self._state == "trial":
                self._spawn(self._watch_trial())
            return
        self._state = "rolled_back"
        self._bus.publish(UpdateRolledBack(version=pending.version, back_to=self._version))
        self._pending = None
        forget_pending(self._directory)

    async def _check_trial(self) -> None:
        """Committed once the booted slot is the one every boot starts: RAUC's primary
        (``borne update commit`` marked it good, and the bootloader made it the default;
        on trial, the primary is still the old slot)."""
        assert self._rauc is not None and self._pending is not None
        try:
            primary = await primary_bootname(self._rauc)
        except RaucError as error:
            log.warning("update: primary slot unreadable: %s", error.text)
            return
        if primary is not None and primary == self._slot:
            version = self._pending.version
            self._state, self._pending = "committed", None
            self._bus.publish(UpdateCommitted(version=version))
            forget_pending(self._directory)

    async def _watch_trial(self) -> None:
        while self._state == "trial":
            await asyncio.sleep(TRIAL_POLL_S)
            await self._check_trial()

    # -- what the API, the USB watcher and the box's commands call ----------------------------

    def snapshot(self) -> UpdateStatus:
        """Where updates stand now (the status body of ``/v1/status`` and ``GET /v1/update``)."""
        pending = self._pending.version if self._pending is not None else None
        held = self._gate.held_by() if self._reboot_wanted else []
        return UpdateStatus(state=self._state, system_version=self._version,  # type: ignore[arg-type]
                            booted_slot=self._slot, pending_version=pending,
                            progress=self._progress, reboot_held_by=held,
                            last_error=self._last_error)

    async def install(self, bundle: Path, *, origin: str, actor: str,
                      allow_downgrade: bool = False) -> BundleInfo:
        """Vet ``bundle`` and start installing it; see :class:`UpdateService`.

        Raises :class:`UpdateRefused` before anything is written: its code says why
        (``update_busy`` while an install or the reboot runs, and while the running system
        is on trial: the other slot is then the only one known to work).
        """
        try:
            if self._rauc is None:
                raise UpdateRefused("update_unavailable")
            if self._state in ("installing", "rebooting"):
                raise UpdateRefused("update_busy")
            if self._state == "trial":
                # The other slot is the old system, the only one known to work: never
                # overwritten before this one is committed (or rolled back).
                raise UpdateRefused("update_busy", "the running system is on trial")
            if "battery_low" in self._gate.held_by():
                raise UpdateRefused("update_battery_low")
            before, self._state = self._state, "installing"  # a second caller is busy now
            try:
                info = await vet_bundle(self._rauc, bundle, system_compatible=self._compatible,
                                        booted_version=self._version,
                                        allow_downgrade=allow_downgrade)
            except BaseException:
                self._state = before
                raise
        except UpdateRefused as refused:
            self._refused(refused, origin)
            raise
        log.info("update: %s %s from %s (%s) accepted", info.compatible, info.version, origin,
                 actor)
        self._progress, self._last_error = 0, None
        self._bus.publish(UpdateAvailable(version=info.version, origin=origin))
        self._spawn(self._install(bundle, info, origin=origin, actor=actor))
        return info

    def _refused(self, refused: UpdateRefused, origin: str) -> None:
        version = refused.details.get("version")
        log.warning("update from %s refused: %s", origin, refused.message("en"))
        if refused.code != "update_busy":
            self._last_error = refused.code
        self._bus.publish(UpdateRefusedEvent(code=refused.code, origin=origin,
                                             **({"version": version} if version else {})))

    async def _install(self, bundle: Path, info: BundleInfo, *, origin: str, actor: str) -> None:
        assert self._rauc is not None
        rauc = self._rauc
        try:
            done = rauc.expect_completed()
            installer = await rauc.owner()
            await rauc.install(str(bundle))
            self._publish_progress(0)
            while not done.done():
                await asyncio.wait([done], timeout=POLL_S)
                if done.done():
                    break
                if await rauc.owner() != installer:  # RAUC died mid-install
                    raise RaucError("restarted", "RAUC stopped during the install")
                percent, _message = await rauc.progress()
                self._publish_progress(percent)
            result = done.result()
            error = "" if result == 0 else str(await rauc.property("LastError"))
        except RaucError as failure:
            result, error = -1, failure.text
        if result != 0:
            code = install_error_code(error)
            log.error("update %s failed: %s", info.version, error)
            self._state, self._last_error = "failed", code
            self._bus.publish(UpdateRefusedEvent(code=code, origin=origin, version=info.version))
            return
        self._publish_progress(100)
        to_slot = await self._target_slot(rauc)
        record = PendingRecord(version=info.version, from_version=self._version,
                               from_slot=self._slot, to_slot=to_slot, origin=origin,
                               actor=actor, boot_id=self._this_boot())
        try:
            save_pending(self._directory, record)
        except OSError as oops:  # the install is done; only the report after the boot is lost
            log.error("update: pending record not kept: %s", oops)
        self._pending, self._state = record, "installed"
        self._bus.publish(UpdateInstalled(version=info.version))
        self._want_reboot()

    async def _target_slot(self, rauc: RaucClient) -> str | None:
        """The boot name of the slot the next boot tries (RAUC's primary, after an install)."""
        try:
            return await primary_bootname(rauc)
        except RaucError:
            return None

    def _publish_progress(self, percent: int) -> None:
        percent = max(0, min(100, int(percent)))
        if percent != self._progress or percent == 0:
            self._progress = percent
            self._bus.publish(UpdateProgress(percent=percent, step="installing"))

    # -- the reboot ---------------------------------------------------------------------------

    async def request_reboot(self, *, actor: str, force: bool = False) -> UpdateStatus:
        """Reboot into the installed system once nothing holds it (at once with ``force``,
        an admin's choice). Returns the status: ``reboot_held_by`` says what waits.
        Raises :class:`UpdateRefused` ``update_busy`` while an install is under way."""
        if self._rauc is None:
            raise UpdateRefused("update_unavailable")
        if self._state == "installing":  # a reboot now would only throw the install away
            raise UpdateRefused("update_busy", "an install is under way")
        log.info("update: reboot asked by %s%s", actor, " (forced)" if force else "")
        if force:
            self._reboot_now(f"forced by {actor}")
        else:
            self._want_reboot()
            await asyncio.sleep(0)
        return self.snapshot()

    def _want_reboot(self) -> None:
        self._reboot_wanted = True
        if self._reboot_task is None or self._reboot_task.done():
            self._reboot_task = asyncio.get_running_loop().create_task(self._reboot_when_free())

    async def _reboot_when_free(self) -> None:
        while self._reboot_wanted and self._state != "rebooting":
            if not self._gate.held_by():
                self._reboot_now("nothing holds it")
                return
            await asyncio.sleep(POLL_S)

    def _reboot_now(self, reason: str) -> None:
        request_reboot_file(self._runtime_dir, f"update: {reason}")
        self._reboot_wanted = False
        if self._state in ("installed", "idle", "failed", "committed", "rolled_back"):
            self._state = "rebooting"
        self._bus.publish(UpdateProgress(percent=100, step="rebooting"))

    def _spawn(self, awaitable: Any) -> None:
        task = asyncio.get_running_loop().create_task(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def update_status(service: UpdateService | None) -> UpdateStatus:
    """``service``'s status; ``unavailable`` when there is no service at all."""
    if service is not None:
        return service.snapshot()
    return UpdateStatus(state="unavailable", system_version=None, booted_slot=None,
                        pending_version=None, progress=0, reboot_held_by=[],
                        last_error="update_unavailable")
