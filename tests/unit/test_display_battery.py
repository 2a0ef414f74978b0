"""The screen follows ``battery.state``: the gauge, "Batterie faible" once, "Batterie vide / Arrêt"."""

from __future__ import annotations

from borne.display import views as v
from borne.display.render import render
from borne.display.state import FLASH_SECONDS, ScreenState
from borne.display.texts import error_texts
from borne.events import BatteryState


def battery(state: ScreenState, now: float, percent: int | None, level: str,
            charging: bool = False) -> None:
    state.apply(BatteryState(percent=percent, charging=charging, state=level, voltage_mv=7400),
                now)


def test_the_gauge_follows_the_level_without_waking_the_screen():
    state = ScreenState(mode="mobile")
    battery(state, 1.0, 80, "unknown")
    battery(state, 2.0, 80, "ok")
    assert state.last_activity == 2.0  # a new state is worth a look
    battery(state, 50.0, 79, "ok")
    battery(state, 90.0, 78, "ok", charging=False)
    assert state.last_activity == 2.0  # a percent less is not: the screen stays dimmed
    assert state.view(91.0) == v.MobileView(78, False, 0)


def test_low_flashes_a_warning_once():
    state = ScreenState(mode="mobile")
    battery(state, 0.0, 30, "ok")
    battery(state, 10.0, 19, "low")
    assert state.view(11.0) == v.ErrorView("battery_low")
    assert state.last_activity == 10.0
    assert state.view(10.0 + FLASH_SECONDS["error"]) == v.MobileView(19, False, 0)
    battery(state, 30.0, 18, "low")  # still low: no second warning
    assert state.view(31.0) == v.MobileView(18, False, 0)
    battery(state, 40.0, 18, "low", charging=True)  # plugged in: the gauge shows the bolt
    assert state.last_activity == 40.0 and state.view(41.0) == v.MobileView(18, True, 0)
    battery(state, 50.0, 18, "low", charging=False)  # unplugged, still low: nothing new
    assert isinstance(state.view(51.0), v.MobileView)


def test_critical_says_empty_and_shutting_down_above_everything():
    state = ScreenState()
    state.show_pairing("482913", 100.0, 0.0)
    battery(state, 1.0, 3, "critical")
    assert state.view(2.0) == v.ErrorView("battery_critical")
    assert error_texts("battery_critical", "fr") == ("Batterie vide", "Arrêt")
    assert error_texts("battery_critical", "en") == ("Battery empty", "Shutting down")
    render(state.view(2.0), language="fr")  # drawable
    battery(state, 3.0, 3, "low", charging=True)  # the charger, in time: power-off cancelled
    assert state.view(4.0) == v.PairingView("482913", 96)


def test_the_status_strip_gets_the_level():
    state = ScreenState()
    battery(state, 0.0, 42, "ok", charging=True)
    assert (state.battery_percent, state.charging, state.battery_state) == (42, True, "ok")
    battery(state, 1.0, None, "unknown")
    assert state.battery_percent is None and not state.charging
