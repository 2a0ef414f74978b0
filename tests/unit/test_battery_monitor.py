"""Readings to ok/low/critical: N readings in a row to enter a level, charging cancels."""

from __future__ import annotations

import pytest

from borne.battery.curve import cell_mv_for_percent
from borne.battery.monitor import HYSTERESIS, BatteryMonitor, BatteryStatus, Thresholds

DISCHARGING, CHARGING = -450.0, 900.0


def mv(percent: int) -> int:
    """A two-cell pack's voltage at ``percent``."""
    return round(cell_mv_for_percent(percent) * 2)


def feed(monitor: BatteryMonitor, *levels: int, current: float | None = DISCHARGING) -> list[str]:
    return [monitor.reading(mv(level), current).state for level in levels]


def test_unknown_until_n_readings_then_judged():
    monitor = BatteryMonitor(Thresholds(confirm_readings=3))
    assert monitor.status == BatteryStatus()  # nothing read yet
    assert feed(monitor, 80, 80, 80) == ["unknown", "unknown", "ok"]
    assert monitor.status.percent == 80 and monitor.status.voltage_mv == mv(80)


def test_a_single_low_reading_neither_shows_nor_counts():
    monitor = BatteryMonitor(Thresholds(confirm_readings=3))
    feed(monitor, 50, 50, 50)
    # A load spike: one reading at 2 %, then back.
    assert feed(monitor, 2) == ["ok"] and monitor.status.percent == 50
    assert feed(monitor, 50, 2, 2, 50) == ["ok", "ok", "ok", "ok"]
    # Three in a row: critical.
    assert feed(monitor, 2, 2, 2) == ["ok", "ok", "critical"]
    assert monitor.status.percent == 2


def test_low_warns_at_its_level_and_leaves_it_with_some_margin():
    monitor = BatteryMonitor(Thresholds(low_percent=20, confirm_readings=2))
    assert feed(monitor, 25, 25, 19, 19) == ["unknown", "ok", "ok", "low"]
    # Hovering just over the threshold does not leave "low"...
    assert feed(monitor, 21, 21) == ["low", "low"]
    # ...a clear rise does.
    assert feed(monitor, 20 + HYSTERESIS) == ["ok"]


def test_charging_cancels_critical_and_critical_holds_until_then():
    monitor = BatteryMonitor(Thresholds(confirm_readings=2))
    assert feed(monitor, 3, 3) == ["unknown", "critical"]
    # A cell recovering at rest does not undo it: the box is shutting down.
    assert feed(monitor, 6, 6) == ["critical", "critical"]
    # The charger does, at once.
    assert feed(monitor, 4, current=CHARGING) == ["low"]
    assert monitor.status.charging
    assert feed(monitor, 1, 1, current=CHARGING) == ["low", "low"]  # never critical while charging
    assert feed(monitor, 30, current=CHARGING) == ["ok"]
    # Unplugged again and empty: critical after N readings again.
    assert feed(monitor, 2, 2, 2) == ["ok", "critical", "critical"]


def test_a_small_current_or_an_unknown_one_is_not_charging():
    monitor = BatteryMonitor(Thresholds(confirm_readings=1, charging_ma=20))
    assert not monitor.reading(mv(50), 15.0).charging
    assert not monitor.reading(mv(50), None).charging
    assert monitor.reading(mv(50), 25.0).charging


def test_a_failed_reading_forgets_until_n_good_ones():
    monitor = BatteryMonitor(Thresholds(confirm_readings=2))
    feed(monitor, 3, 3)
    assert monitor.failed() == BatteryStatus(None, False, "unknown", None)
    assert feed(monitor, 3, 3) == ["unknown", "critical"]


def test_events_carry_the_contract_keys_and_say_when_news_changed():
    status = BatteryStatus(42, True, "ok", 7700)
    assert status.to_dict() == {"percent": 42, "charging": True, "state": "ok", "voltage_mv": 7700}
    assert status.same_news(BatteryStatus(42, True, "ok", 7712))  # the voltage alone moved
    assert not status.same_news(BatteryStatus(41, True, "ok", 7700))
    assert not status.same_news(None)


def test_confirm_readings_must_be_positive():
    with pytest.raises(ValueError):
        BatteryMonitor(Thresholds(confirm_readings=0))
