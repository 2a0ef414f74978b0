"""The ``[battery]`` section and the battery's device path, checked without touching a bus.

===========================  ==========================================================
path                         backend
===========================  ==========================================================
``ina219:i2c:BUS:ADDR``      an INA219 at ``ADDR`` (0x40..0x4F) on ``/dev/i2c-BUS``
                             (Waveshare UPS HAT: ``ina219:i2c:1:0x42``; HAT (C): ``0x43``)
``sim``                      the twin: an emulated INA219 on an in-memory I2C bus,
                             driven by ``borne sim battery``
``sim:FILE``                 the twin, following ``FILE`` (JSON ``{"percent": 50,
                             "charging": false}``, read again when it changes)
``none``                     no battery (a counter box on mains)
===========================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


from ..errors import ConfigError, UnknownBackend
from ..registry import parse_path
from ..section import Section
from .ina219 import Ina219Settings

__all__ = ["BatteryConfig", "BatteryPath", "parse_battery_path"]

#: The INA219's addresses: A0 and A1 each tied to GND, VS+, SDA or SCL (datasheet, Table 1).
_INA219_ADDRESSES = range(0x40, 0x50)
#: Where the twin sits on its in-memory bus: the Waveshare UPS HAT's address.
SIM_ADDRESS = 0x42


@dataclass(frozen=True)
class BatteryPath:
    """A battery path, parsed."""

    #: ``ina219`` or ``sim``.
    scheme: str
    bus: int | None
    address: int
    #: The file the ``sim:FILE`` twin follows.
    file: str | None = None

    @property
    def path(self) -> str:
        """The canonical path string."""
        if self.scheme == "sim":
            return f"sim:{self.file}" if self.file else "sim"
        return f"ina219:i2c:{self.bus}:0x{self.address:02x}"

    def where(self) -> str:
        """Words for error details: ``INA219 at 0x42 on /dev/i2c-1``."""
        if self.scheme == "sim":
            return f"simulated INA219 at 0x{self.address:02X}"
        return f"INA219 at 0x{self.address:02X} on /dev/i2c-{self.bus}"


def parse_battery_path(scheme: str, argument: str | None) -> BatteryPath:
    """Parse ``ina219:i2c:BUS:ADDR``, ``sim`` or ``sim:FILE`` (pure; no bus opened)."""
    path = f"{scheme}:{argument}" if argument else scheme
    if scheme == "sim":
        return BatteryPath("sim", None, SIM_ADDRESS, argument or None)
    if scheme != "ina219":
        raise UnknownBackend(f"battery path {path!r}: unknown scheme {scheme!r}")
    parts = (argument or "").split(":")
    if len(parts) != 3 or parts[0].lower() != "i2c":
        raise UnknownBackend(f"battery path {path!r}: expected ina219:i2c:BUS:ADDRESS, "
                             "e.g. ina219:i2c:1:0x42")
    try:
        bus, address = int(parts[1], 0), int(parts[2], 0)
    except ValueError:
        raise UnknownBackend(f"battery path {path!r}: bus and address are numbers") from None
    if bus < 0:
        raise UnknownBackend(f"battery path {path!r}: negative bus number")
    if address not in _INA219_ADDRESSES:
        raise UnknownBackend(f"battery path {path!r}: an INA219 answers at 0x40..0x4F, "
                             f"not 0x{address:X}")
    return BatteryPath("ina219", bus, address)


class BatteryConfig(Section):
    """The battery of a mobile box: a UPS board read over I2C (see :mod:`borne.battery`).

    ``device`` is ``ina219:i2c:BUS:ADDR`` (an INA219 current monitor, as on the
    Waveshare UPS HATs: ``ina219:i2c:1:0x42``), the twin ``sim`` (or ``sim:FILE``,
    whose JSON ``{"percent": 50, "charging": false}`` the twin follows), or ``none``.
    The level is read from the pack's voltage (``cells`` in series, ``curve``);
    a level is *entered* only when ``confirm_readings`` readings in a row are at or
    under it, so a load spike never powers the box off; charging cancels.
    """

    device: str = "none"
    #: The INA219's shunt resistor (ohms): 0.1 on the Waveshare UPS HATs.
    shunt_ohms: float = 0.1
    #: Li-ion cells in series: 2 on the Waveshare UPS HAT (2 x 18650), 1 on its HAT (C).
    cells: int = 2
    #: ``li-ion``: a cell's open-circuit voltage table (borne.battery.curve); ``linear``:
    #: 3.0 V = 0 %, 4.2 V = 100 % per cell, as the boards' sample code does.
    curve: Literal["li-ion", "linear"] = "li-ion"
    #: At or under these levels (%): a warning, then the box flushes and powers off.
    low_percent: int = 20
    critical_percent: int = 5
    #: Seconds between readings, and readings in a row needed to enter a lower level.
    poll_s: float = 10.0
    confirm_readings: int = 3
    #: Current into the battery above this (mA) means charging. Positive is into the
    #: battery on the Waveshare boards; ``invert_current`` for a board wired the other way.
    charging_ma: float = 20.0
    invert_current: bool = False
    #: Seconds "Batterie vide / Arrêt" stays on screen before the power-off is asked for.
    poweroff_delay_s: float = 5.0

    def __post_init__(self) -> None:
        """Refuse a section that cannot work, naming the key."""

        def refuse(reason: str, key: str) -> None:
            raise ConfigError(reason, key=f"battery.{key}")

        try:
            spec, argument = parse_path("battery", self.device)
            if spec.scheme != "none":
                parse_battery_path(spec.scheme, argument)
        except UnknownBackend as error:
            refuse(str(error), "device")
        if not 1 <= self.cells <= 4:
            refuse("between 1 and 4 cells in series", "cells")
        if not 0 <= self.critical_percent < self.low_percent <= 100:
            refuse("0 <= critical_percent < low_percent <= 100", "low_percent")
        if self.poll_s <= 0 or self.poweroff_delay_s < 0 or self.charging_ma < 0:
            refuse("must be positive", "poll_s")
        if not 1 <= self.confirm_readings <= 100:
            refuse("between 1 and 100", "confirm_readings")
        try:
            Ina219Settings(shunt_ohms=self.shunt_ohms)  # the chip's own check of the shunt
        except ValueError as error:
            refuse(str(error), "shunt_ohms")
