"""The battery's twin: an INA219's register bank on an in-memory I2C bus, and a battery behind it.

The driver (:mod:`borne.battery.ina219`) reads the twin through the same
``read_i2c_block_data`` / ``write_i2c_block_data`` calls it makes on a real
board, and the twin answers as the datasheet (TI SBOS448) says the chip does:

- the bus voltage register holds the bus voltage in 4 mV steps in bits 15..3,
  with CNVR (bit 1) set once a conversion completed and OVF (bit 0) set when
  the current or power calculation overflowed;
- the shunt voltage register holds the shunt voltage in 10 uV steps, clipped to
  the PGA's range;
- current = shunt x calibration / 4096 and power = current x bus / 5000, both
  0 while the calibration is 0 (after power-on);
- writing the configuration's RST bit (or :meth:`EmulatedIna219.power_on_reset`,
  a brown-out) restores the power-on values; writing a mode clears CNVR; reading
  the power register clears CNVR;
- conversions are instantaneous: in a continuous mode the twin converts before
  each read of a data register; ``converting = False`` stalls it (CNVR stays 0).

:class:`EmulatedI2CBus` answers only at its devices' addresses (errno 121, "Remote
I/O error", like a real bus with nothing there) and can fail on purpose
(``fail_next``). :class:`BatteryTwin` is the battery: a level and a current,
turned into the voltages the chip measures.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .curve import cell_mv_for_percent, percent_for_pack
from .ina219 import (
    POWER_ON_CONFIG,
    REG_BUS_VOLTAGE,
    REG_CALIBRATION,
    REG_CONFIG,
    REG_CURRENT,
    REG_POWER,
    REG_SHUNT_VOLTAGE,
    signed16,
)

__all__ = ["BatteryTwin", "EmulatedI2CBus", "EmulatedIna219"]

log = logging.getLogger("borne.battery.twin")

_SHUNT_LIMIT = {0: 4000, 1: 8000, 2: 16000, 3: 32000}  # register counts for PG = 0..3
#: A charger's current into the pack, and what a Pi with its screen and readers draws.
CHARGE_MA = 1000.0
DISCHARGE_MA = 450.0


class EmulatedIna219:
    """An INA219's six registers and the voltages it measures. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        #: What the chip measures: V- to ground, and V+ minus V-.
        self.bus_v = 0.0
        self.shunt_v = 0.0
        #: False: conversions stop (an ADC that never completes; CNVR stays 0).
        self.converting = True
        self.power_on_reset()

    def power_on_reset(self) -> None:
        """Power-on values: configuration 0x399F, everything else 0 (a brown-out does this)."""
        with self._lock:
            self.registers = {REG_CONFIG: POWER_ON_CONFIG, REG_SHUNT_VOLTAGE: 0,
                              REG_BUS_VOLTAGE: 0, REG_POWER: 0, REG_CURRENT: 0,
                              REG_CALIBRATION: 0}

    def set_inputs(self, bus_v: float, shunt_v: float) -> None:
        """What the chip's pins see now."""
        with self._lock:
            self.bus_v, self.shunt_v = bus_v, shunt_v

    # -- the chip ----------------------------------------------------------------------------

    def read(self, register: int) -> int:
        """The value a read of ``register`` returns."""
        with self._lock:
            if register not in self.registers:
                raise OSError(errno.EIO, "no such INA219 register")
            mode = self.registers[REG_CONFIG] & 0x7
            if register in (REG_SHUNT_VOLTAGE, REG_BUS_VOLTAGE, REG_CURRENT, REG_POWER) \
                    and mode >= 5:
                self._convert(mode)
            value = self.registers[register]
            if register == REG_POWER:
                self.registers[REG_BUS_VOLTAGE] &= ~0x2  # CNVR cleared by reading power
            return value

    def write(self, register: int, value: int) -> None:
        """A write of ``register`` (the data registers are read-only: ignored)."""
        with self._lock:
            if register == REG_CONFIG:
                if value & 0x8000:  # RST: power-on values, and the bit clears itself
                    self.power_on_reset()
                    return
                self.registers[REG_CONFIG] = value
                self.registers[REG_BUS_VOLTAGE] &= ~0x2  # a new mode clears CNVR
                if value & 0x7 in (1, 2, 3):  # triggered: one conversion now
                    self._convert(value & 0x7)
            elif register == REG_CALIBRATION:
                self.registers[REG_CALIBRATION] = value & 0xFFFE  # FS0 is void

    def _convert(self, mode: int) -> None:
        if not self.converting:
            return
        config = self.registers[REG_CONFIG]
        limit = _SHUNT_LIMIT[(config >> 11) & 0x3]
        if mode & 0x1:  # shunt
            shunt = max(-limit, min(limit, round(self.shunt_v / 10e-6)))
            self.registers[REG_SHUNT_VOLTAGE] = shunt & 0xFFFF
        if mode & 0x2:  # bus; the ADC's full scale is 32 V whatever BRNG says
            bus = max(0, min(0x1FFF, round(self.bus_v / 4e-3)))
            self.registers[REG_BUS_VOLTAGE] = bus << 3
        shunt = signed16(self.registers[REG_SHUNT_VOLTAGE])
        bus = self.registers[REG_BUS_VOLTAGE] >> 3
        current = int(shunt * self.registers[REG_CALIBRATION] / 4096)
        power = int(abs(current) * bus / 5000)
        overflow = not -0x8000 <= current <= 0x7FFF or power > 0xFFFF
        current = max(-0x8000, min(0x7FFF, current))
        self.registers[REG_CURRENT] = current & 0xFFFF
        self.registers[REG_POWER] = min(power, 0xFFFF)
        self.registers[REG_BUS_VOLTAGE] |= 0x2 | (1 if overflow else 0)


class EmulatedI2CBus:
    """An in-memory I2C bus with the smbus2 calls the driver makes. Thread-safe."""

    def __init__(self, devices: dict[int, EmulatedIna219]) -> None:
        self.devices = devices
        self._lock = threading.Lock()
        self._failures = 0
        self._errno = errno.EREMOTEIO
        #: Transfers answered so far.
        self.transfers = 0

    def fail_next(self, count: int = 1, error: int = errno.EREMOTEIO) -> None:
        """Make the next ``count`` transfers raise ``OSError(error)``."""
        with self._lock:
            self._failures, self._errno = count, error

    def _device(self, address: int) -> EmulatedIna219:
        with self._lock:
            if self._failures:
                self._failures -= 1
                raise OSError(self._errno, os.strerror(self._errno))
            device = self.devices.get(address)
            if device is None:  # nobody acknowledges the address
                raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
            self.transfers += 1
            return device

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: Any = None) -> list[int]:
        """Set the register pointer, then read ``length`` bytes (MSB first, as the chip sends)."""
        value = self._device(i2c_addr).read(register)
        data = [(value >> 8) & 0xFF, value & 0xFF]
        return (data * ((length + 1) // 2))[:length]

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: list[int],
                             force: Any = None) -> None:
        """Set the register pointer and write two bytes to it (MSB first)."""
        device = self._device(i2c_addr)
        if len(data) == 2:
            device.write(register, (data[0] << 8) | data[1])

    def close(self) -> None:
        """Nothing to release."""


class BatteryTwin:
    """A Li-ion pack behind an emulated INA219 at ``address`` on :attr:`bus`.

    :meth:`set_level` puts the pack at a level (the voltage the ``curve`` gives
    for it) with a charger's or the box's current; :meth:`set_raw` at a given
    voltage and current. Positive current flows into the battery, as on the
    Waveshare boards (``invert`` for a board wired the other way).
    """

    def __init__(self, *, address: int, shunt_ohms: float = 0.1, cells: int = 2,
                 curve: str = "li-ion", invert: bool = False, file: str | None = None) -> None:
        self.chip = EmulatedIna219()
        self.bus = EmulatedI2CBus({address: self.chip})
        self.address = address
        self._shunt_ohms, self._cells, self._curve, self._invert = shunt_ohms, cells, curve, invert
        self._file = Path(file) if file else None
        self._file_seen: tuple[int, int] | None = None
        self.percent: int = 80
        self.charging = False
        self.set_level(80, charging=False)

    def set_raw(self, voltage_mv: float, current_ma: float) -> None:
        """The pack at ``voltage_mv``, ``current_ma`` into it (negative: discharging)."""
        current_a = current_ma / 1000 * (-1 if self._invert else 1)
        self.chip.set_inputs(voltage_mv / 1000, current_a * self._shunt_ohms)

    def set_level(self, percent: int, *, charging: bool) -> None:
        """The pack at ``percent`` by its curve, charging or powering the box."""
        if not 0 <= percent <= 100:
            raise ValueError("a level is 0..100 %")
        target = cell_mv_for_percent(percent, self._curve) * self._cells
        # The chip measures in 4 mV steps: take the step nearest the target that the
        # curve reads back as ``percent``, so the box shows what was asked.
        steps = sorted((round(target / 4) + k for k in range(-3, 4)),
                       key=lambda s: abs(s * 4 - target))
        pack = next((s * 4 for s in steps
                     if percent_for_pack(s * 4, self._cells, self._curve) == percent), target)
        self.percent, self.charging = percent, charging
        self.set_raw(pack, CHARGE_MA if charging else -DISCHARGE_MA)

    def follow_file(self) -> None:
        """``sim:FILE``: take the level from the file when it changed (worker thread)."""
        if self._file is None:
            return
        try:
            stat = self._file.stat()
            seen = (stat.st_mtime_ns, stat.st_size)
            if seen == self._file_seen:
                return
            self._file_seen = seen
            wanted = json.loads(self._file.read_text())
            self.set_level(int(wanted["percent"]), charging=bool(wanted.get("charging", False)))
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("battery twin: %s unusable: %s", self._file, error)
