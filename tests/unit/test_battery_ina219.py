"""The INA219 driver: register bytes, conversions, calibration, flags and I2C errors.

Against scripted registers (exact bytes, as the style guide asks of drivers) and
against the twin's emulated register bank, which answers as the datasheet (TI
SBOS448) says the chip does.
"""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest

from borne.battery.curve import percent_for_pack
from borne.battery.ina219 import (
    POWER_ON_CONFIG,
    REG_BUS_VOLTAGE,
    REG_CALIBRATION,
    REG_CONFIG,
    REG_CURRENT,
    REG_POWER,
    REG_SHUNT_VOLTAGE,
    Ina219,
    Ina219Settings,
    decode_bus_voltage,
    decode_shunt_voltage,
    translate_i2c_error,
)
from borne.battery.twin import BatteryTwin

ADDRESS = 0x42


class ScriptedBus:
    """An smbus2-like bus holding given register values; records every transfer."""

    def __init__(self, registers: dict[int, int]) -> None:
        self.registers = dict(registers)
        self.log: list[tuple] = []

    def read_i2c_block_data(self, address: int, register: int, length: int) -> list[int]:
        self.log.append(("read", address, register, length))
        value = self.registers[register]
        return [value >> 8, value & 0xFF]

    def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None:
        self.log.append(("write", address, register, list(data)))
        self.registers[register] = (data[0] << 8) | data[1]

    def close(self) -> None:
        pass


def no_sleep(_: float) -> None:
    pass


# -- settings: the datasheet's calibration procedure -------------------------------------------

def test_waveshare_settings_match_their_sample_code():
    settings = Ina219Settings()  # 0.1 ohm, 32 V, /8 (320 mV), 12 bits x 32 samples, continuous
    assert settings.config == 0x3EEF
    assert settings.current_lsb_a == pytest.approx(100e-6)
    assert settings.calibration == 4096  # what their set_calibration_32V_2A writes
    assert settings.power_lsb_w == pytest.approx(2e-3)
    assert settings.conversion_s == pytest.approx(2 * 17.02e-3)


@pytest.mark.parametrize("shunt", [0.01, 0.05, 0.1, 0.2, 1.0])
def test_calibration_is_the_datasheet_formula(shunt):
    settings = Ina219Settings(shunt_ohms=shunt)
    lsb = settings.current_lsb_a
    # Current_LSB >= I_max / 2^15, so the current register never overflows...
    assert lsb >= 0.32 / shunt / 2**15
    assert lsb < 0.32 / shunt / 2**15 + 10e-6  # ...rounded up to the next 10 uA only
    # Cal = trunc(0.04096 / (Current_LSB x R_shunt)), with the void bit 0 clear.
    assert settings.calibration == int(0.04096 / (lsb * shunt) + 1e-9) & 0xFFFE


def test_impossible_shunts_are_refused():
    with pytest.raises(ValueError):
        Ina219Settings(shunt_ohms=0)
    with pytest.raises(ValueError):
        Ina219Settings(shunt_ohms=-0.1)


# -- decoding, from bytes -----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    (0x0000, (0, False, False)),
    (0x39D2, (7400, True, False)),                 # 1850 x 4 mV, CNVR
    (0x3A21, (7440, False, True)),                 # 1860 x 4 mV, OVF
    (0xFFFB, (32764, True, True)),                 # full scale, both flags
])
def test_bus_voltage_register(raw, expected):
    assert decode_bus_voltage(raw) == expected


@pytest.mark.parametrize(("raw", "microvolts"), [
    (0x0000, 0), (0x0001, 10), (0x7D00, 320_000), (0xFFFF, -10), (0x8300, -320_000),
    (0xEC78, -50_000),
])
def test_shunt_voltage_register_is_signed_10_microvolts(raw, microvolts):
    assert decode_shunt_voltage(raw) == microvolts


def test_configure_writes_calibration_then_configuration_msb_first():
    bus = ScriptedBus({REG_CALIBRATION: 0, REG_CONFIG: POWER_ON_CONFIG})
    slept = []
    Ina219(bus, ADDRESS, sleep=slept.append).configure()
    assert bus.log == [("write", ADDRESS, REG_CALIBRATION, [0x10, 0x00]),
                       ("write", ADDRESS, REG_CONFIG, [0x3E, 0xEF])]
    assert slept == [pytest.approx(0.03404)]  # the first shunt and bus conversions


def test_a_reading_is_four_transfers_and_decodes_each_register():
    bus = ScriptedBus({REG_CALIBRATION: 4096, REG_BUS_VOLTAGE: (1850 << 3) | 0x2,
                       REG_SHUNT_VOLTAGE: 0xEC78, REG_CURRENT: 0xEC78})
    reading = Ina219(bus, ADDRESS, sleep=no_sleep).read()
    assert [entry[2] for entry in bus.log] == [REG_CALIBRATION, REG_BUS_VOLTAGE,
                                               REG_SHUNT_VOLTAGE, REG_CURRENT]
    assert all(entry[:2] == ("read", ADDRESS) and entry[3] == 2 for entry in bus.log)
    assert (reading.bus_mv, reading.shunt_uv, reading.current_ma) == (7400, -50_000, -500.0)
    assert reading.conversion_ready and not reading.overflow and not reading.reprogrammed


def test_overflow_makes_the_current_unknown():
    bus = ScriptedBus({REG_CALIBRATION: 4096, REG_BUS_VOLTAGE: (1850 << 3) | 0x3,
                       REG_SHUNT_VOLTAGE: 0x7D00, REG_CURRENT: 0x7FFF})
    reading = Ina219(bus, ADDRESS, sleep=no_sleep).read()
    assert reading.overflow and reading.current_ma is None and reading.bus_mv == 7400


def test_a_lost_calibration_is_programmed_again_before_reading():
    bus = ScriptedBus({REG_CALIBRATION: 0, REG_CONFIG: POWER_ON_CONFIG,
                       REG_BUS_VOLTAGE: 0x2, REG_SHUNT_VOLTAGE: 0, REG_CURRENT: 0})
    chip = Ina219(bus, ADDRESS, sleep=no_sleep)
    reading = chip.read()
    assert reading.reprogrammed and chip.reprogrammed == 1
    assert ("write", ADDRESS, REG_CALIBRATION, [0x10, 0x00]) in bus.log
    assert not chip.read().reprogrammed  # the calibration reads back right now


# -- against the twin's register bank --------------------------------------------------------------

def twin_chip(**twin: object) -> tuple[BatteryTwin, Ina219]:
    battery = BatteryTwin(address=ADDRESS, **twin)  # type: ignore[arg-type]
    chip = Ina219(battery.bus, ADDRESS, sleep=no_sleep)
    chip.configure()
    return battery, chip


def test_the_twin_answers_what_the_datasheet_says():
    battery, chip = twin_chip()
    battery.set_raw(7400, -500)  # 7.4 V, 0.5 A out of the pack: 50 mV across 0.1 ohm
    reading = chip.read()
    assert (reading.bus_mv, reading.shunt_uv, reading.current_ma) == (7400, -50_000, -500.0)
    assert reading.conversion_ready and not reading.overflow
    # Power = current x bus / 5000 = 5000 x 1850 / 5000 LSB of 2 mW: 3.7 W = 7.4 V x 0.5 A.
    assert chip.power_mw() == pytest.approx(3700.0)
    battery.set_raw(8123, 812.3)  # charging; 4 mV steps: 8123 reads 8124
    reading = chip.read()
    assert reading.bus_mv == 8124 and reading.current_ma == pytest.approx(812.3)


def test_before_calibration_current_and_power_read_zero():
    battery = BatteryTwin(address=ADDRESS)
    chip = Ina219(battery.bus, ADDRESS, sleep=no_sleep)
    assert chip.read_register(REG_CONFIG) == POWER_ON_CONFIG
    assert chip.read_register(REG_CURRENT) == 0 and chip.read_register(REG_POWER) == 0
    assert chip.read_register(REG_BUS_VOLTAGE) >> 3 > 0  # the bus voltage needs no calibration


def test_cnvr_follows_conversions_mode_writes_and_power_reads():
    battery, chip = twin_chip()
    triggered = (Ina219Settings().config & ~0x7) | 0x3  # shunt and bus, triggered
    chip.write_register(REG_CONFIG, triggered)  # one conversion now
    assert decode_bus_voltage(chip.read_register(REG_BUS_VOLTAGE))[1]
    chip.power_mw()  # reading the power register clears CNVR...
    assert not decode_bus_voltage(chip.read_register(REG_BUS_VOLTAGE))[1]
    chip.write_register(REG_CONFIG, triggered)  # ...a new conversion sets it again
    assert decode_bus_voltage(chip.read_register(REG_BUS_VOLTAGE))[1]
    battery.chip.converting = False  # an ADC that never completes
    chip.write_register(REG_CONFIG, Ina219Settings().config)
    assert not chip.read().conversion_ready


def test_the_reset_bit_and_a_brown_out_restore_power_on_values():
    battery, chip = twin_chip()
    chip.write_register(REG_CONFIG, 0x8000)
    assert chip.read_register(REG_CONFIG) == POWER_ON_CONFIG
    assert chip.read_register(REG_CALIBRATION) == 0
    chip.configure()
    battery.set_raw(7400, -500)
    battery.chip.power_on_reset()  # a load spike resets the chip
    reading = chip.read()
    assert reading.reprogrammed and reading.current_ma == -500.0


def test_calibration_bit_0_is_void():
    _battery, chip = twin_chip()
    chip.write_register(REG_CALIBRATION, 4097)
    assert chip.read_register(REG_CALIBRATION) == 4096


def test_the_shunt_register_clips_at_the_gain_range():
    battery, chip = twin_chip()
    battery.set_raw(7400, -5000)  # 500 mV across the shunt: beyond +-320 mV
    assert chip.read().shunt_uv == -320_000


@pytest.mark.parametrize("percent", range(0, 101))
def test_the_twin_at_a_level_reads_back_as_that_level_on_two_cells(percent):
    battery, chip = twin_chip(cells=2)
    battery.set_level(percent, charging=False)
    reading = chip.read()
    assert percent_for_pack(reading.bus_mv, 2) == percent
    assert reading.current_ma is not None and reading.current_ma < 0


def test_the_twin_on_one_cell_reads_back_within_one_percent():
    battery, chip = twin_chip(cells=1)
    for percent in range(0, 101):
        battery.set_level(percent, charging=True)
        reading = chip.read()
        assert abs(percent_for_pack(reading.bus_mv, 1) - percent) <= 1
        assert reading.current_ma is not None and reading.current_ma > 0


# -- I2C errors -------------------------------------------------------------------------------------

def test_an_address_nobody_answers_is_errno_121():
    battery = BatteryTwin(address=ADDRESS)
    with pytest.raises(OSError) as raised:
        Ina219(battery.bus, 0x43, sleep=no_sleep).read()
    assert raised.value.errno == errno.EREMOTEIO


@pytest.mark.parametrize(("error", "opening", "code"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), True, "battery_missing"),
    (PermissionError(errno.EACCES, "Permission denied"), True, "battery_permission"),
    (OSError(errno.EREMOTEIO, "Remote I/O error"), True, "battery_missing"),
    (OSError(errno.EREMOTEIO, "Remote I/O error"), False, "battery_io_error"),
    (OSError(errno.ETIMEDOUT, "Connection timed out"), False, "battery_io_error"),
    (ImportError("No module named 'smbus2'", name="smbus2"), True, "battery_missing"),
])
def test_i2c_errors_become_stable_codes(error, opening, code):
    translated = translate_i2c_error(error, "INA219 at 0x42 on /dev/i2c-1", opening=opening)
    assert translated.code == code
    assert "INA219 at 0x42 on /dev/i2c-1" in translated.detail


def test_importing_the_battery_package_loads_no_smbus2():
    code = ("import sys, borne.battery.backend, borne.battery.service, borne.health; "
            "print('smbus2' in sys.modules)")
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"
