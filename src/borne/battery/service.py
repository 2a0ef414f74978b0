"""The battery, followed on the event loop: events, state, warnings, and the power-off at the end.

:class:`BatteryService` is the sink of the battery backend. Each reading goes
through :class:`~borne.battery.monitor.BatteryMonitor`; what a person would
notice (level, charging, ok/low/critical/unknown) is published as
``battery.state`` when it changes, kept in ``core.battery`` (``GET /v1/status``)
and the backend's health in ``core.devices["battery"]``. The screen follows the
events (``display/state.py``): a "Batterie faible" message when the level
becomes low, "Batterie vide / Arrêt" once it is critical.

At ``critical`` (confirmed over several readings, not charging) the box:

1. has already published ``battery.state`` critical (the screen shows it);
2. calls its shutdown hook: the offline journal's ``flush()``, when there is one;
3. leaves the message on screen for ``poweroff_delay_s``;
4. creates ``<runtime_dir>/poweroff-request`` (:mod:`borne.battery.poweroff`),
   on which root's ``borne-poweroff.path`` powers the box off.

Plugging the charger in before step 4 cancels it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import BorneError
from ..events import BatteryState
from .backend import BatteryReading
from .monitor import BatteryMonitor, BatteryStatus, Thresholds
from .poweroff import request_poweroff

__all__ = ["BatteryService", "Flushable", "build_battery", "journal_flush_hook"]

log = logging.getLogger("borne.battery")


class BatteryService:
    """Follows one battery backend; see the module's docstring."""

    def __init__(self, config: Any, backend: Any, *, bus: Any, core: Any, runtime_dir: Path,
                 on_critical: Callable[[], Any] | None = None) -> None:
        self._config = config
        self.backend = backend
        self._bus = bus
        self._core = core
        self._runtime_dir = Path(runtime_dir)
        self._on_critical = on_critical
        self._monitor = BatteryMonitor(Thresholds.from_config(config))
        #: The battery as last read.
        self.status = BatteryStatus()
        self._published: BatteryStatus | None = None
        self._served = 0
        self._news = asyncio.Event()
        self._shutdown: asyncio.Task[None] | None = None
        #: The request file, once the power-off was asked for.
        self.poweroff_requested: Path | None = None
        #: The stable code of the last failed reading (None after a good one).
        self.last_error: str | None = None

    @property
    def twin(self) -> Any:
        """The backend's twin (``borne sim battery`` drives it); None on a real board."""
        return getattr(self.backend, "twin", None)

    async def start(self) -> None:
        """Start reading (the backend's worker thread reports here, on the running loop)."""
        self._core.battery = self.status.to_dict()
        self.backend.start(self, asyncio.get_running_loop())

    async def stop(self) -> None:
        """Stop reading; a power-off not yet asked for is not asked for."""
        if self._shutdown is not None and not self._shutdown.done():
            self._shutdown.cancel()
        await self.backend.stop()

    async def poll_now(self, timeout: float = 5.0) -> BatteryStatus:
        """Read now, and return the status once that reading (or its failure) arrived."""
        ticket = self.backend.poll_now()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._served < ticket and loop.time() < deadline:
            self._news.clear()
            try:
                await asyncio.wait_for(self._news.wait(), deadline - loop.time())
            except asyncio.TimeoutError:
                break
        return self.status

    # -- the backend's sink (on the event loop) ----------------------------------------------

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        """The backend's health: ``core.devices["battery"]``."""
        self._core.device_state(device, state, detail)

    def battery_reading(self, reading: BatteryReading) -> None:
        """A good reading."""
        self.last_error = None
        self._update(self._monitor.reading(reading.voltage_mv, reading.current_ma), reading.ticket)

    def battery_failed(self, code: str, ticket: int) -> None:
        """A failed reading: the level is unknown until enough good ones come again."""
        self.last_error = code
        self._update(self._monitor.failed(), ticket)

    # -- inside ------------------------------------------------------------------------------

    def _update(self, status: BatteryStatus, ticket: int) -> None:
        previous, self.status = self.status, status
        self._served = max(self._served, ticket)
        self._core.battery = status.to_dict()
        if not status.same_news(self._published):
            self._published = status
            self._bus.publish(BatteryState(percent=status.percent, charging=status.charging,
                                           state=status.state, voltage_mv=status.voltage_mv))
            if status.state != previous.state and status.state in ("low", "critical"):
                log.warning("battery %s: %s %% (%s mV)", status.state, status.percent,
                            status.voltage_mv)
        if status.state == "critical" and self._shutdown is None \
                and self.poweroff_requested is None:
            self._shutdown = asyncio.get_running_loop().create_task(self._shut_down())
        elif status.charging and self._shutdown is not None and not self._shutdown.done():
            self._shutdown.cancel()
            self._shutdown = None
            log.warning("battery: charging again, power-off cancelled")
        self._news.set()

    async def _shut_down(self) -> None:
        status = self.status
        log.warning("battery critical (%s %%): flushing, power-off in %.0f s", status.percent,
                    self._config.poweroff_delay_s)
        if self._on_critical is not None:
            try:
                result = self._on_critical()
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a failing flush must not keep the box from stopping cleanly
                log.exception("battery critical: the shutdown hook failed")
        await asyncio.sleep(self._config.poweroff_delay_s)  # "Batterie vide / Arrêt" stays
        reason = f"battery critical: {status.percent} % ({status.voltage_mv} mV)"
        try:
            self.poweroff_requested = await asyncio.to_thread(request_poweroff,
                                                              self._runtime_dir, reason)
        except OSError as error:
            log.error("battery critical: cannot ask for a power-off in %s: %s",
                      self._runtime_dir, error)
            return
        log.warning("battery critical: power-off asked for (%s)", self.poweroff_requested)


class Flushable(Protocol):
    """What the power-off waits for: the offline journal's ``flush()``, plain or ``async``."""

    def flush(self) -> Any:
        """Return (or resolve) once every read announced so far is committed."""


def journal_flush_hook(journal: Callable[[], Flushable | None]) -> Callable[[], Any]:
    """The shutdown hook: flush the offline journal, if there is one when it runs.

    ``journal()`` gives the journal at that moment (it is another service's, started
    after the battery may be built, and absent when disabled).
    """

    async def flush() -> None:
        current = journal()
        if current is None:
            return
        result = current.flush()
        if inspect.isawaitable(result):
            await result
        log.info("battery critical: offline journal flushed")

    return flush


def build_battery(config: Any, *, bus: Any, core: Any,
                  on_critical: Callable[[], Any] | None = None) -> BatteryService | None:
    """The daemon's battery service, not started (None without a battery).

    A battery backend that cannot be built degrades to ``battery: error``, never
    the daemon.
    """
    from ..registry import load_backend

    if config.battery.device == "none":
        return None
    try:
        backend = load_backend("battery", config.battery.device, config)
    except BorneError as error:
        core.device_state("battery", "error", error.message("en"))
        return None
    return BatteryService(config.battery, backend, bus=bus, core=core,
                          runtime_dir=Path(config.daemon.runtime_dir), on_critical=on_critical)
