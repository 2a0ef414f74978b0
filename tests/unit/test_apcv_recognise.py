"""Recognition rules: ordered, configurable, never inventing the apCV's format."""

from __future__ import annotations

import pytest

from borne.apcv.recognise import PayloadRejected, compile_rules, recognise
from borne.config import DEFAULT_RULES, RecognitionRule, parse_config

RULES = compile_rules(DEFAULT_RULES)


@pytest.mark.parametrize(("payload", "channel", "kind"), [
    (b"01S2TBPZ2JCNZZYGHZ", "qr_camera", "prescription"),     # the public sample's shape
    (b"01S2TBPZ2JCNZZYGH", "qr_camera", "unknown"),           # 17 characters: too short
    (b"01s2tbpz2jcnzzyghz", "qr_scanner", "unknown"),         # lower case: not the shape
    (b"https://exemple.fr/ordonnance?id=42", "qr_camera", "unknown"),
    (bytes(range(256)) * 2, "qr_camera", "apcv"),             # binary token
    (b"A" * 80, "qr_scanner", "apcv"),
    (b"A" * 40, "qr_scanner", "unknown"),                     # under the 64-byte floor
    (b"short", "qr_camera", "unknown"),
    (b"\x01\x02", "nfc", "apcv"),                             # the apCV application answered
])
def test_default_rules(payload, channel, kind):
    assert recognise(payload, channel, RULES, 4096).kind == kind


def test_empty_and_oversized_are_rejected_with_codes():
    with pytest.raises(PayloadRejected) as empty:
        recognise(b"", "qr_camera", RULES, 4096)
    assert empty.value.code == "capture_empty"
    with pytest.raises(PayloadRejected) as big:
        recognise(b"x" * 4097, "qr_camera", RULES, 4096)
    assert big.value.code == "capture_too_large"


def test_a_deployment_narrows_the_apcv_rule():
    # A half apCV-like code: the right prefix but the wrong length is not an apCV.
    config = parse_config({"apcv": {"rules": [
        {"kind": "apcv", "prefix_hex": "4143", "min_bytes": 30, "max_bytes": 60},
        {"kind": "prescription", "pattern": "[0-9A-Z]{18}"},
    ]}})
    rules = compile_rules(config.apcv.rules)
    assert recognise(b"AC" + b"x" * 40, "qr_camera", rules, 4096).kind == "apcv"
    assert recognise(b"AC" + b"x" * 10, "qr_camera", rules, 4096).kind == "unknown"
    assert recognise(b"ZZ" + b"x" * 40, "qr_camera", rules, 4096).kind == "unknown"


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="bad pattern"):
        compile_rules([RecognitionRule(kind="apcv", pattern="(")])
    with pytest.raises(ValueError, match="not hex"):
        compile_rules([RecognitionRule(kind="apcv", prefix_hex="zz")])
