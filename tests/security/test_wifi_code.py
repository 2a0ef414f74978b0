"""A crafted ``WIFI:`` code (issue 19): anyone at the counter can show the camera any QR
code, or type anything on a scanner. It must be refused with its code, quickly, in little
memory, and no refusal may quote the code: the password would reach a log line or an event.

Pure parsing, no daemon: the parser is what every capture path hands the code to.
"""

from __future__ import annotations

import time
import tracemalloc
import traceback

import pytest

from borne.network.wifi_code import MALFORMED, WifiCodeError, parse_wifi

SECRET = "Pw-that-must-not-leak"
HUGE = 1_000_000

CRAFTED = {
    "huge str": "WIFI:S:" + "a" * HUGE + ";;",
    "huge bytes": b"WIFI:S:" + b"a" * HUGE + b";;",
    "huge after a scanner's Enter": "WIFI:S:net;;" + "\n" * HUGE,
    "10 000 escapes": "WIFI:S:" + "\\;" * 10_000 + ";;",
    "10 000 fields": "WIFI:" + "X:;" * 10_000 + ";",
    "escapes within the cap": "WIFI:S:" + "\\;" * 200 + ";;",
    "fields within the cap": "WIFI:S:n;" + "X:;" * 160 + ";",
    "an unclosed quote within the cap": 'WIFI:S:"' + "a" * 490 + ";;",
    "NUL in the SSID": "WIFI:S:net\x00work;;",
    "NUL in the password": f"WIFI:T:WPA;S:net;P:{SECRET}\x00;;",
    "NUL bytes": b"WIFI:S:net\x00;;",
    "ESC sequence in the SSID": "WIFI:S:\x1b[2Jnet;;",
    "DEL in the SSID": "WIFI:S:net\x7f;;",
    "C1 CSI in the SSID": "WIFI:S:net\x9b2J;;",
    "line feed in the SSID": "WIFI:S:net\nwork;;",
    "right-to-left override in the SSID": "WIFI:S:\u202eeicamrahP;;",
    "isolate in the SSID": "WIFI:S:net\u2066x\u2069;;",
    "lone surrogate": "WIFI:S:net\udc80;;",
    "invalid UTF-8": b"WIFI:S:\xc3\x28;;",
    "two SSIDs": "WIFI:S:Pharmacie;S:Patient;;",
}


@pytest.mark.parametrize("code", list(CRAFTED.values()), ids=list(CRAFTED))
def test_crafted_code_is_refused_in_bounded_time_and_memory(code):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(WifiCodeError) as caught:
            parse_wifi(code)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == MALFORMED
    assert elapsed < 0.5  # parsing a capped code takes well under a millisecond
    assert peak < 64 * 1024  # the largest code is 1 MB: never copied, never split


@pytest.mark.parametrize("code", [
    f"WIFI:T:WEP;S:net;P:{SECRET};;",
    f"WIFI:T:WPA2-EAP;S:net;E:PEAP;I:{SECRET};P:{SECRET};;",
    f"WIFI:T:WPA;S:net;P:{SECRET}é;;",
    f"WIFI:T:WPA;S:net;P:{SECRET * 4};;",
    f"WIFI:T:WPA;S:net;P:{SECRET}",
    f"WIFI:T:WPA;S:net;P:{SECRET}\\",
    f'WIFI:T:WPA;S:net;P:"{SECRET};;',
    f"WIFI:T:WPA;S:net;P:{SECRET};P:{SECRET};;",
    f"WIFI:T:WPA;S:net;P:{SECRET};H:{SECRET};;",
    f"WIFI:T:WPA;R:{SECRET};S:net;P:{SECRET};;",
    f"WIFI:T:{SECRET};S:net;P:{SECRET};;",
    f"WIFI:T:WPA;S:{SECRET}\x00;P:{SECRET};;",
    f"WIFI:T:WPA;S:net;P:{SECRET};;{SECRET}",
    f"WIFI:T:WPA;S:net;P:{SECRET}\x00;;".encode(),
    f"WIFI:T:WPA;S:\xff;P:{SECRET};;".encode("latin-1"),
])
def test_no_refusal_quotes_the_code(code):
    with pytest.raises(WifiCodeError) as caught:
        parse_wifi(code)
    error = caught.value
    shown = [str(error), repr(error), error.message("fr"), error.message("en"),
             repr(error.args), repr(error.details),
             "".join(traceback.format_exception(error))]
    for text in shown:
        assert SECRET not in text
    assert error.__cause__ is None and error.__context__ is None
