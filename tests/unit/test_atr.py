"""ATR parsing, mask matching, the known-card table and smartcard_list.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from borne.readers.cards import atr

H = bytes.fromhex


@pytest.mark.parametrize(
    ("value", "family"),
    [
        ("3BAC00402A001225006480000310009000", "cps3"),
        ("3BAC00402A001225006480820212009000", "cps3"),  # other bytes under the mask
        ("3B8F800100 31B86404B0ECC17394018082 90000E", "cps3_contactless"),
        ("3B9B188001001225006480040100009044", "cps4"),
        ("3BDC18FF00001225006480000401009000", "cps4"),
        ("3F6525002209F99000", "vitale1"),
        ("3F65250052096A9000", "vitale1"),
        ("3B7513000047 09EA9000", "vitale2"),
        ("3B75130000 4C 09EA9000", "vitale2"),
        ("3B75130000 45 09FA9000", "vitale2"),  # smartcard_list.txt's "Carte VItate" (sic)
        ("3B75130000 46 09FA9000", None),  # no such entry in the list
        ("3F6525002409 6B9000", None),  # a bank card sharing Vitale 1's prefix
        ("3BAC00402A001225006480000310009001", None),  # last byte is under the mask
        ("3B8F8001804F0CA0000003060300010000 00006A", None),
    ],
)
def test_classify(value: str, family: str | None) -> None:
    known = atr.classify(H(value.replace(" ", "")))
    assert (known.family if known else None) == family


def test_vitale2_is_only_a_hint() -> None:
    known = atr.classify(H("3B75130000470 9EA9000".replace(" ", "")))
    assert known is not None and known.hint is True


def test_parse_atr() -> None:
    info = atr.parse_atr(H("3B9B188001001225006480040100009044"))
    assert info.convention == "direct"
    assert info.protocols == (0, 1)
    assert info.historical == H("0012250064800401000090")
    assert info.has_tck
    inverse = atr.parse_atr(H("3F65250052096A9000"))
    assert (inverse.convention, inverse.historical, inverse.has_tck) == ("inverse", H("52096A9000"), False)


@pytest.mark.parametrize("value", ["3B", "3BAC00", "3B9F", "00112233"])
def test_parse_atr_rejects_short_or_foreign(value: str) -> None:
    with pytest.raises(ValueError):
        atr.parse_atr(H(value))


def test_mask_needs_same_length() -> None:
    pattern = atr.AtrPattern.hex("3B 00 11", "FF 00 FF")
    assert pattern.matches(H("3BEE11"))
    assert not pattern.matches(H("3BEE1100"))


def test_smartcard_list_lookup(tmp_path: Path) -> None:
    listing = tmp_path / "smartcard_list.txt"
    listing.write_text(
        "# comment\n\n"
        "3B 75 13 00 00 4. 09 EA 90 00\n\tCarte Vitale 2 (test)\n\thttps://example.invalid\n\n"
        "3B 11 [\n\tbroken regex line\n\n"
        "3B 12 34\n\tFirst name\n\tSecond name\n",
        encoding="utf-8",
    )
    assert atr.atr_names(H("3B7513000047 09EA9000".replace(" ", "")), listing) == ("Carte Vitale 2 (test)",)
    assert atr.atr_names(H("3B1234"), listing) == ("First name", "Second name")
    assert atr.atr_names(H("3B1235"), listing) == ()


def test_missing_list_is_tolerated(tmp_path: Path) -> None:
    assert atr.atr_names(H("3B1234"), tmp_path / "absent.txt") == ()
