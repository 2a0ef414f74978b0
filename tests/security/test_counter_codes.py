"""A person at the counter, or a hostile USB "keyboard", against the scanner and the recognition.

What they control is the key events a device sends and the codes shown to the
camera or the scanner. Neither may grow the box's memory without bound, stall the
event loop, hide a genuine presentation, or put a payload in the log. Pure: no
root, no device.
"""

from __future__ import annotations

import logging
import time

from borne.apcv.recognise import compile_rules, recognise
from borne.config import DEFAULT_RULES
from borne.domain.gs1 import parse
from borne.readers.qr.key_decoder import UNKNOWN_KEY, Failure, KeyDecoder, Payload
from borne.readers.qr.keymaps import KEY, keystrokes_for

GS = "\x1d"
GTIN = "03400930000014"


def test_alt_held_with_endless_keypad_digits_fails_at_once_and_stays_small():
    decoder = KeyDecoder("qwerty")
    outcomes = decoder.feed(KEY["KEY_LEFTALT"], 1, 1.0)
    for n in range(10_000):
        outcomes += decoder.feed(KEY["KEY_KP9"], 1, 1.0) + decoder.feed(KEY["KEY_KP9"], 0, 1.0)
        if n == 4:
            assert outcomes == [Failure(UNKNOWN_KEY)]  # the fifth digit: no Alt code is so long
    assert outcomes == [Failure(UNKNOWN_KEY)]
    assert len(repr(vars(decoder))) < 1000  # nothing kept of what followed
    # The device lets go and ends its code: the scanner reads the next code as usual.
    for code, value in [(KEY["KEY_LEFTALT"], 0), (KEY["KEY_ENTER"], 1), (KEY["KEY_ENTER"], 0),
                        *keystrokes_for("ok", "qwerty", enter=True)]:
        outcomes += decoder.feed(code, value, 1.1)
    assert outcomes[-1] == Payload(b"ok")


def test_crafted_element_strings_are_cheap_to_refuse():
    rules = compile_rules(DEFAULT_RULES)
    hostile = [
        f"]d201{GTIN}" + f"10A{GS}" * 1000,      # the same AI again and again
        f"01{GTIN}10" + "A" * 4000,               # one endless variable field
        "\x1d" * 4096, "]d2" + "01" * 2046, f"01{GTIN}" + "17271231" * 500,
    ]
    for text in hostile:
        payload = text.encode()[:4096]
        started = time.perf_counter()
        assert parse(payload) is None
        recognise(payload, "qr_scanner", rules, 4096)
        assert time.perf_counter() - started < 0.05, text[:20]


def test_a_medicine_box_code_is_never_logged(caplog):
    from borne.apcv.service import ApcvService  # the service logs; recognition does not
    from borne.config import ApcvConfig
    from borne.core import Core
    from borne.events import EventBus
    from borne.runtime.clock import Clock

    clock = Clock()
    bus = EventBus(clock)
    service = ApcvService(bus, clock, Core(bus, clock), ApcvConfig())
    code = f"]d201{GTIN}17271231107A2B{GS}21S3CR3TSERIAL"
    with caplog.at_level(logging.DEBUG):
        service.payload_captured("qr_scanner", code.encode(), 0)
    assert service.gs1_ignored == 1
    assert "S3CR3TSERIAL" not in caplog.text and GTIN not in caplog.text and "7A2B" not in caplog.text
