"""The GPIO panel on gpiozero's mock pins: one callback per press, the LED, beeps, soft failures."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from borne.config import PanelConfig
from borne.display.panel import Panel

LONG_PRESS_S = 0.2


def _wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Presses:
    """Counts each callback and signals it."""

    def __init__(self, panel: Panel) -> None:
        self.short = 0
        self.long = 0
        self.short_event = threading.Event()
        self.long_event = threading.Event()
        panel.on_press = self._short
        panel.on_long_press = self._long

    def _short(self) -> None:
        self.short += 1
        self.short_event.set()

    def _long(self) -> None:
        self.long += 1
        self.long_event.set()


@pytest.fixture
def make_panel() -> Iterator[Callable[..., Panel]]:
    """Panels on their own MockFactory each (closed with the panel): no state between tests."""
    panels: list[Panel] = []

    def make(**settings) -> Panel:
        call = settings.pop("call", None)
        config = PanelConfig(**{"pins": "mock", "long_press_s": LONG_PRESS_S, **settings})
        panel = Panel(config, call=call)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.close()


def test_a_short_press_calls_on_press_once_and_never_on_long_press(make_panel):
    panel = make_panel()
    presses = Presses(panel)
    button = panel.factory.pin(17)
    button.drive_low()
    button.drive_high()
    assert presses.short_event.is_set()  # the mock pin calls back at once
    assert not presses.long_event.wait(LONG_PRESS_S * 2)
    assert (presses.short, presses.long) == (1, 0)


def test_holding_calls_on_long_press_once_and_not_on_press(make_panel):
    panel = make_panel()
    presses = Presses(panel)
    button = panel.factory.pin(17)
    button.drive_low()
    assert presses.long_event.wait(3)
    button.drive_high()  # the release of a long press is not a short press
    assert (presses.short, presses.long) == (0, 1)
    button.drive_low()   # and the next short press counts again
    button.drive_high()
    assert (presses.short, presses.long) == (1, 1)


def test_callbacks_go_through_call_and_a_failing_one_does_not_break_the_button(make_panel):
    delivered: list[str] = []

    def call(callback):  # what loop.call_soon_threadsafe would receive
        delivered.append(callback.__name__)
        callback()

    panel = make_panel(call=call)
    held = threading.Event()

    def long_press():
        held.set()
        raise RuntimeError("a bug in the caller")

    def on_press():
        pass

    panel.on_press, panel.on_long_press = on_press, long_press
    button = panel.factory.pin(17)
    for _ in range(2):  # gpiozero's hold thread survives the exception
        held.clear()
        button.drive_low()
        assert held.wait(3)
        button.drive_high()
    button.drive_low()
    button.drive_high()
    assert delivered == ["long_press", "long_press", "on_press"]


def test_led_states_drive_the_pin(make_panel):
    panel = make_panel()
    led = panel.factory.pin(27)
    assert led.state is False
    panel.status("ready")
    assert led.state is True
    panel.status("off")
    assert led.state is False

    def toggles(state: str) -> list[float]:
        led.clear_states()
        panel.status(state)
        assert _wait_for(lambda: len(led.states) >= 4), f"{state}: the LED does not blink"
        return [change.timestamp for change in led.states[2:4]]  # one on, one off

    fast = toggles("error")
    slow = toggles("busy")
    assert statistics.median(fast) < statistics.median(slow)
    panel.status("ready")  # a steady state stops the blinking
    assert led.state is True
    count = len(led.states)
    time.sleep(0.3)
    assert len(led.states) == count
    with pytest.raises(ValueError):
        panel.status("blinking")


def _on_periods(pin) -> int:
    return sum(1 for change in pin.states[1:] if change.state)


def test_beeps_toggle_the_buzzer(make_panel):
    panel = make_panel()
    buzzer = panel.factory.pin(22)
    panel.beep_read()
    assert _wait_for(lambda: len(buzzer.states) >= 3)  # off -> on -> off
    assert _on_periods(buzzer) == 1 and buzzer.state is False
    buzzer.clear_states()
    panel.beep_error()
    assert _wait_for(lambda: len(buzzer.states) >= 5)
    assert _on_periods(buzzer) == 2 and buzzer.state is False


def test_beeps_can_be_turned_off(make_panel):
    panel = make_panel(beep_on_read=False, beep_on_error=False)
    buzzer = panel.factory.pin(22)
    panel.beep_read()
    panel.beep_error()
    time.sleep(0.2)
    assert len(buzzer.states) == 1  # never changed


def test_parts_set_to_none_are_left_out(make_panel):
    panel = make_panel(led=None, buzzer=None)
    panel.status("error")
    panel.beep_error()
    assert panel.describe()["led"] is None and panel.describe()["button"] == 17


def test_a_pin_that_cannot_be_claimed_leaves_the_other_parts_working(make_panel):
    panel = make_panel(led=17)  # the button's pin
    assert panel.led is None and panel.button is not None
    assert panel.describe()["state"] == "partial"
    assert panel.error.code == "panel_unavailable" and "led" in panel.error.detail
    panel.status("busy")  # does nothing, raises nothing


def test_none_is_inert():
    panel = Panel(PanelConfig(pins="none"))
    panel.status("busy")
    panel.beep_read()
    panel.beep_error()
    assert panel.factory is None and not panel.available
    assert panel.describe()["state"] == "absent"
    panel.close()


def test_native_without_gpio_reports_unavailable_instead_of_crashing():
    from gpiozero import Device

    panel = Panel(PanelConfig(pins="native"))
    if panel.factory is not None:
        panel.close()
        pytest.skip("this machine has working GPIO")
    assert not panel.available
    described = panel.describe()
    assert described["state"] == "unavailable"
    assert panel.error.code == "panel_unavailable"
    assert "lgpio" in described["error"]
    panel.status("error")
    panel.beep_error()
    panel.close()
    assert Device.pin_factory is None  # the process-wide default was never touched


def test_close_releases_the_pins(make_panel):
    panel = make_panel()
    panel.status("busy")
    panel.close()
    assert panel.describe()["state"] == "closed"
    assert panel.factory.pins == {}  # our own factory, closed with the panel
    panel.status("error")  # after close: ignored
    panel.close()
