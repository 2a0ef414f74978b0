"""The button, the status LED and the buzzer, on GPIO through gpiozero, failing softly.

``[panel] pins`` chooses gpiozero's pin factory::

    pins      factory                                   use
    native    lgpio, else RPi.GPIO, else gpiozero's     the box
              pure-Python one (the first that loads)
    mock      gpiozero.pins.mock.MockFactory            the twin: tests drive its pins
    none      -                                         no button, LED nor buzzer

Each device gets its factory passed in (``pin_factory=``); the process-wide
``Device.pin_factory`` is never touched, so tests and the daemon cannot fight
over it. A factory that cannot load (not a Raspberry Pi, no GPIO library, no
access to ``/dev/gpiochip*``) or a pin that cannot be claimed leaves that part
unavailable, reported by :meth:`Panel.describe`: the panel never raises.

Wiring: the button between its GPIO and ground (the internal pull-up holds it
high), the LED and an *active* buzzer driven high to sound.

gpiozero calls back from its own threads (the pin's edge thread, the hold
thread): ``Panel(call=loop.call_soon_threadsafe)`` hops to the event loop. A
callback must not close the panel when called directly (it would join the
thread it runs in).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import BackendError

__all__ = ["STATUSES", "Panel"]

log = logging.getLogger("borne.display.panel")

#: LED patterns: None = steady on, (on_s, off_s) = blinking, False = off.
_LED = {"ready": None, "busy": (0.5, 0.5), "error": (0.1, 0.1), "off": False}
#: The states :meth:`Panel.status` takes.
STATUSES = tuple(_LED)
#: Buzzer patterns: (on_s, off_s, count).
_BEEP_READ = (0.08, 0.0, 1)
_BEEP_ERROR = (0.25, 0.15, 2)
#: A button's contacts bounce for a few milliseconds: one press, one event.
_BOUNCE_S = 0.03
#: Factories tried, in order, for ``pins = "native"``: lgpio works on every Pi
#: (the Pi 5 included) and is Raspberry Pi OS's default.
_NATIVE = (("lgpio", "gpiozero.pins.lgpio", "LGPIOFactory"),
           ("rpigpio", "gpiozero.pins.rpigpio", "RPiGPIOFactory"),
           ("native", "gpiozero.pins.native", "NativeFactory"))


def _call_directly(callback: Callable[[], object]) -> None:
    callback()


def _make_factory(pins: str) -> Any:
    """The pin factory for ``pins`` ("native" or "mock"), or a BackendError."""
    if pins == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    reasons = []
    for name, module, cls in _NATIVE:
        try:
            return getattr(importlib.import_module(module), cls)()
        except Exception as error:  # ImportError, gpiozero's BadPinFactory, OSError...
            reasons.append(f"{name}: {error}")
    raise BackendError("no GPIO library can drive the pins here (" + "; ".join(reasons) + ")",
                       code="panel_unavailable")


class Panel:
    """The box's button, status LED and buzzer (``[panel]`` of the config).

    Set :attr:`on_press` (a short press: next screen / OK) and
    :attr:`on_long_press` (held ``long_press_s``: open pairing); each press
    calls exactly one of them, once. Every call is delivered through ``call``
    (default: at once, in gpiozero's thread). ``pin_factory`` overrides the
    one ``pins`` names (tests); the panel closes only a factory it made.
    """

    def __init__(self, config: Any, *, call: Callable[[Callable[[], object]], object] | None = None,
                 pin_factory: Any = None) -> None:
        self.config = config
        #: Called (through ``call``) on a short press, and on a long press.
        self.on_press: Callable[[], object] | None = None
        self.on_long_press: Callable[[], object] | None = None
        self._call = call or _call_directly
        #: The gpiozero pin factory (None when ``pins = "none"`` or it failed).
        self.factory: Any = None
        self.button: Any = None
        self.led: Any = None
        self.buzzer: Any = None
        #: Why the panel, or a part of it, is unavailable (None: all is well).
        self.error: BackendError | None = None
        self._part_errors: dict[str, str] = {}
        self._owns_factory = pin_factory is None
        self._status = "off"
        self._closed = False
        # The press being decided: "up", "down" (pressed, not yet long) or "long".
        self._press = "up"
        self._press_lock = threading.Lock()
        if config.pins == "none":
            return
        try:
            self.factory = pin_factory if pin_factory is not None else _make_factory(config.pins)
        except BackendError as error:
            self.error = error
            log.warning("panel unavailable: %s", error.detail)
            return
        self._build()

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        from gpiozero import LED, Button, Buzzer

        config, factory = self.config, self.factory
        if config.button is not None:
            self.button = self._part("button", lambda: Button(
                config.button, pull_up=True, bounce_time=_BOUNCE_S,
                hold_time=config.long_press_s, pin_factory=factory))
            if self.button is not None:
                self.button.when_pressed = self._pressed
                self.button.when_held = self._held
                self.button.when_released = self._released
        if config.led is not None:
            self.led = self._part("led", lambda: LED(config.led, pin_factory=factory))
        if config.buzzer is not None:
            self.buzzer = self._part("buzzer", lambda: Buzzer(config.buzzer, pin_factory=factory))
        if self._part_errors:
            detail = "; ".join(f"{part}: {reason}" for part, reason in self._part_errors.items())
            self.error = BackendError(detail, code="panel_unavailable")

    def _part(self, name: str, build: Callable[[], Any]) -> Any:
        # One part that cannot claim its pin (busy, invalid) leaves the others working.
        try:
            return build()
        except Exception as error:
            self._part_errors[name] = f"{type(error).__name__}: {error}"
            log.warning("panel %s unavailable: %s", name, error)
            return None

    # -- the button ------------------------------------------------------------------------
    # gpiozero clears ``is_held`` *before* calling when_released, so the release
    # cannot ask the button whether the press was long: the press's own state,
    # under a lock, decides. The hold thread and the edge thread may race at
    # exactly long_press_s; whichever takes the lock first wins, and the press
    # still counts once.

    def _pressed(self) -> None:
        with self._press_lock:
            self._press = "down"

    def _held(self) -> None:
        with self._press_lock:
            if self._press != "down":
                return
            self._press = "long"
        self._deliver("on_long_press")

    def _released(self) -> None:
        with self._press_lock:
            short = self._press == "down"
            self._press = "up"
        if short:
            self._deliver("on_press")

    def _deliver(self, name: str) -> None:
        callback = getattr(self, name)
        if callback is None:
            return
        try:
            self._call(callback)
        except Exception:
            # Raised in gpiozero's hold thread, an exception would end that thread
            # and with it every later long press: log it instead.
            log.exception("panel %s callback failed", name)

    def press_for_test(self, hold_s: float) -> None:
        """Press the button for ``hold_s`` seconds on mock pins (the simulator's button).

        Blocking; only with ``pins = "mock"``: a real button is pressed by a finger.
        """
        if self.config.pins != "mock" or self.button is None:
            raise BackendError("no simulated button", code="panel_unavailable")
        pin = self.button.pin
        pin.drive_low()  # pulled up: pressed pulls it to ground
        time.sleep(hold_s)
        pin.drive_high()

    # -- the LED and the buzzer ------------------------------------------------------------

    def status(self, state: str) -> None:
        """Show ``state`` on the LED: "ready" (on), "busy" (slow blink), "error" (fast
        blink) or "off". Setting the current state again does not restart a blink."""
        if state not in _LED:
            raise ValueError(f"unknown status {state!r} (one of {', '.join(STATUSES)})")
        if state == self._status or self._closed:
            return
        self._status = state
        pattern = _LED[state]
        if self.led is None:
            return
        if pattern is None:
            self._soft("led", self.led.on)
        elif pattern is False:
            self._soft("led", self.led.off)
        else:
            on_s, off_s = pattern
            self._soft("led", lambda: self.led.blink(on_s, off_s, background=True))

    def beep_read(self) -> None:
        """One short beep (a good read), unless ``beep_on_read`` is off. Returns at once."""
        if self.config.beep_on_read:
            self._beep(*_BEEP_READ)

    def beep_error(self) -> None:
        """Two longer beeps (an error), unless ``beep_on_error`` is off. Returns at once."""
        if self.config.beep_on_error:
            self._beep(*_BEEP_ERROR)

    def _beep(self, on_s: float, off_s: float, count: int) -> None:
        if self.buzzer is None or self._closed:
            return
        # A new beep cuts the one in progress (gpiozero stops the old blink thread).
        self._soft("buzzer", lambda: self.buzzer.beep(on_s, off_s, count, background=True))

    def _soft(self, part: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as error:  # a GPIO write failing must not stop the daemon
            log.warning("panel %s: %s", part, error)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether a pin factory loaded (some parts may still be missing, see :meth:`describe`)."""
        return self.factory is not None and not self._closed

    def describe(self) -> dict[str, Any]:
        """What ``borne status`` shows about the panel."""
        if self.config.pins == "none":
            state = "absent"
        elif self._closed:
            state = "closed"
        elif self.factory is None:
            state = "unavailable"
        else:
            state = "partial" if self._part_errors else "available"
        return {"device": "panel", "pins": self.config.pins, "state": state,
                "button": self.config.button if self.button is not None else None,
                "led": self.config.led if self.led is not None else None,
                "buzzer": self.config.buzzer if self.buzzer is not None else None,
                "status": self._status,
                "error": self.error.detail if self.error is not None else None}

    def close(self) -> None:
        """Stop blinking and beeping, release the pins (and the factory if it is ours)."""
        if self._closed:
            return
        self._closed = True
        for part in ("button", "led", "buzzer"):
            device = getattr(self, part)
            if device is not None:
                self._soft(part, device.close)
        if self.factory is not None and self._owns_factory:
            self._soft("factory", self.factory.close)
