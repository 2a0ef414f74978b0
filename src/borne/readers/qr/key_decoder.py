"""A USB QR scanner's key events turned into codes: one state machine, fed key by key.

The layouts (which key types which character) are :mod:`borne.readers.qr.keymaps`.

Never silently dropped: a key or sequence that the layout cannot turn into a
character is an error (:data:`UNKNOWN_KEY`), and so is Ctrl, Alt or Meta held
with a key (a shortcut, not text) except the two chords scanners use for what a
keyboard cannot type: Ctrl + the layout's GS key (the FNC1 separator of GS1
codes) and Alt + keypad digits (an Alt code, typed when Alt is released; see
:mod:`~borne.readers.qr.keymaps`), a dead key followed by something it does not
compose with (X's Compose knows a few more, such as ``^`` ``1`` → ``¹``; a
scanner does not type them), and Enter while a dead key waits. Kernel
autorepeat (value 2) is ignored: a scanner sends a fresh press for a doubled
character, and a repeat only means a key report arrived late.

Payloads are health data: :class:`KeyDecoder` keeps the characters of the code
being typed and nothing else, and :class:`Payload` does not show them in its repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .keymaps import (
    DEAD_KEYS,
    ENTER_KEYS,
    KEY_CAPSLOCK,
    KEY_LEFTALT,
    KEY_LEFTCTRL,
    KEY_LEFTMETA,
    KEY_LEFTSHIFT,
    KEY_RIGHTALT,
    KEY_RIGHTCTRL,
    KEY_RIGHTMETA,
    KEY_RIGHTSHIFT,
    KEYPAD_DIGITS,
    MODIFIER_KEYS,
    SILENT_KEYS,
    Layout,
    alt_code,
    compose,
    get_layout,
    is_char,
)

__all__ = ["INCOMPLETE", "MAX_CHARS", "PAYLOAD_TOO_LARGE", "UNKNOWN_KEY", "Failure", "KeyDecoder",
           "Outcome", "Payload"]

#: Stable error codes (capture.error events).
UNKNOWN_KEY = "scanner_unknown_key"  # a key or sequence the layout gives no character for
INCOMPLETE = "scanner_incomplete"  # keys stopped (gap, unplug) before the Enter ending a code
PAYLOAD_TOO_LARGE = "scanner_payload_too_large"  # more than MAX_CHARS characters before Enter

#: Characters in one code beyond which it is refused (a QR code holds at most 4296).
MAX_CHARS = 4096
#: Keypad digits in one Alt code (``0255`` at most).
MAX_ALT_DIGITS = 4


@dataclass(frozen=True)
class Payload:
    """A complete code: the text typed before Enter, in UTF-8. Health data: never log it."""

    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Failure:
    """A code that could not be read; ``code`` is one of the stable codes above."""

    code: str


Outcome = Union[Payload, Failure]


class KeyDecoder:
    """Turns key events into codes: a state machine fed ``(code, value, time)``.

    ``value`` is the kernel's: 1 press, 0 release, 2 autorepeat. Times are
    seconds on any clock that does not jump; keys more than ``gap_s`` apart
    belong to different codes, so a code left unfinished that long is an
    :data:`INCOMPLETE` failure. After a failure the rest of that code (up to its
    Enter or a gap) is ignored, so its tail never passes for a code of its own.
    """

    def __init__(self, layout: str | Layout, *, gap_s: float = 0.5,
                 max_chars: int = MAX_CHARS) -> None:
        self.layout = get_layout(layout)
        self.gap_s = gap_s
        self.max_chars = max_chars
        #: Whether CapsLock is on (toggled by the scanner's own CapsLock presses).
        self.caps_lock = False
        self._held: set[int] = set()
        self._chars: list[str] = []
        self._dead: str | None = None
        self._alt_digits = ""  # keypad digits typed while Alt is held: an Alt code under way
        self._failed = False
        self._last_t: float | None = None

    def feed(self, code: int, value: int, t: float) -> list[Outcome]:
        """One key event at time ``t``; returns the codes it completed or failed."""
        outcomes = self.expire(t)
        self._last_t = t
        if value == 2:
            return outcomes
        if code in MODIFIER_KEYS:
            if value:
                self._held.add(code)
            else:
                self._held.discard(code)
                if self._alt_digits and not self._alt_alone():
                    outcomes += self._end_alt_code()
            return outcomes
        if value != 1:
            return outcomes
        if code == KEY_CAPSLOCK:
            self.caps_lock = not self.caps_lock
        elif code in ENTER_KEYS:
            outcomes += self._finish()
        elif self._failed or code in SILENT_KEYS:
            pass
        elif code in KEYPAD_DIGITS and self._alt_alone():
            self._alt_digits += KEYPAD_DIGITS[code]
            if len(self._alt_digits) > MAX_ALT_DIGITS:  # no character is that long: a device
                outcomes += self._fail(UNKNOWN_KEY)    # holding Alt down never grows this
        elif self._alt_digits:
            outcomes += self._fail(UNKNOWN_KEY)  # an Alt code mixed with another key
        else:
            outcomes += self._type(self._symbol(code))
        return outcomes

    def expire(self, now: float) -> list[Outcome]:
        """Call when no key came for a while: a code unfinished for over ``gap_s`` fails."""
        if self._last_t is not None and now - self._last_t > self.gap_s:
            return self._abandon()
        return []

    def interrupt(self) -> list[Outcome]:
        """The device went away: an unfinished code fails, held keys are forgotten."""
        self._held.clear()
        return self._abandon()

    def reset(self) -> None:
        """Forget everything, as for a newly plugged scanner (CapsLock off)."""
        self._held.clear()
        self.caps_lock = False
        self._clear()
        self._failed = False
        self._last_t = None

    # -- internals ----------------------------------------------------------------------

    def _alt_alone(self) -> bool:
        """Whether Alt, and nothing else, is held (right Alt is Alt only without AltGr)."""
        alone = {KEY_LEFTALT} if self.layout.altgr else {KEY_LEFTALT, KEY_RIGHTALT}
        return len(self._held) == 1 and self._held <= alone

    def _end_alt_code(self) -> list[Outcome]:
        digits, self._alt_digits = self._alt_digits, ""
        return self._type(alt_code(digits, self.layout))

    def _symbol(self, code: int) -> str | None:
        held = self._held
        ctrl = bool(held & {KEY_LEFTCTRL, KEY_RIGHTCTRL})
        alt = KEY_LEFTALT in held
        meta = bool(held & {KEY_LEFTMETA, KEY_RIGHTMETA})
        if ctrl and held <= {KEY_LEFTCTRL, KEY_RIGHTCTRL}:
            return self.layout.control(code)  # Ctrl alone: GS, or a shortcut (None)
        if self.layout.altgr:
            altgr = KEY_RIGHTALT in held or (ctrl and alt)  # Ctrl+Alt: Windows's AltGr
            shortcut = meta or ctrl != alt
        else:
            altgr = False
            shortcut = meta or ctrl or alt or KEY_RIGHTALT in held
        if shortcut:
            return None
        shift = bool(held & {KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
        return self.layout.symbol(code, shift=shift, altgr=altgr, caps=self.caps_lock)

    def _type(self, symbol: str | None) -> list[Outcome]:
        if self._dead is not None:
            dead, self._dead = self._dead, None
            char = compose(dead, symbol)
        elif symbol in DEAD_KEYS:
            self._dead = symbol
            return []
        else:
            char = symbol if is_char(symbol) else None
        if char is None:
            return self._fail(UNKNOWN_KEY)
        self._chars.append(char)
        if len(self._chars) > self.max_chars:
            return self._fail(PAYLOAD_TOO_LARGE)
        return []

    def _finish(self) -> list[Outcome]:
        if self._failed:
            self._failed = False
            return []
        if self._dead is not None or self._alt_digits:
            return self._fail(UNKNOWN_KEY, then_ready=True)
        if not self._chars:
            return []  # a lone Enter carries no code
        payload = Payload("".join(self._chars).encode("utf-8"))
        self._clear()
        return [payload]

    def _abandon(self) -> list[Outcome]:
        unfinished = bool(self._chars) or self._dead is not None or bool(self._alt_digits)
        self._clear()
        self._failed = False
        return [Failure(INCOMPLETE)] if unfinished else []

    def _fail(self, code: str, *, then_ready: bool = False) -> list[Outcome]:
        self._clear()
        self._failed = not then_ready
        return [Failure(code)]

    def _clear(self) -> None:
        self._chars = []
        self._dead = None
        self._alt_digits = ""
