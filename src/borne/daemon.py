"""The daemon: built from its services, run until told to stop.

Everything is passed in, nothing global: tests and the simulator build a
:class:`Daemon` from a :class:`~borne.config.Config` exactly like ``borne serve``.

Start-up enters each part on one :class:`~contextlib.AsyncExitStack`
(:func:`borne.runtime.lifecycle.enter`), so shutdown runs in the reverse order by
construction. The order, and why:

1. the data partition's watch and the control socket;
2. the API's services (CA, workstations, audit, pairing; not listening yet) and the
   offline journal, which seals for those workstations: it stops after the readers, so
   a read under way at shutdown is still committed;
3. the card readers, then the presentation inputs (QR camera, scanner, NFC);
4. the API server, then the APDU channel's leases (they end before the server closes),
   then the USB reader, a client of those leases;
5. the mDNS announcement (its goodbyes go out while the API still answers) and the clock
   watch;
6. the screen and the battery, then the updates (RAUC): the screen is up to show what
   the last update's boot came to, and a reboot waits for the gate, whatever is running.

A part that fails degrades its device (``device.state``), never the daemon.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from .ccid.service import UsbReaderService
from .network.service import NetworkService
from .config import Config
from .control.commands import daemon_commands
from .control.server import ControlServer
from .core import Core
from .daemon_parts import start_battery, start_display, start_journal, start_mdns
from .errors import BorneError
from .events import DaemonStarted, DaemonStopping, EventBus, ModeChanged, PairingOpened
from .readers.base import Pausable
from .readers.capture import ScanPolicy
from .registry import load_backend
from .runtime.clock import Clock
from .runtime.clock_watch import ClockWatch
from .runtime.last_known_time import FILE_NAME as LAST_KNOWN_FILE
from .runtime.last_known_time import LastKnownTime
from .runtime.lifecycle import enter
from .runtime.logs import event_logger
from .runtime.mode import MODES, ModeStore
from .runtime.storage_watch import StorageWatch

if TYPE_CHECKING:
    from .api.context import ApiContext
    from .api.server import ApiServer
    from .apcv.service import ApcvService
    from .battery.service import BatteryService
    from .display.service import DisplayService
    from .journal.service import JournalService
    from .mdns.announcer import MdnsAnnouncer
    from .readers.base import SmartcardBackend
    from .readers.capture import InputBackend
    from .secure_channel.pairing import PairingWindow
    from .update.service import UpdateService

__all__ = ["Daemon"]

log = logging.getLogger("borne.daemon")

#: The presentation inputs, in the order they start.
INPUT_KINDS = ("camera", "scanner", "nfc")


class Daemon:
    """The running box: event bus, core state, reader backends, services, control socket."""

    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        from .apcv.service import ApcvService

        self.config = config
        self.clock = clock or Clock()
        self.bus = EventBus(self.clock)
        self._mode_store = ModeStore(Path(config.daemon.data_dir), config.daemon.mode)
        self.core = Core(self.bus, self.clock, mode=config.daemon.mode,
                         card_grace_s=config.daemon.card_grace_s, language=config.daemon.language)
        self.bus.add_listener(event_logger(logging.getLogger("borne.events")))
        self.apcv: ApcvService = ApcvService(self.bus, self.clock, self.core, config.apcv)
        self.core.capture_sink = self.apcv
        #: The smart-card backends (PC/SC), once started.
        self.backends: list[SmartcardBackend] = []
        #: Presentation inputs by kind ("camera", "scanner", "nfc"), when configured.
        self.inputs: dict[str, InputBackend] = {}
        self.display: DisplayService | None = None
        self.battery: BatteryService | None = None
        self.api: ApiServer | None = None
        self.api_context: ApiContext | None = None
        #: The API's DNS-SD announcement.
        self.mdns: MdnsAnnouncer | None = None
        #: The latest wall time the box has known, across reboots: ``POST /v1/clock``'s floor.
        self.last_known = LastKnownTime(Path(config.daemon.data_dir) / LAST_KNOWN_FILE)
        #: NTP's ``clock.set`` events; raises and keeps the last known time.
        self.clock_watch = ClockWatch(self.clock, self.bus, last_known=self.last_known)
        #: The offline journal, when enabled.
        self.journal: JournalService | None = None
        #: Signed updates through RAUC (``unavailable`` without it: the simulator).
        self.updates: UpdateService = self._build_updates()
        #: The box as a USB CCID reader (``[usb]``), its Wi-Fi joined by a code (``[network]``).
        self.usb = UsbReaderService(config.usb, core=self.core, bus=self.bus)
        self.network = NetworkService(config.network, bus=self.bus, clock=self.clock, core=self.core)
        self.apcv.wifi_sink = self.network.code_shown
        self.control = ControlServer(config.control_socket, daemon_commands(self),
                                     group=config.control.group, language=config.daemon.language)
        #: Whether the data partition still takes writes; the API refuses reads when not.
        self.storage = StorageWatch(self.core, Path(config.daemon.data_dir), config.health)
        self._stack: AsyncExitStack | None = None
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()
        self.ready_after_s: float | None = None

    def _build_updates(self) -> UpdateService:
        from .update.reboot_gate import RebootGate
        from .update.service import UpdateService

        gate = RebootGate(self.core, apcv=lambda: self.apcv,
                          apdu=lambda: self.api_context.apdu if self.api_context else None)
        return UpdateService(self.config.update, bus=self.bus,
                             data_dir=Path(self.config.daemon.data_dir),
                             runtime_dir=Path(self.config.daemon.runtime_dir), gate=gate)

    def report_config_problem(self, problem: BorneError) -> None:
        """The config file was refused and the daemon runs on defaults: say so everywhere.

        ``core.config_problem`` is read by the health checks (``/v1/status``,
        ``borne doctor``); the ``config`` device's error puts it on the screen.
        """
        self.core.config_problem = problem
        self.core.device_state("config", "error", problem.message("en"))

    # -- start and stop -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every part in order (see the module docstring); returns once the readers
        are enumerated."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        stack = self._stack = AsyncExitStack()
        try:
            await self._start_storage(stack)
            self.core.mode = self._mode_store.initial()
            self.last_known.load(self.clock.monotonic())
            self.clock_watch.remember()
            await enter(stack, self.control)
            stack.callback(self.apcv.close)
            self._build_api()
            self.journal = await start_journal(
                stack, self.config, bus=self.bus, clock=self.clock, core=self.core,
                api_context=self.api_context, apcv=self.apcv, storage=self.storage)
            await self._start_smartcard(stack, loop)
            for kind in INPUT_KINDS:
                self._start_input(stack, kind, loop)
            await self._start_api_server(stack)
            if self.api_context is not None:  # the USB host is a client of the APDU channel
                self.usb.apdu = self.api_context.apdu
                self.network.audit = self.api_context.audit  # who confirmed a Wi-Fi join
            await enter(stack, self.usb)  # never fails: its state says what went wrong
            await enter(stack, self.network)  # never fails: without NetworkManager, "unavailable"
            self.mdns = await start_mdns(stack, self.config, core=self.core,
                                         port=self.api.port if self.api else None,
                                         api_context=self.api_context)
            await enter(stack, self.clock_watch)
            self.display = await start_display(
                stack, self.config, bus=self.bus, clock=self.clock, core=self.core,
                api_context=self.api_context, journal=self.journal, network=self.network,
                on_long_press=self._long_press, on_pin_confirm=self._pin_confirmed)
            self.battery = await start_battery(stack, self.config, bus=self.bus, core=self.core,
                                               journal=lambda: self.journal)
            await enter(stack, self.updates)  # never fails: without RAUC, "unavailable"
            if self.updates.snapshot().state != "unavailable":  # USB sticks: where RAUC is
                from .update.usb_watch import UsbWatch

                await enter(stack, UsbWatch.for_box(self.config.update, self.updates, self.bus))
        except BaseException:
            self._stack = None
            await stack.aclose()
            raise
        # Let the observations queued by the backends land in the state first.
        await asyncio.sleep(0)
        self.ready_after_s = time.monotonic() - started
        self.bus.publish(DaemonStarted(ready_after_s=round(self.ready_after_s, 4)))
        self.ready.set()

    async def stop(self) -> None:
        """Stop every part, in the reverse order of start-up (idempotent)."""
        self.bus.publish(DaemonStopping())
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
        self.backends.clear()
        self.inputs.clear()
        self.display = self.battery = self.api = self.mdns = self.journal = None

    async def _start_storage(self, stack: AsyncExitStack) -> None:
        """Create the data directory (0700) and watch it; a failure degrades storage only."""
        path = Path(self.config.daemon.data_dir)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            log.warning("data directory %s unusable: %s", path, error.strerror)
            self.core.device_state("storage", "error", f"{path}: {error.strerror}")
        else:
            await enter(stack, self.storage)  # writable? room left? (and again every few seconds)

    async def _start_smartcard(self, stack: AsyncExitStack, loop: asyncio.AbstractEventLoop) -> None:
        try:
            backend = load_backend("smartcard", self.config.readers.smartcard, self.config)
        except BorneError as error:
            # A missing device degrades, never kills: report it and run on.
            self.core.device_state("pcsc", "error", error.message("en"))
            return
        backend.start(self.core, loop)
        stack.push_async_callback(backend.stop)
        self.backends.append(backend)
        await backend.wait_ready(5.0)

    def _start_input(self, stack: AsyncExitStack, kind: str, loop: asyncio.AbstractEventLoop) -> None:
        """Start a presentation input (QR camera, USB scanner, NFC); a failure degrades it."""
        path = getattr(self.config.readers, kind)
        if path == "none":
            return
        try:
            backend = load_backend(kind, path, self.config)
            self.inputs[kind] = backend
            self._apply_mode()  # before it starts: a mobile box's camera must not scan at once
            backend.start(self.apcv, loop)
        except BorneError as error:
            self.inputs.pop(kind, None)
            self.core.device_state(kind, "error", error.message("en"))
        else:
            stack.push_async_callback(backend.stop)

    def _build_api(self) -> None:
        """The API's services and server, not listening yet; a failure degrades ``api``."""
        if not self.config.api.enabled:
            return
        from .api.service import build_api

        try:
            self.api, self.api_context = build_api(
                self.config, self.core, self.bus, self.clock, self.apcv, self.scan,
                self.pause_reads, storage=self.storage, set_mode=self.set_mode,
                ask_person=self._ask_person)
        except (BorneError, OSError) as error:
            self._api_failed(error)
            return
        self.api_context.last_known = self.last_known
        self.api_context.updates = self.updates
        self.api_context.usb, self.api_context.network = self.usb, self.network

    async def _start_api_server(self, stack: AsyncExitStack) -> None:
        """Listen (a busy port degrades ``api``, never the readers); leases end before it closes."""
        if self.api is None:
            return
        try:
            if self.api_context is not None and self.api_context.refusals is not None:
                await enter(stack, self.api_context.refusals)  # its last summary: after the server
            await enter(stack, self.api)
        except (BorneError, OSError) as error:
            self._api_failed(error)
            return
        self.core.device_state("api", "available", f"port {self.api.port}")
        if self.api_context is not None and self.api_context.apdu is not None:
            # Leases end, channels close, cards are unpowered: before the server goes.
            stack.push_async_callback(self.api_context.apdu.stop)

    def _api_failed(self, error: BorneError | OSError) -> None:
        detail = error.message("en") if isinstance(error, BorneError) else str(error)
        log.error("API not started: %s", detail)
        self.core.device_state("api", "error", detail)
        self.api = None

    # -- what the parts ask of the daemon -------------------------------------------------------

    def open_pairing(self, *, admin: bool = False) -> PairingWindow:
        """Open the pairing window (control socket or the button's long press).

        The code goes to the screen and to the caller, never into an event.
        """
        if self.api_context is None:
            raise BorneError("the API is not running", code="api_unavailable")
        window = self.api_context.pairing.open()
        self.api_context.pairing_admin = admin
        expires_in = round(window.expires_mono - self.clock.monotonic())
        self.bus.publish(PairingOpened(expires_in_s=expires_in))
        if self.display is not None:
            self.display.show_pairing(window.code, window.expires_mono)
        return window

    def _ask_person(self, slot_id: str, until: float) -> None:
        """A PIN's last try waits for the button: the screen says so (without a screen and a
        button, that try is never spent through the APDU channel)."""
        if self.display is not None:
            self.display.show_pin_request(slot_id, until)

    def _pin_confirmed(self, slot_id: str) -> None:
        """The button pressed while the screen asked: one PIN command of that slot may go."""
        if self.api_context is not None and self.api_context.apdu is not None:
            self.api_context.apdu.confirm_pin(slot_id)

    def _long_press(self) -> None:
        """The pairing button held down: open the window (never an admin workstation)."""
        try:
            self.open_pairing()
        except BorneError as error:
            log.warning("pairing button: %s", error.message("en"))

    def set_mode(self, mode: str) -> None:
        """Switch to ``counter`` or ``mobile`` now, and for the next starts.

        Raises :class:`BorneError` ``mode_unknown`` for anything else.
        """
        if mode not in MODES:
            raise BorneError(f"unknown mode {mode[:20]!r}", code="mode_unknown")
        changed = mode != self.core.mode
        self.core.mode = mode
        self._mode_store.save(mode)
        self._apply_mode()
        if changed:
            self.bus.publish(ModeChanged(mode=mode))

    def _apply_mode(self) -> None:
        """What the mode changes in the inputs: a mobile box's camera scans only when asked."""
        camera = self.inputs.get("camera")
        if isinstance(camera, ScanPolicy):
            policy = "on_demand" if self.core.mode == "mobile" else self.config.camera.scan
            camera.set_scan_policy(policy)

    def scan(self, on: bool = True) -> bool:
        """Ask the camera to scan (on-demand mode) or stop; False without a camera."""
        camera = self.inputs.get("camera")
        if camera is not None:
            camera.set_scanning(on)
        return camera is not None

    def pause_reads(self, slot_id: str, paused: bool) -> None:
        """Stop (or resume) the box's own reads of a slot: it is leased through the APDU channel."""
        for backend in self.backends:
            if isinstance(backend, Pausable):
                backend.set_paused(slot_id, paused)

    # -- running under systemd ------------------------------------------------------------------

    def request_stop(self) -> None:
        """Ask :meth:`run` to return (signal handlers call this)."""
        self._stop.set()

    def crashed(self) -> str | None:
        """Why a part the box cannot work without has died, or None (for the watchdog)."""
        for backend in self.backends:
            problem = backend.crashed()
            if problem is not None:
                return problem
        return None

    async def run(self) -> None:
        """Start, tell systemd (READY=1, then the watchdog), wait for SIGTERM/SIGINT, stop."""
        from .runtime.systemd_notify import Notifier, Watchdog, watchdog_period_s

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        notifier = Notifier()
        await self.start()
        log.info("ready in %.3f s, control socket %s", self.ready_after_s, self.control.path)
        notifier.send(ready=1, status=f"ready in {self.ready_after_s:.3f} s", mainpid=os.getpid())
        period = watchdog_period_s()
        watchdog = Watchdog(notifier, period, self.crashed) if period else None
        if watchdog is not None:
            watchdog.start()
        try:
            await self._stop.wait()
        finally:
            notifier.send(stopping=1)
            if watchdog is not None:
                watchdog.stop()
            await self.stop()

