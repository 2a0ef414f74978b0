"""Updates from a USB stick: a bundle at the top of a stick the box mounts is installed.

The image's root unit (``borne-usb-mount@.service``) mounts each stick read-only (``ro,nosuid,
nodev,noexec``) at ``[update] usb_dir``/<kernel name> (``/run/borne-usb/sda1``); the daemon
(user ``borne``) only reads there. Every ``interval_s`` (2 s: a scan of a directory of one or
two entries) :class:`UsbWatch` looks for a stick with a bundle it has not handled yet; a
stick is its directory's name *and* identity (device, inode): a stick pulled and plugged again
is handled again, and a stick without a bundle is looked into at each turn (the directory may
still be the empty mount point the unit makes before it mounts). On a stick:

=================================  ===========================================================
the stick's top level holds        what happens (the screen shows the events)
=================================  ===========================================================
no ``*.raucb``                     nothing: a stick of photos is not for the box (logged)
one ``*.raucb`` (a regular file)   ``UpdateService.install(..., origin="usb", actor="usb")``,
                                   **never** a downgrade: a vulnerable old version must not be
                                   re-installable by anyone with a stick; refusals are the
                                   service's ``update.refused`` (bad signature, downgrade...);
                                   once installed, the reboot is asked for, when idle
two or more                        none installed (which one was meant?): ``update.refused``
                                   ``update_usb_several``, "keep one bundle on the stick"
=================================  ===========================================================

Nothing is copied: RAUC reads the bundle where it is (the stick must stay in until the
install ends; pulled out, the install fails and the old system stays). Symbolic links are
never followed, neither a stick's directory that is one nor a ``*.raucb`` that is one: a link
could point anywhere on the box (another stick, ``/var/lib/borne``), and on a stick
(FAT) a bundle is never one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import UpdateRefused

__all__ = ["SEVERAL_CODE", "UsbWatch", "bundles_on"]

log = logging.getLogger("borne.update")

#: The refusal of a stick holding more than one bundle.
SEVERAL_CODE = "update_usb_several"
_SUFFIX = ".raucb"
#: Seconds between looks at an install under way, to ask for the reboot when it is done.
_INSTALL_POLL_S = 1.0


def bundles_on(stick: Path) -> list[Path]:
    """The regular ``*.raucb`` files at the top of ``stick`` (links and directories ignored)."""
    found = []
    try:
        with os.scandir(stick) as entries:
            for entry in entries:
                if entry.name.lower().endswith(_SUFFIX) and not entry.name.startswith(".") \
                        and entry.is_file(follow_symlinks=False):
                    found.append(Path(entry.path))
    except OSError as error:  # pulled out while read, or unreadable: as if nothing were there
        log.info("USB stick %s unreadable: %s", stick.name, error.strerror)
    return sorted(found)


class UsbWatch:
    """Looks in ``usb_dir`` for new sticks and installs the bundle one holds.

    ``service``: the :class:`~borne.update.service.UpdateService`; ``refused(code=...)``
    publishes a refusal that is the watch's own (several bundles) as the service publishes
    its own. A :class:`~borne.runtime.lifecycle.Service`.
    """

    def __init__(self, usb_dir: Path, service: Any, refused: Callable[..., None], *,
                 interval_s: float = 2.0) -> None:
        self.usb_dir = usb_dir
        self._service = service
        self._refused = refused
        self._interval_s = interval_s
        self._seen: set[tuple[str, int, int]] = set()
        self._empty: set[tuple[str, int, int]] = set()
        self._task: asyncio.Task[None] | None = None
        self._installs: set[asyncio.Task[None]] = set()

    @classmethod
    def for_box(cls, config: Any, service: Any, bus: Any) -> UsbWatch:
        """The daemon's watch: ``[update] usb_dir``, its refusals published on ``bus``."""
        from ..events import UpdateRefusedEvent

        return cls(Path(config.usb_dir), service,
                   lambda *, code: bus.publish(UpdateRefusedEvent(code=code, origin="usb")))

    async def start(self) -> None:
        """Look now (a stick plugged in before the box started counts), then every interval."""
        self._task = asyncio.create_task(self._run(), name="usb-watch")

    async def stop(self) -> None:
        """Stop looking (an install under way goes on in RAUC)."""
        for task in [self._task, *self._installs]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._installs]:
            if task is not None:
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        self._task = None
        self._installs.clear()

    async def _run(self) -> None:
        while True:
            try:
                await self.look()
            except Exception:  # never stop watching over one bad look
                log.exception("USB watch failed")
            await asyncio.sleep(self._interval_s)

    def _sticks(self) -> dict[tuple[str, int, int], Path]:
        """The sticks under ``usb_dir`` now, by (name, device, inode); links are not sticks."""
        sticks = {}
        try:
            with os.scandir(self.usb_dir) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        sticks[(entry.name, info.st_dev, info.st_ino)] = Path(entry.path)
        except (FileNotFoundError, NotADirectoryError):
            pass  # no stick mounted since boot: the unit makes the directory
        return sticks

    async def look(self) -> None:
        """Handle each stick with a bundle not handled yet; forget those gone (plugged again:
        handled again). A stick without one is looked into again each time (cheap: its top
        level), as its directory may still be the empty mount point the stick lands on."""
        sticks = self._sticks()
        self._seen &= set(sticks)
        self._empty &= set(sticks)
        for key, stick in sticks.items():
            if key in self._seen:
                continue
            bundles = await asyncio.to_thread(bundles_on, stick)
            if not bundles:
                if key not in self._empty:
                    self._empty.add(key)
                    log.info("USB stick %s: no update bundle at its top level", stick.name)
                continue
            self._seen.add(key)
            await self._handle(stick, bundles)

    async def _handle(self, stick: Path, bundles: list[Path]) -> None:
        if len(bundles) > 1:
            log.warning("USB stick %s holds %d bundles: none installed", stick.name, len(bundles))
            self._refused(code=SEVERAL_CODE)
            return
        log.info("USB stick %s: installing %s", stick.name, bundles[0].name)
        try:
            await self._service.install(bundles[0], origin="usb", actor="usb",
                                        allow_downgrade=False)
        except UpdateRefused as refused:  # the service published update.refused: on the screen
            log.warning("USB stick %s: bundle refused (%s)", stick.name, refused.code)
            return
        task = asyncio.create_task(self._reboot_when_installed())
        self._installs.add(task)
        task.add_done_callback(self._installs.discard)

    async def _reboot_when_installed(self) -> None:
        """Nobody at a workstation asks for the reboot: ask for it, when nothing holds it."""
        while self._service.snapshot().state == "installing":
            await asyncio.sleep(_INSTALL_POLL_S)
        if self._service.snapshot().state == "installed":
            await self._service.request_reboot(actor="usb", force=False)
