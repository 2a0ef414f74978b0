"""The screen, the status LED and the buzzer, following the daemon's event stream.

:class:`DisplayService` listens to the event bus, folds each event into a
:class:`~borne.display.state.ScreenState`, and redraws when the view changes or
a countdown ticks: layout and drawing are pure (:mod:`borne.display.render`);
pushing the frame to the panel (I2C/SPI, tens of milliseconds) runs in a worker
thread so the event loop never waits on the bus.

- After ``dim_after_s`` without activity the panel dims and its content moves a
  few pixels every ``shift_every_s`` (a counter is lit all day: OLEDs burn in);
  during ``night_off`` hours (local time, only once the clock is synchronised)
  it is switched off.
- A panel that is missing or fails (I2C errors) is reported as ``display:
  error`` and retried every ``retry_s``; the daemon runs on without it.
- The button: a short press dismisses the current message, or allows the PIN try
  the screen asks for (``on_pin_confirm``); a long press opens the pairing
  window (``on_long_press``). The LED shows ready/busy/error; the
  buzzer beeps on a good read and sounds an error tone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ..errors import BorneError
from ..events import (ApcvPresented, CaptureFailed, CardDecoded, CardFailed, CardInserted, Event,
                      PrescriptionScanned)
from .state import ScreenState

__all__ = ["DisplayService", "in_night_off"]

log = logging.getLogger("borne.display")

_GOOD_READS = (CardDecoded, ApcvPresented, PrescriptionScanned)
_ERRORS = (CardFailed, CaptureFailed)
#: The content's positions while dimmed, in units of ``shift_px``.
_SHIFTS = ((0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))


def in_night_off(spec: str, hour: int, minute: int) -> bool:
    """Whether ``hour:minute`` falls in ``"HH:MM-HH:MM"`` (which may span midnight)."""
    if not spec:
        return False
    start, _, end = spec.partition("-")
    begin = int(start[:2]) * 60 + int(start[3:5])
    finish = int(end[:2]) * 60 + int(end[3:5])
    now = hour * 60 + minute
    return begin <= now < finish if begin <= finish else now >= begin or now < finish


class DisplayService:
    """Drives one panel (and optionally the GPIO panel) from the event bus."""

    def __init__(self, config: Any, bus: Any, clock: Any, device: Any, *, core: Any = None,
                 panel: Any = None, language: str = "fr",
                 on_long_press: Callable[[], None] | None = None,
                 device_state: Callable[[str, str, str | None], None] | None = None,
                 pairing_current: Callable[[], Any] | None = None,
                 reads_waiting: int = 0,
                 on_pin_confirm: Callable[[str], None] | None = None) -> None:
        self._config = config.display
        self._bus = bus
        self._clock = clock
        self._device = device
        self._core = core
        self.panel = panel
        self._language = language
        self._on_long_press = on_long_press
        self._on_pin_confirm = on_pin_confirm
        #: Called when the button confirms the Wi-Fi network the screen asks about.
        self.on_wifi_confirm: Callable[[], object] | None = None
        #: The Wi-Fi network's signal now (0..100; None: not on Wi-Fi), for the status line.
        self.wifi_signal: Callable[[], int | None] | None = None
        self._device_state = device_state or (lambda *_: None)
        # Whether the pairing window is still open (it closes early on success or
        # after too many wrong codes): the code leaves the screen at once. Looked at
        # each second with the countdown, which also shows another device trying.
        self._pairing_current = pairing_current
        # Reads already waiting in the journal (a box restarted on the road): shown at once.
        self.state = ScreenState(mode=getattr(core, "mode", "counter"), reads_waiting=reads_waiting,
                                 site_profession=config.apcv.site_profession_key())
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._opened = False
        self._shown: tuple[bytes, int, bool] | None = None
        #: The last frame the panel accepted (the simulator prints it).
        self.last_image: Any = None
        #: Sequence number of the newest event the last shown frame reflects.
        self.shown_seq = 0
        self._pending_seq = 0
        #: Called with (event seq, monotonic ns) after each frame reaches the panel (bench).
        self.on_shown: Callable[[int, int], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Follow the bus from now on, and draw the first screen."""
        loop = asyncio.get_running_loop()
        now = self._clock.monotonic()
        for event in self._bus.history():  # catch up with what happened before
            self.state.apply(event.data, now, self._cps_lookup)
        self.state.last_activity = now
        self._bus.add_listener(self._on_event)
        if self.panel is not None:
            self.panel.on_press = lambda: loop.call_soon_threadsafe(self._press)
            self.panel.on_long_press = lambda: loop.call_soon_threadsafe(self._long_press)
            self.panel.status("ready")
        self._task = loop.create_task(self._run())

    async def stop(self) -> None:
        """Stop drawing, switch the panel off, release it."""
        self._bus.remove_listener(self._on_event)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._opened:
            try:
                await asyncio.to_thread(self._device.close)
            except BorneError:
                pass
        if self.panel is not None:
            self.panel.close()

    # -- inputs ----------------------------------------------------------------------------

    def _cps_lookup(self, slot: str) -> tuple[str | None, str | None]:
        card = self._core.card(slot) if self._core is not None else None
        holder = getattr(card, "holder", None)
        name = f"{holder.first_name} {holder.surname}" if holder is not None else None
        return name, getattr(card, "profession", None)

    def _on_event(self, event: Event) -> None:
        if self.state.apply(event.data, self._clock.monotonic(), self._cps_lookup):
            self._pending_seq = event.seq
            self._wake.set()
        if self.panel is not None:
            if isinstance(event.data, _GOOD_READS):
                self.panel.beep_read()
            elif isinstance(event.data, _ERRORS):
                self.panel.beep_error()
            if isinstance(event.data, CardInserted):
                self.panel.status("busy")
            elif isinstance(event.data, _GOOD_READS + _ERRORS):
                self.panel.status("ready")

    def show_pairing(self, code: str, expires_mono: float) -> None:
        """Show the pairing code until ``expires_mono`` (the code never goes in an event)."""
        self.state.show_pairing(code, expires_mono, self._clock.monotonic())
        self._pending_seq = self._bus.last_seq
        self._wake.set()

    def hide_pairing(self) -> None:
        """The window closed early (paired, closed, too many wrong codes)."""
        self.state.pairing = None
        self._wake.set()

    def show_pin_request(self, slot: str, until: float) -> None:
        """Ask the person at the box to allow a PIN's last try (a short press), until ``until``."""
        self.state.ask_pin(slot, until, self._clock.monotonic())
        self._pending_seq = self._bus.last_seq
        self._wake.set()

    def _press(self) -> None:
        if self.state.take_wifi_press(self._clock.monotonic()):
            if self.on_wifi_confirm is not None:  # the person at the box said yes
                self.on_wifi_confirm()
            self._wake.set()
            return
        slot = self.state.press(self._clock.monotonic())
        if slot is not None and self._on_pin_confirm is not None:
            self._on_pin_confirm(slot)
        self._wake.set()

    def _long_press(self) -> None:
        if self._on_long_press is not None:
            self._on_long_press()

    # -- drawing ---------------------------------------------------------------------------

    def _dim_after_s(self) -> float:
        """Seconds of quiet before dimming: sooner on battery (mobile mode)."""
        if self.state.mode == "mobile":
            return self._config.mobile_dim_after_s
        return self._config.dim_after_s

    def _look(self, now: float) -> tuple[int, tuple[int, int], bool]:
        """(contrast, offset, on) for now: dimmed and shifting when idle; off at night."""
        config = self._config
        wall = self._clock.wall()
        if config.night_off and wall.synchronised:
            local = time.localtime(self._clock.time())  # a client-set clock corrects the kernel's
            if in_night_off(config.night_off, local.tm_hour, local.tm_min) \
                    and now - self.state.last_activity >= self._dim_after_s():
                return 0, (0, 0), False
        idle, dim_after = now - self.state.last_activity, self._dim_after_s()
        if idle < dim_after:
            return config.brightness, (0, 0), True
        step = int((idle - dim_after) // max(config.shift_every_s, 1.0)) + 1
        dx, dy = _SHIFTS[step % len(_SHIFTS)]
        return config.dim_brightness, (dx * config.shift_px, dy * config.shift_px), True

    def _next_wake(self, now: float) -> float:
        times = [now + 30.0]
        change = self.state.next_change(now)
        if change is not None:
            times.append(change)
        idle, dim_after = now - self.state.last_activity, self._dim_after_s()
        if idle < dim_after:
            times.append(self.state.last_activity + dim_after)
        else:
            times.append(now + max(self._config.shift_every_s, 1.0))
        return max(0.0, min(times) - now)

    def frame(self, now: float) -> tuple[Any, int, bool]:
        """The image to show at ``now``, with its contrast and whether the panel is on."""
        from .render import render
        from .views import StatusStrip

        contrast, offset, on = self._look(now)
        self.state.clock_synced = self._clock.wall().synchronised
        view = self.state.view(now)
        status = StatusStrip(clock_synced=self.state.clock_synced,
                             battery_percent=self.state.battery_percent,
                             charging=self.state.charging,
                             wifi_signal=self.wifi_signal() if self.wifi_signal else None)
        image = render(view, width=self._device.width, height=self._device.height,
                       mode=self._device.mode, language=self._language, offset=offset,
                       status=status)
        return image, contrast, on

    async def _run(self) -> None:
        while True:
            now = self._clock.monotonic()
            seq = self._pending_seq
            if self.state.pairing is not None and self._pairing_current is not None:
                window = self._pairing_current()
                if window is None:
                    self.state.pairing = None
                else:  # another device trying, wrong codes: the owner may reopen
                    self.state.pairing_trouble = (window.contested, window.failures)
            image, contrast, on = self.frame(now)
            try:
                opened = await asyncio.to_thread(self._push, image, contrast, on)
            except BorneError as error:
                self._opened = False
                self._device_state("display", "error", error.message("en"))
                await asyncio.sleep(self._config.retry_s)
                continue
            if opened:
                self._device_state("display", "available", None)
            self.shown_seq = max(self.shown_seq, seq)
            if self.on_shown is not None:
                self.on_shown(seq, time.monotonic_ns())
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that lands just after an event set _wake (CPython gh-86296): stop() then hung.
            try:
                async with asyncio.timeout(self._next_wake(now)):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    def _push(self, image: Any, contrast: int, on: bool) -> bool:
        """Worker thread: open the panel if needed, show the frame if it changed.

        Returns True if the panel was (re)opened now.
        """
        opened = False
        if not self._opened:
            self._device.open()
            self._opened = opened = True
            self._shown = None
        key = (image.tobytes(), contrast, on)
        if key == self._shown:
            return opened
        if not on:
            self._device.power(False)
        else:
            if self._shown is None or not self._shown[2]:
                self._device.power(True)
            if self._shown is None or self._shown[1] != contrast:
                self._device.contrast(contrast)
            self._device.show(image)
        self._shown = key
        self.last_image = image
        return opened
