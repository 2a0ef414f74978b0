"""GS1 element strings (borne.domain.gs1): what a medicine box's DataMatrix sends, as tables of bytes.

The GTINs are French medicine GTIN-14s (``0`` + a CIP13 starting ``34009``) whose
check digits were computed by hand; ``24012345678905`` and ``24012345678909`` are
the good and bad GTIN-14 of GS1's Syntax Engine's own test
(``gs1/gs1-syntax-engine``, ``test_scandata_validateParity``).
"""

from __future__ import annotations

import pytest

from borne.domain.gs1 import ElementString, check_digit, gtin_valid, parse

GS = "\x1d"
GTIN = "03400930000014"        # 0 + CIP13 3400930000001, check digit 4
OTHER_GTIN = "03400955555551"  # check digit 1


@pytest.mark.parametrize(("gtin", "valid"), [
    (GTIN, True), (OTHER_GTIN, True), ("24012345678905", True), ("3400930000014", True),
    ("03400930000015", False), ("24012345678909", False), ("0340093000001", False),
    ("0340093000001x", False), ("034009300000144", False), ("", False),
    ("٠٣٤٠٠٩٣٠٠٠٠٠١٤", False),  # Arabic-Indic digits: isdigit() but not GS1
])
def test_gtin_check_digit(gtin, valid):
    assert gtin_valid(gtin) is valid


def test_check_digit_is_gs1_mod_10():
    assert check_digit("0340093000001") == 4
    assert check_digit("2401234567890") == 5
    assert check_digit("629104150021") == 3  # GS1's own worked example: 6291041500213


@pytest.mark.parametrize(("payload", "symbology", "elements"), [
    # A French medicine box as a scanner with AIM identifiers sends it.
    (f"]d201{GTIN}17271231101234AB{GS}21SERIAL0042", "]d2",
     [("01", GTIN), ("17", "271231"), ("10", "1234AB"), ("21", "SERIAL0042")]),
    # The same without the identifier (the scanner's default), serial before batch.
    (f"01{GTIN}1727123121SN-1/2{GS}10L0T", None,
     [("01", GTIN), ("17", "271231"), ("21", "SN-1/2"), ("10", "L0T")]),
    # FNC1 in first position sent as GS; a trailing GS; a GS after a fixed field.
    (f"{GS}01{GTIN}{GS}1727120010AB{GS}", None,
     [("01", GTIN), ("17", "271200"), ("10", "AB")]),
    # GS1-128, GS1 QR, GS1 DataBar identifiers; production and best-before dates.
    (f"]C101{OTHER_GTIN}11250101", "]C1", [("01", OTHER_GTIN), ("11", "250101")]),
    (f"]Q301{GTIN}15260630", "]Q3", [("01", GTIN), ("15", "260630")]),
    (f"]e001{GTIN}", "]e0", [("01", GTIN)]),
    # The longest fields: 20 characters of set 82.
    (f"01{GTIN}10{'A' * 20}{GS}21!\"%&'()*+,-./:;<=>?_", None,
     [("01", GTIN), ("10", "A" * 20), ("21", "!\"%&'()*+,-./:;<=>?_")]),
])
def test_medicine_box_codes_are_element_strings(payload, symbology, elements):
    parsed = parse(payload.encode())
    assert isinstance(parsed, ElementString)
    assert parsed.symbology == symbology
    assert list(parsed.elements) == elements
    assert parsed.ais == tuple(ai for ai, _ in elements)


@pytest.mark.parametrize("payload", [
    f"]d201{GTIN[:-1]}5172712311012AB",       # wrong GTIN check digit
    f"01{GTIN[:-1]}517271231",                # the same without identifier
    f"]d21727123110AB{GS}21X",                # no GTIN at all
    f"]Q101{GTIN}17271231",                   # a plain QR code (]Q1): not GS1 mode
    f"]X001{GTIN}",                           # an unknown identifier
    f"01{GTIN}17271331",                      # month 13
    f"01{GTIN}17271232",                      # day 32
    f"01{GTIN}1727123",                       # a date cut short
    f"01{GTIN}10{'A' * 21}",                  # batch over 20 characters
    f"01{GTIN}10{GS}21X",                     # empty batch
    f"01{GTIN}10AB{GS}{GS}21X",               # two separators
    f"01{GTIN}10A B",                         # a space is not in set 82
    f"01{GTIN}10AB#",                         # nor '#'
    f"01{GTIN}240ABC",                        # an AI outside the table (240)
    f"01{GTIN}99ABC",                         # an internal AI (99): outside the table
    f"01{GTIN}10A{GS}10B",                    # an AI given twice
    f"01{GTIN}01{OTHER_GTIN}",                # two GTINs
    "01S2TBPZ2JCNZZYGHZ",                     # the public sample prescription number
    "https://exemple.fr/01/03400930000014",   # a Digital Link is a web address here
    "", "]d2", GS, "01",
])
def test_other_payloads_are_not(payload):
    assert parse(payload.encode()) is None


def test_binary_and_non_ascii_payloads_are_not():
    assert parse(b"\xff\xfe01" + GTIN.encode()) is None
    assert parse(f"01{GTIN}10LOTé".encode()) is None
    assert parse(b"AC" + bytes(range(200))) is None


def test_the_values_stay_out_of_the_repr():
    parsed = parse(f"]d201{GTIN}21SERIAL0042".encode())
    assert "SERIAL0042" not in repr(parsed) and GTIN not in repr(parsed)
