"""The INA219 current and voltage monitor, register by register, over an smbus2-like bus.

Texas Instruments, *INA219 Zerø-Drift, Bidirectional Current/Power Monitor With
I2C Interface*, datasheet SBOS448 (section 8.6, "Register Maps"). Registers are
16 bits, sent most significant byte first; a read writes the register pointer,
then reads two bytes (smbus2's ``read_i2c_block_data(address, register, 2)``, as
the Waveshare UPS HATs' sample code does):

=========  ===============  =============================================================
register   name             content
=========  ===============  =============================================================
``0x00``   configuration    RST (bit 15), BRNG (13: 0 = 16 V, 1 = 32 V), PG (12-11: shunt
                            range 40/80/160/320 mV), BADC (10-7), SADC (6-3), MODE (2-0);
                            power-on value ``0x399F``
``0x01``   shunt voltage    signed, 10 uV per LSB
``0x02``   bus voltage      BD12..BD0 in bits 15..3, 4 mV per LSB; bit 1 CNVR (a
                            conversion completed), bit 0 OVF (the current or power
                            calculation overflowed)
``0x03``   power            ``current x bus / 5000``; Power_LSB = 20 x Current_LSB;
                            reading it clears CNVR
``0x04``   current          ``shunt x calibration / 4096``, signed, in Current_LSB
``0x05``   calibration      ``trunc(0.04096 / (Current_LSB x R_shunt))``; bit 0 is void
                            (always 0); 0 after power-on, so current and power read 0
=========  ===============  =============================================================

Current_LSB is chosen from the largest current the shunt range can show
(``V_shunt_max / R_shunt``) divided by 2^15 (the datasheet's calibration
procedure, step 2), rounded up here to a whole 10 uA: on the Waveshare boards
(0.1 ohm, 320 mV) that gives 100 uA and a calibration of 4096, the values their
sample code writes.

A sharp load can reset the chip (a brown-out): its calibration goes back to 0
and the current reads 0. Adafruit's INA219 library writes the calibration
before every current read for that reason; this driver reads it back instead
(one transfer, no write) and programs the chip again only when it changed.

Every method blocks; the battery backend calls them from its worker thread.
"""

from __future__ import annotations

import errno
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import BackendError

__all__ = [
    "POWER_ON_CONFIG",
    "REG_BUS_VOLTAGE",
    "REG_CALIBRATION",
    "REG_CONFIG",
    "REG_CURRENT",
    "REG_POWER",
    "REG_SHUNT_VOLTAGE",
    "I2CBus",
    "Ina219",
    "Ina219Reading",
    "Ina219Settings",
    "decode_bus_voltage",
    "decode_shunt_voltage",
    "signed16",
    "translate_i2c_error",
]

REG_CONFIG = 0x00
REG_SHUNT_VOLTAGE = 0x01
REG_BUS_VOLTAGE = 0x02
REG_POWER = 0x03
REG_CURRENT = 0x04
REG_CALIBRATION = 0x05

#: The configuration register after power-on or a reset (datasheet, Figure 19).
POWER_ON_CONFIG = 0x399F

#: Shunt ranges by PGA gain setting (PG1..PG0): +-40, 80, 160, 320 mV.
_SHUNT_RANGE_V = {0: 0.040, 1: 0.080, 2: 0.160, 3: 0.320}
#: Conversion time of one channel by ADC setting (datasheet, Table 5), seconds.
_ADC_TIME_S = {0x0: 84e-6, 0x1: 148e-6, 0x2: 276e-6, 0x3: 532e-6, 0x8: 532e-6, 0x9: 1.06e-3,
               0xA: 2.13e-3, 0xB: 4.26e-3, 0xC: 8.51e-3, 0xD: 17.02e-3, 0xE: 34.05e-3,
               0xF: 68.10e-3}


class I2CBus(Protocol):
    """The part of ``smbus2.SMBus`` the driver uses (the twin's bus has the same)."""

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]: ...

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: list[int]) -> None: ...

    def close(self) -> None: ...


def signed16(raw: int) -> int:
    """A 16-bit register read as two's complement."""
    return raw - 0x10000 if raw & 0x8000 else raw


def decode_bus_voltage(raw: int) -> tuple[int, bool, bool]:
    """The bus voltage register: (millivolts, CNVR, OVF)."""
    return (raw >> 3) * 4, bool(raw & 0x2), bool(raw & 0x1)


def decode_shunt_voltage(raw: int) -> int:
    """The shunt voltage register, in microvolts (10 uV per LSB, signed)."""
    return signed16(raw) * 10


@dataclass(frozen=True)
class Ina219Settings:
    """How the chip is programmed. The defaults are the Waveshare UPS HATs': 32 V bus
    range, +-320 mV shunt range, 12-bit conversions averaged over 32 samples (17 ms
    each), shunt and bus measured continuously."""

    shunt_ohms: float = 0.1
    #: BRNG: 0 for a 16 V bus range, 1 for 32 V.
    bus_range: int = 1
    #: PG: 0..3 for +-40, 80, 160, 320 mV across the shunt.
    gain: int = 3
    #: BADC and SADC: 0xD is 12 bits, 32 samples averaged.
    bus_adc: int = 0xD
    shunt_adc: int = 0xD
    #: MODE: 7 is shunt and bus, continuous.
    mode: int = 7

    def __post_init__(self) -> None:
        if not self.shunt_ohms > 0:
            raise ValueError("the shunt's resistance must be positive")
        if not 1 <= self.calibration <= 0xFFFE:
            raise ValueError(f"a {self.shunt_ohms} ohm shunt needs a calibration outside 1..65534")

    @property
    def config(self) -> int:
        """The configuration register's value."""
        return (self.bus_range << 13 | self.gain << 11 | self.bus_adc << 7 | self.shunt_adc << 3
                | self.mode)

    @property
    def current_lsb_a(self) -> float:
        """Amperes per LSB of the current register (a whole number of 10 uA)."""
        largest = _SHUNT_RANGE_V[self.gain] / self.shunt_ohms
        return math.ceil(round(largest / 2**15 / 1e-5, 6)) * 1e-5

    @property
    def calibration(self) -> int:
        """The calibration register's value: trunc(0.04096 / (Current_LSB x R_shunt)), bit 0 clear."""
        return int(0.04096 / (self.current_lsb_a * self.shunt_ohms) + 1e-9) & 0xFFFE

    @property
    def power_lsb_w(self) -> float:
        """Watts per LSB of the power register."""
        return 20 * self.current_lsb_a

    @property
    def conversion_s(self) -> float:
        """How long one round of conversions (shunt, then bus) takes."""
        return _ADC_TIME_S.get(self.shunt_adc, 0.0) + _ADC_TIME_S.get(self.bus_adc, 0.0)


@dataclass(frozen=True)
class Ina219Reading:
    """One round of reads."""

    #: V- to ground: the battery's voltage on the Waveshare boards (see borne.battery.backend).
    bus_mv: int
    shunt_uv: int
    #: From the current register; None when OVF says the calculation overflowed.
    current_ma: float | None
    #: CNVR: a conversion completed since the chip was programmed.
    conversion_ready: bool
    overflow: bool
    #: The chip had lost its calibration (reset by a brown-out) and was programmed again.
    reprogrammed: bool


def translate_i2c_error(error: BaseException, where: str, *, opening: bool) -> BackendError:
    """What smbus2 raises, as a stable code, most specific first.

    ``battery_missing``: no such bus, no chip answering while opening, or smbus2
    not installed; ``battery_permission``: the daemon's user may not open the bus;
    ``battery_io_error``: a chip that answered stopped doing so, or another error.
    """
    if isinstance(error, ImportError):
        return BackendError(f"{where}: Python module {error.name or error} is not installed",
                            code="battery_missing")
    if isinstance(error, PermissionError) or getattr(error, "errno", None) in (errno.EACCES,
                                                                                errno.EPERM):
        return BackendError(f"{where}: permission denied (the daemon's user must be in group "
                            "'i2c')", code="battery_permission")
    if isinstance(error, OSError):
        reason = f"{error.strerror or error} (errno {error.errno})"
        if error.errno in (errno.ENOENT, errno.ENODEV):
            return BackendError(f"{where}: {reason}: I2C not enabled, or another bus number",
                                code="battery_missing")
        # EREMOTEIO (121) and ENXIO (6): no acknowledge at that address.
        if opening and error.errno in (errno.EREMOTEIO, errno.ENXIO, errno.EIO):
            return BackendError(f"{where}: no chip answers ({reason})", code="battery_missing")
        return BackendError(f"{where}: {reason}", code="battery_io_error")
    return BackendError(f"{where}: {type(error).__name__}: {error}", code="battery_io_error")


class Ina219:
    """One INA219 at ``address`` on ``bus``; raises OSError as the bus does."""

    def __init__(self, bus: I2CBus, address: int, settings: Ina219Settings | None = None, *,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.bus = bus
        self.address = address
        self.settings = settings or Ina219Settings()
        self._sleep = sleep
        #: Times the chip was found reset and programmed again.
        self.reprogrammed = 0

    # -- registers ---------------------------------------------------------------------------

    def read_register(self, register: int) -> int:
        """One register, most significant byte first."""
        high, low = self.bus.read_i2c_block_data(self.address, register, 2)
        return (high << 8) | low

    def write_register(self, register: int, value: int) -> None:
        """Write one register, most significant byte first."""
        self.bus.write_i2c_block_data(self.address, register, [(value >> 8) & 0xFF, value & 0xFF])

    # -- operations --------------------------------------------------------------------------

    def configure(self) -> None:
        """Program calibration and configuration, then wait for the first conversions.

        The configuration is written last: writing it starts a new conversion, done
        with the calibration already in place.
        """
        self.write_register(REG_CALIBRATION, self.settings.calibration)
        self.write_register(REG_CONFIG, self.settings.config)
        self._sleep(self.settings.conversion_s)

    def read(self) -> Ina219Reading:
        """Calibration check, then bus voltage, shunt voltage and current: four transfers."""
        reprogrammed = self.read_register(REG_CALIBRATION) != self.settings.calibration
        if reprogrammed:
            self.reprogrammed += 1
            self.configure()
        bus_mv, ready, overflow = decode_bus_voltage(self.read_register(REG_BUS_VOLTAGE))
        shunt_uv = decode_shunt_voltage(self.read_register(REG_SHUNT_VOLTAGE))
        current = signed16(self.read_register(REG_CURRENT))
        current_ma = None if overflow else round(current * self.settings.current_lsb_a * 1000, 3)
        return Ina219Reading(bus_mv, shunt_uv, current_ma, ready, overflow, reprogrammed)

    def power_mw(self) -> float:
        """The power register, in milliwatts (reading it clears CNVR)."""
        return round(self.read_register(REG_POWER) * self.settings.power_lsb_w * 1000, 3)
