"""The daemon: built from its services, run until told to stop.

Everything is passed in, nothing global: tests and the simulator build a
:class:`Daemon` from a :class:`~borne.config.Config` exactly like ``borne serve``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from .runtime.clock import Clock
from .runtime.clock_watch import ClockWatch
from .config import Config
from .control.server import ControlServer, Peer
from .core import Core
from .errors import BorneError
from .events import DaemonStarted, DaemonStopping, EventBus, ModeChanged, PairingOpened
from .runtime.logs import event_logger
from .registry import load_backend

__all__ = ["Daemon"]

log = logging.getLogger("borne.daemon")


class Daemon:
    """The running box: event bus, core state, reader backends, control socket."""

    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.bus = EventBus(self.clock)
        from .runtime.mode import ModeStore

        self._mode_store = ModeStore(Path(config.daemon.data_dir), config.daemon.mode)
        self.core = Core(self.bus, self.clock, mode=config.daemon.mode,
                         card_grace_s=config.daemon.card_grace_s, language=config.daemon.language)
        self.bus.add_listener(event_logger(logging.getLogger("borne.events")))
        self.backends: list[Any] = []
        from .apcv.service import ApcvService

        self.apcv = ApcvService(self.bus, self.clock, self.core, config.apcv)
        self.core.capture_sink = self.apcv
        #: Presentation inputs by kind ("camera", "scanner", "nfc"), when configured.
        self.inputs: dict[str, Any] = {}
        #: The screen (borne.display.service.DisplayService), when configured.
        self.display: Any = None
        #: The battery (borne.battery.service.BatteryService), when configured.
        self.battery: Any = None
        self.api: Any = None
        self.api_context: Any = None
        #: The API's DNS-SD announcement (borne.mdns.announcer), and NTP's clock.set events.
        self.mdns: Any = None
        self.clock_watch = ClockWatch(self.clock, self.bus)
        #: The offline journal (borne.journal.service.JournalService), when enabled.
        self.journal: Any = None
        self.control = ControlServer(config.control_socket, self._control_handlers(),
                                     group=config.control.group, language=config.daemon.language)
        from .runtime.storage_watch import StorageWatch

        #: Whether the data partition still takes writes; the API refuses reads when not.
        self.storage = StorageWatch(self.core, Path(config.daemon.data_dir), config.health)
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()
        self.ready_after_s: float | None = None

    def report_config_problem(self, problem: BorneError) -> None:
        """The config file was refused and the daemon runs on defaults: say so everywhere.

        ``core.config_problem`` is read by the health checks (``/v1/status``,
        ``borne doctor``); the ``config`` device's error puts it on the screen.
        """
        self.core.config_problem = problem
        self.core.device_state("config", "error", problem.message("en"))

    def _control_handlers(self) -> dict[str, Any]:
        async def status(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            # The control socket is physical presence: the operator sees the cards' content.
            return self.core.snapshot(identity=True)

        async def ping(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            return {"pong": True, "last_event_seq": self.bus.last_seq}

        async def events(peer: Peer, args: dict[str, Any]) -> list[dict[str, Any]]:
            after = int(args.get("after", 0))
            return [event.to_dict() for event in self.bus.history(after)]

        def api_context() -> Any:
            if self.api_context is None:
                raise BorneError("the API is not running", code="api_unavailable")
            return self.api_context

        async def pair_open(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            # Physical presence: whoever can use this socket may open pairing.
            window = self.open_pairing(admin=bool(args.get("admin", False)))
            return {"code": window.code, "expires_in_s": round(window.expires_mono
                                                               - self.clock.monotonic())}

        async def pair_close(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            api_context().pairing.close()
            return {"closed": True}

        async def clients(peer: Peer, args: dict[str, Any]) -> list[dict[str, Any]]:
            return [record.to_dict() for record in api_context().clients.list()]

        async def revoke(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            client_id = str(args.get("client_id", ""))
            closed = api_context().revoke(client_id)
            if closed is None:
                raise BorneError(client_id, code="client_unknown")
            return {"client_id": client_id, "streams_closed": closed}

        async def scan(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            on = bool(args.get("on", True))
            return {"camera": self.scan(on), "scanning": on}

        async def mode(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
            if args.get("mode") is not None:
                self.set_mode(str(args["mode"]))
            return {"mode": self.core.mode}

        return {"status": status, "ping": ping, "events": events, "pair_open": pair_open,
                "pair_close": pair_close, "clients": clients, "revoke": revoke, "scan": scan,
                "mode": mode}

    async def start(self) -> None:
        """Start every service; returns once the readers are enumerated."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        self._prepare_data_dir()
        self.core.mode = self._mode_store.initial()
        await self.control.start()
        try:
            backend = load_backend("smartcard", self.config.readers.smartcard, self.config)
        except BorneError as error:
            # A missing device degrades, never kills: report it and run on.
            self.core.device_state("pcsc", "error", error.message("en"))
        else:
            backend.start(self.core, loop)
            self.backends.append(backend)
            await backend.wait_ready(5.0)
        for kind in ("camera", "scanner", "nfc"):
            self._start_input(kind, loop)
        if self.config.api.enabled:
            await self._start_api()
        self._start_mdns()
        self.clock_watch.start()
        await self._start_journal()
        await self._start_display()
        from .battery.service import start_battery

        self.battery = start_battery(self, loop)  # a failure degrades "battery", never the daemon
        # Let the observations queued by the backends land in the state first.
        await asyncio.sleep(0)
        self.ready_after_s = time.monotonic() - started
        self.bus.publish(DaemonStarted(ready_after_s=round(self.ready_after_s, 4)))
        self.ready.set()

    def _start_input(self, kind: str, loop: asyncio.AbstractEventLoop) -> None:
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

    def open_pairing(self, *, admin: bool = False) -> Any:
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

    def _long_press(self) -> None:
        """The pairing button held down: open the window (never an admin workstation)."""
        try:
            self.open_pairing()
        except BorneError as error:
            log.warning("pairing button: %s", error.message("en"))

    async def _start_display(self) -> None:
        """Start the screen (and the GPIO panel); a failure degrades them, never the daemon."""
        from .display.service import DisplayService

        if self.config.display.device == "none" and self.config.panel.pins == "none":
            return
        device = panel = None
        try:
            if self.config.display.device != "none":
                device = load_backend("display", self.config.display.device, self.config)
        except BorneError as error:
            self.core.device_state("display", "error", error.message("en"))
        if device is None:
            return
        if self.config.panel.pins != "none":
            from .display.panel import Panel

            panel = Panel(self.config.panel)  # never raises: it says what is missing
            if panel.error is not None:
                self.core.device_state("panel", "error", panel.error.message("en"))
        pairing = (self.api_context.pairing.current if self.api_context is not None else None)
        self.display = DisplayService(self.config, self.bus, self.clock, device, core=self.core,
                                      panel=panel, language=self.config.daemon.language,
                                      on_long_press=self._long_press,
                                      device_state=self.core.device_state,
                                      pairing_current=pairing,
                                      reads_waiting=getattr(self.journal, "waiting", 0))
        await self.display.start()

    def set_mode(self, mode: str) -> None:
        """Switch to ``counter`` or ``mobile`` now, and for the next starts.

        Raises :class:`BorneError` ``mode_unknown`` for anything else.
        """
        from .runtime.mode import MODES

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
        if camera is not None and hasattr(camera, "set_scan_policy"):
            policy = "on_demand" if self.core.mode == "mobile" else self.config.camera.scan
            camera.set_scan_policy(policy)

    def scan(self, on: bool = True) -> bool:
        """Ask the camera to scan (on-demand mode) or stop; False without a camera."""
        camera = self.inputs.get("camera")
        if camera is None:
            return False
        camera.set_scanning(on)
        return True

    async def _start_api(self) -> None:
        """Start the HTTPS API; a failure degrades ``api``, never the readers."""
        from .api.service import build_api

        try:
            self.api, self.api_context = build_api(self.config, self.core, self.bus, self.clock,
                                                   self.apcv, self.scan, self.pause_reads,
                                                   storage=self.storage, set_mode=self.set_mode)
            await self.api.start()
        except (BorneError, OSError) as error:
            detail = error.message("en") if isinstance(error, BorneError) else str(error)
            log.error("API not started: %s", detail)
            self.core.device_state("api", "error", detail)
            self.api = None
        else:
            self.core.device_state("api", "available", f"port {self.api.port}")

    async def _start_journal(self) -> None:
        """The offline journal, sealing for the API's paired workstations (docs/journal.md)."""
        if not self.config.journal.enabled or self.api_context is None:
            return
        from .journal.service import JournalService

        self.journal = JournalService(
            self.config.journal, data_dir=Path(self.config.daemon.data_dir), bus=self.bus,
            clock=self.clock, core=self.core, clients=self.api_context.clients, apcv=self.apcv,
            storage=self.storage)
        await self.journal.start()  # a file it cannot open degrades the "journal" device
        self.api_context.journal = self.journal

    def _start_mdns(self) -> None:
        """Announce the API (DNS-SD); in the background, and a failure only degrades ``mdns``."""
        if self.api is None or not self.config.mdns.enabled:
            return
        from .mdns.announcer import MdnsAnnouncer

        self.mdns = MdnsAnnouncer(self.config.mdns, port=self.api.port,
                                  api_host=self.config.api.host,
                                  ca_sha256=self.api_context.ca.fingerprint_sha256,
                                  device_state=self.core.device_state)
        self.mdns.start()

    def pause_reads(self, slot_id: str, paused: bool) -> None:
        """Stop (or resume) the box's own reads of a slot: it is leased through the APDU channel."""
        for backend in self.backends:
            set_paused = getattr(backend, "set_paused", None)
            if set_paused is not None:
                set_paused(slot_id, paused)

    def _prepare_data_dir(self) -> None:
        """Create the data directory (0700); a failure degrades storage, not the daemon."""
        path = Path(self.config.daemon.data_dir)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            log.warning("data directory %s unusable: %s", path, error.strerror)
            self.core.device_state("storage", "error", f"{path}: {error.strerror}")
        else:
            self.storage.start()  # writable? room left? (and again every few seconds)

    async def stop(self) -> None:
        """Stop every service (idempotent)."""
        self.bus.publish(DaemonStopping())
        if self.battery is not None:
            await self.battery.stop()
            self.battery = None
        if self.display is not None:
            await self.display.stop()
            self.display = None
        await self.clock_watch.stop()
        if self.mdns is not None:
            await self.mdns.stop()  # the goodbyes go out while the API still answers
            self.mdns = None
        if self.api_context is not None and self.api_context.apdu is not None:
            await self.api_context.apdu.stop()  # leases end, channels close, cards unpowered
        if self.api is not None:
            await self.api.stop()
            self.api = None
        for backend in [*self.backends, *self.inputs.values()]:
            await backend.stop()
        self.backends.clear()
        self.inputs.clear()
        if self.journal is not None:
            await self.journal.stop()  # the reads under way are committed first
            self.journal = None
        self.apcv.close()
        self.storage.stop()
        await self.control.stop()

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
