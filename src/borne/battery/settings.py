"""The battery's device path and ``[battery]`` settings, checked without touching a bus.

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
from typing import Any

from ..errors import ConfigError, UnknownBackend

__all__ = ["BatteryPath", "check_battery_config", "parse_battery_path"]

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


def check_battery_config(battery: Any, source: str | None) -> None:
    """Refuse a ``[battery]`` section that cannot work, naming the key."""
    from ..registry import parse_path

    def refuse(reason: str, key: str) -> None:
        raise ConfigError(reason, file=source, key=f"battery.{key}")

    try:
        spec, argument = parse_path("battery", battery.device)
        if spec.scheme != "none":
            parse_battery_path(spec.scheme, argument)
    except UnknownBackend as error:
        refuse(str(error), "device")
    if not 1 <= battery.cells <= 4:
        refuse("between 1 and 4 cells in series", "cells")
    if not 0 <= battery.critical_percent < battery.low_percent <= 100:
        refuse("0 <= critical_percent < low_percent <= 100", "low_percent")
    if battery.poll_s <= 0 or battery.poweroff_delay_s < 0 or battery.charging_ma < 0:
        refuse("must be positive", "poll_s")
    if not 1 <= battery.confirm_readings <= 100:
        refuse("between 1 and 100", "confirm_readings")
    from .ina219 import Ina219Settings

    try:
        Ina219Settings(shunt_ohms=battery.shunt_ohms)
    except ValueError as error:
        refuse(str(error), "shunt_ohms")
