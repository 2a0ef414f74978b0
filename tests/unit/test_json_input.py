"""The one JSON body reader: depth-bounded, linear, never a RecursionError."""

from __future__ import annotations

import json
import time

import pytest

from borne.api.json_input import MAX_DEPTH, JsonRefused, loads_bounded


@pytest.mark.parametrize("text", ["1", "[]", '{"a": [1, {}]}', b'{"a": "\xc3\xa9"}',
                                  "[" * MAX_DEPTH + "]" * MAX_DEPTH])
def test_takes_json_up_to_the_bound(text):
    assert loads_bounded(text) == json.loads(text)


@pytest.mark.parametrize("text, reason", [
    ("[" * 5000, "body is nested too deeply"),
    ("[" * 5000 + "]" * 5000, "body is nested too deeply"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "body is nested too deeply"),
    ('{"a":' * 40 + "1" + "}" * 40, "body is nested too deeply"),
    ("", "body is not JSON"), ("{", "body is not JSON"), (b"\xff\xfe\xfd", "body is not JSON"),
    ("NaN-ish", "body is not JSON")])
def test_refuses_what_is_not_json_or_too_deep(text, reason):
    with pytest.raises(JsonRefused, match=reason):
        loads_bounded(text)
    assert issubclass(JsonRefused, ValueError)  # the APDU channel's `except ValueError`


def test_a_wide_body_is_measured_quickly():
    wide = "[" + ",".join(["[[]]"] * 12000) + "]"  # about 64 KB, the largest body
    started = time.perf_counter()
    assert len(loads_bounded(wide)) == 12000
    assert time.perf_counter() - started < 1.0
