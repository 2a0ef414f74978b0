"""The battery backend: an INA219 (or its twin) polled in a worker thread, reported on the loop.

=====================  ==========================================================
path                   what is read
=====================  ==========================================================
``ina219:i2c:1:0x42``  a real INA219 through smbus2 (``/dev/i2c-1``)
``sim``, ``sim:FILE``  :class:`~borne.battery.twin.BatteryTwin`: the same driver
                       over an in-memory bus
=====================  ==========================================================

Which voltage is the battery's: on the Waveshare UPS HATs the current is
positive when the battery charges, so it flows from V+ to V- into the battery;
the battery sits on the V- side and the bus voltage (V- to ground) is its
terminal voltage. That is the voltage their sample code reads the level from.

The worker thread reads every ``poll_s`` seconds (or at once on
:meth:`Ina219Battery.poll_now`) and hands each reading, or each failure with its
stable code, to the sink on the event loop (``call_on_loop``). A failure closes
the bus; the next poll opens it again and programs the chip (it may have lost
power), so a board that comes back is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import BackendError
from ..readers.base import call_on_loop
from .ina219 import Ina219, Ina219Reading, Ina219Settings, translate_i2c_error
from .settings import BatteryPath, parse_battery_path
from .twin import BatteryTwin

__all__ = ["BatteryReading", "BatterySink", "Ina219Battery"]

log = logging.getLogger("borne.battery")


@dataclass(frozen=True)
class BatteryReading:
    """One reading of the pack."""

    voltage_mv: int
    #: Into the battery (negative: discharging); None when the chip's math overflowed.
    current_ma: float | None
    #: The poll this reading answers (see :meth:`Ina219Battery.poll_now`).
    ticket: int


class BatterySink(Protocol):
    """What the backend reports; every method runs on the event loop."""

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        """``available`` or ``error``, once per change."""

    def battery_reading(self, reading: BatteryReading) -> None:
        """A good reading."""

    def battery_failed(self, code: str, ticket: int) -> None:
        """A failed one, with its stable code (``battery_io_error``...)."""


class Ina219Battery:
    """Reads an INA219 (or the twin's) in one worker thread it owns."""

    device = "battery"

    def __init__(self, spec: BatteryPath, settings: Ina219Settings, *, poll_s: float = 10.0,
                 invert_current: bool = False, twin: BatteryTwin | None = None) -> None:
        self.spec = spec
        self.settings = settings
        self.poll_s = poll_s
        self._sign = -1 if invert_current else 1
        #: The twin, for the simulator and tests (None on a real board).
        self.twin = twin
        self._driver: Ina219 | None = None
        self._bus: Any = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._requested = 0
        self._thread: threading.Thread | None = None
        self._sink: BatterySink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reported: tuple[str, str | None] | None = None
        #: Seconds the last good poll took (bus transfers and conversion), for ``borne status``.
        self.last_poll_s: float | None = None

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> Ina219Battery:
        """The registry's constructor: the path, then ``[battery]``."""
        spec = parse_battery_path(scheme, argument)
        battery = config.battery
        settings = Ina219Settings(shunt_ohms=battery.shunt_ohms)
        twin = None
        if spec.scheme == "sim":
            twin = BatteryTwin(address=spec.address, shunt_ohms=battery.shunt_ohms,
                               cells=battery.cells, curve=battery.curve,
                               invert=battery.invert_current, file=spec.file)
        return cls(spec, settings, poll_s=battery.poll_s, invert_current=battery.invert_current,
                   twin=twin)

    def describe(self) -> dict[str, Any]:
        """What ``borne status`` and the registry's test see."""
        return {"device": self.device, "backend": self.spec.scheme, "path": self.spec.path,
                "where": self.spec.where()}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, sink: BatterySink, loop: asyncio.AbstractEventLoop) -> None:
        """Start polling; report to ``sink`` on ``loop``. Does not block."""
        self._sink, self._loop = sink, loop
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="battery", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop polling and close the bus; idempotent."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)
        self._close()

    def poll_now(self) -> int:
        """Read again now rather than at the next period; returns the poll's ticket."""
        with self._lock:
            self._requested += 1
            ticket = self._requested
        self._wake.set()
        return ticket

    # -- the worker thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            with self._lock:
                ticket = self._requested
            self._poll(ticket)
            self._wake.wait(self.poll_s)

    def _poll(self, ticket: int) -> None:
        if self.twin is not None:
            self.twin.follow_file()
        started = time.perf_counter()
        try:
            reading = self._read()
        except BackendError as error:
            self._close()
            self._state("error", error.message("en"))
            self._emit("battery_failed", error.code, ticket)
            return
        self.last_poll_s = time.perf_counter() - started
        self._state("available", self.spec.where())
        current = None if reading.current_ma is None else self._sign * reading.current_ma
        self._emit("battery_reading", BatteryReading(reading.bus_mv, current, ticket))

    def _read(self) -> Ina219Reading:
        opening = self._driver is None
        try:
            if self._driver is None:
                self._bus = self._open_bus()
                driver = Ina219(self._bus, self.spec.address, self.settings)
                driver.configure()
                self._driver = driver
            reading = self._driver.read()
            if reading.reprogrammed:
                log.warning("battery: %s had lost its calibration (reset by a load spike?): "
                            "programmed again", self.spec.where())
            if not reading.conversion_ready:
                time.sleep(self.settings.conversion_s)
                reading = self._driver.read()
        except (OSError, ImportError) as error:
            raise translate_i2c_error(error, self.spec.where(), opening=opening) from None
        if not reading.conversion_ready:  # twice a conversion's time, and still nothing
            raise BackendError(f"{self.spec.where()}: no conversion completes (CNVR stays 0)",
                               code="battery_io_error")
        return reading

    def _open_bus(self) -> Any:
        if self.twin is not None:
            return self.twin.bus
        from smbus2 import SMBus  # only here: `import borne` loads no hardware library

        return SMBus(self.spec.bus)

    def _close(self) -> None:
        bus, self._bus, self._driver = self._bus, None, None
        if bus is not None and self.twin is None:
            try:
                bus.close()
            except OSError:
                pass

    def _emit(self, method: str, *args: Any) -> None:
        call_on_loop(self._loop, getattr(self._sink, method), *args)

    def _state(self, state: str, detail: str | None) -> None:
        if self._reported != (state, detail):
            self._reported = (state, detail)
            self._emit("device_state", self.device, state, detail)
