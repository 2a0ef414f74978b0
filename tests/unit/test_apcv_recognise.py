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


GS = b"\x1d"
#: A French medicine box's GS1 DataMatrix as a scanner sends it: 72 bytes, over the 64-byte
#: floor of the default apCV rule (GTIN 0 + CIP13 3400930000001, check digit 4).
MEDICINE = b"]d201034009300000141727123110BATCH2024061700A1" + GS + b"21SN7QK2ZD9R4HXW1CLM42"
#: The same with a wrong GTIN check digit: it looks like GS1 but is not one.
MISREAD = MEDICINE.replace(b"0103400930000014", b"0103400930000015")


@pytest.mark.parametrize(("payload", "channel", "kind"), [
    (MEDICINE, "qr_scanner", "gs1"),
    (MEDICINE[3:], "qr_camera", "gs1"),          # the camera gives no AIM identifier
    (MEDICINE + b"0" * 4000, "qr_scanner", "apcv"),  # not GS1 (serial too long): the rules
    (MISREAD, "qr_scanner", "apcv"),             # the rules decide, as for any other code
    (MISREAD[:40], "qr_scanner", "unknown"),
    (MEDICINE, "nfc", "apcv"),                   # NFC: whatever the apCV app answers is its
])
def test_gs1_codes_are_recognised_before_the_rules(payload, channel, kind):
    assert len(MEDICINE) >= 64
    assert recognise(payload, channel, RULES, 8192).kind == kind


def test_gs1_comes_first_whatever_the_rules():
    everything_is_apcv = compile_rules([RecognitionRule(kind="apcv")])
    assert recognise(MEDICINE, "qr_scanner", everything_is_apcv, 4096).kind == "gs1"
    assert recognise(MISREAD, "qr_scanner", everything_is_apcv, 4096).kind == "apcv"


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
