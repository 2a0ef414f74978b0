"""The battery service with the twin behind the real driver: events, status, errors, power-off.

The backend polls only when asked (``poll_s`` is an hour, ``poll_now`` steps it), so
every reading here goes through the worker thread, the driver and the emulated
registers, one at a time.
"""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path
from types import SimpleNamespace

import pytest

from borne.battery.poweroff import POWEROFF_REQUEST
from borne.battery.service import BatteryService, build_battery, journal_flush_hook
from borne.runtime.clock import Clock
from borne.config import parse_config
from borne.core import Core
from borne.events import BatteryState, EventBus
from borne.health import BoxHealth
from borne.registry import load_backend


def box(tmp_path: Path, device: str = "sim", **battery: object) -> SimpleNamespace:
    config = parse_config({
        "daemon": {"runtime_dir": str(tmp_path / "run"), "data_dir": str(tmp_path / "data")},
        "battery": {"device": device, "poll_s": 3600, "confirm_readings": 3,
                    "poweroff_delay_s": 0, **battery}})
    clock = Clock()
    bus = EventBus(clock)
    return SimpleNamespace(config=config, clock=clock, bus=bus, core=Core(bus, clock),
                           journal=None)


async def service_for(daemon: SimpleNamespace, hook=None) -> BatteryService:
    backend = load_backend("battery", daemon.config.battery.device, daemon.config)
    service = BatteryService(daemon.config.battery, backend, bus=daemon.bus, core=daemon.core,
                             runtime_dir=Path(daemon.config.daemon.runtime_dir),
                             on_critical=hook or journal_flush_hook(lambda: daemon.journal))
    await service.start()
    return service


async def read(service: BatteryService, percent: int, *, times: int = 1,
               charging: bool = False):
    service.twin.set_level(percent, charging=charging)
    for _ in range(times):
        status = await service.poll_now()
    return status


def battery_events(daemon: SimpleNamespace) -> list[BatteryState]:
    return [event.data for event in daemon.bus.history() if event.type == "battery.state"]


async def settle() -> None:
    for _ in range(5):  # let the power-off task run its steps
        await asyncio.sleep(0.01)


async def test_readings_reach_events_status_and_devices_only_when_news_changes(tmp_path):
    daemon = box(tmp_path)
    service = await service_for(daemon)
    try:
        assert daemon.core.snapshot(identity=False)["battery"]["state"] == "unknown"
        await read(service, 64, times=3)
        assert battery_events(daemon)[-1] == BatteryState(
            percent=64, charging=False, state="ok", voltage_mv=daemon.core.battery["voltage_mv"])
        published = len(battery_events(daemon))
        await read(service, 64, times=4)  # nothing new to say
        assert len(battery_events(daemon)) == published
        await read(service, 64, charging=True)
        assert battery_events(daemon)[-1].charging is True
        snapshot = daemon.core.snapshot(identity=False)
        assert snapshot["battery"]["percent"] == 64 and snapshot["battery"]["charging"]
        assert snapshot["devices"]["battery"] == {"state": "available",
                                                  "detail": "simulated INA219 at 0x42"}
    finally:
        await service.stop()


async def test_critical_flushes_the_journal_then_asks_for_the_power_off(tmp_path):
    daemon = box(tmp_path)
    steps: list[str] = []

    class Journal:
        async def flush(self) -> None:
            assert not (tmp_path / "run" / POWEROFF_REQUEST).exists()  # flushed first
            steps.append("flushed")

    daemon.journal = Journal()
    service = await service_for(daemon)
    try:
        await read(service, 40, times=3)
        status = await read(service, 3, times=3)
        assert status.state == "critical"
        await settle()
        request = tmp_path / "run" / POWEROFF_REQUEST
        assert steps == ["flushed"] and service.poweroff_requested == request
        assert request.read_text().startswith("battery critical: 3 %")
        states = [event.state for event in battery_events(daemon)]
        assert states[-1] == "critical" and states.count("critical") == 1
    finally:
        await service.stop()


async def test_a_load_spike_never_asks_for_the_power_off(tmp_path):
    daemon = box(tmp_path)
    service = await service_for(daemon)
    try:
        await read(service, 50, times=3)
        for _ in range(4):  # one reading at 2 %, then back, four times over
            assert (await read(service, 2)).state == "ok"
            await read(service, 50)
        await read(service, 2, times=2)  # two in a row: not three
        await settle()
        assert service.status.state == "ok" and service.status.percent == 50
        assert not (tmp_path / "run" / POWEROFF_REQUEST).exists()
        assert "critical" not in [event.state for event in battery_events(daemon)]
    finally:
        await service.stop()


async def test_charging_during_the_delay_cancels_the_power_off(tmp_path):
    daemon = box(tmp_path, poweroff_delay_s=0.5)
    service = await service_for(daemon)
    try:
        assert (await read(service, 2, times=3)).state == "critical"
        assert (await read(service, 2, charging=True)).state == "low"
        await asyncio.sleep(0.8)
        assert service.poweroff_requested is None
        assert not (tmp_path / "run" / POWEROFF_REQUEST).exists()
    finally:
        await service.stop()


async def test_a_sync_flush_and_a_failing_one_do_not_keep_the_box_up(tmp_path):
    for flush in (lambda: None, lambda: 1 / 0):
        daemon = box(tmp_path / str(id(flush)))
        daemon.journal = SimpleNamespace(flush=flush)
        service = await service_for(daemon)
        try:
            await read(service, 1, times=3)
            await settle()
            assert (tmp_path / str(id(flush)) / "run" / POWEROFF_REQUEST).exists()
        finally:
            await service.stop()


async def test_an_i2c_error_is_battery_error_with_its_code_then_retried(tmp_path):
    daemon = box(tmp_path)
    service = await service_for(daemon)
    try:
        await read(service, 70, times=3)
        service.twin.bus.fail_next(1, errno.EREMOTEIO)
        status = await service.poll_now()
        assert status.state == "unknown" and status.percent is None
        assert service.last_error == "battery_io_error"
        device = daemon.core.devices["battery"]
        assert device["state"] == "error" and "Remote I/O error" in device["detail"]
        assert "errno 121" in device["detail"]
        health = {c.name: c for c in BoxHealth(daemon.config, daemon.core).checks()}
        assert health["battery"].code == "battery_error" and health["battery"].status == "fail"
        # The next poll opens the bus again, programs the chip, and reads.
        status = await service.poll_now()
        assert daemon.core.devices["battery"]["state"] == "available"
        assert service.last_error is None and status.percent == 70
        assert status.state == "unknown"  # N good readings again before judging
        assert (await read(service, 70, times=2)).state == "ok"
    finally:
        await service.stop()


async def test_a_stalled_converter_is_an_error_until_it_converts_again(tmp_path):
    daemon = box(tmp_path)
    service = await service_for(daemon)
    try:
        await read(service, 70, times=3)
        service.twin.chip.converting = False
        service.twin.chip.power_on_reset()  # programmed again: CNVR cleared, never set
        status = await service.poll_now()
        assert status.state == "unknown" and service.last_error == "battery_io_error"
        assert "CNVR" in daemon.core.devices["battery"]["detail"]
        service.twin.chip.converting = True
        assert (await service.poll_now()).percent == 70 and service.last_error is None
    finally:
        await service.stop()


async def test_a_chip_reset_by_a_spike_is_programmed_again(tmp_path):
    daemon = box(tmp_path)
    service = await service_for(daemon)
    try:
        await read(service, 70, times=3, charging=True)
        service.twin.chip.power_on_reset()
        status = await service.poll_now()
        assert status.charging and status.percent == 70 and service.backend.twin.chip.registers[5]
    finally:
        await service.stop()


async def test_a_board_that_is_not_there_degrades_the_battery_not_the_daemon(tmp_path):
    daemon = box(tmp_path, device="ina219:i2c:99:0x42")  # no /dev/i2c-99 here
    service = build_battery(daemon.config, bus=daemon.bus, core=daemon.core)
    assert service is not None and service.twin is None
    await service.start()
    try:
        status = await service.poll_now()
        assert status.state == "unknown" and service.last_error == "battery_missing"
        assert "/dev/i2c-99" in daemon.core.devices["battery"]["detail"]
    finally:
        await service.stop()
    nothing = box(tmp_path, device="none")
    assert build_battery(nothing.config, bus=nothing.bus, core=nothing.core) is None


async def test_health_says_low_critical_and_nothing_without_a_battery(tmp_path):
    daemon = box(tmp_path)
    service = await service_for(daemon)
    try:
        def check():
            return {c.name: c for c in BoxHealth(daemon.config, daemon.core).checks()}["battery"]

        assert (check().status, check().detail_en) == ("ok", "battery: no reading yet")
        await read(service, 15, times=3)
        assert (check().status, check().code) == ("warn", "battery_low")
        assert "15 %" in check().detail_fr and check().fix_fr
        await read(service, 15, charging=True)
        assert check().status == "ok" and check().detail_en == "battery 15 %, charging"
        await read(service, 2, times=3)
        assert (check().status, check().code) == ("fail", "battery_critical")
    finally:
        await service.stop()
    counter = box(tmp_path, device="none")
    assert "battery" not in [c.name for c in BoxHealth(counter.config, counter.core).checks()]


@pytest.mark.parametrize(("battery", "key"), [
    ({"device": "ina219:i2c:1:0x60"}, "battery.device"),
    ({"device": "ina219:spi:0:0"}, "battery.device"),
    ({"device": "ina219"}, "battery.device"),
    ({"device": "max17048:i2c:1:0x36"}, "battery.device"),
    ({"low_percent": 5, "critical_percent": 5}, "battery.low_percent"),
    ({"cells": 0}, "battery.cells"),
    ({"shunt_ohms": 0}, "battery.shunt_ohms"),
    ({"poll_s": 0}, "battery.poll_s"),
    ({"confirm_readings": 0}, "battery.confirm_readings"),
    ({"curve": "lead-acid"}, "battery.curve"),
    ({"treshold": 3}, "battery.treshold"),
])
def test_a_wrong_battery_section_names_its_key(battery, key):
    from borne.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        parse_config({"battery": battery})
    assert raised.value.key == key


def test_good_battery_sections():
    assert parse_config({}).battery.device == "none"
    for device in ("ina219:i2c:1:0x42", "ina219:i2c:1:67", "sim", "sim:/tmp/level.json", "none"):
        assert parse_config({"battery": {"device": device}}).battery.device == device


async def test_the_file_twin_follows_its_file(tmp_path):
    level = tmp_path / "level.json"
    daemon = box(tmp_path, device=f"sim:{level}", confirm_readings=1)
    service = await service_for(daemon)
    try:
        assert (await service.poll_now()).percent == 80  # no file yet: the twin's default
        level.write_text('{"percent": 30, "charging": true}')
        status = await service.poll_now()
        assert (status.percent, status.charging) == (30, True)
        level.write_text("{not json")
        assert (await service.poll_now()).percent == 30  # a bad file changes nothing
        level.write_text('{"percent": 12}')
        assert (await service.poll_now()).state == "low"
    finally:
        await service.stop()
