"""NIR / NIA rules; vectors are python-stdnum's public doctest examples."""

from __future__ import annotations

import pytest

from borne.domain import nir


@pytest.mark.parametrize(
    ("number", "valid_format", "key_valid", "kind"),
    [
        ("295109912611193", True, True, "nir"),  # stdnum: valid
        ("2 95 10 99 126 111 93", True, True, "nir"),  # printed form
        ("295109912611199", True, False, "nir"),  # stdnum: invalid check digit
        ("253072B07300470", True, True, "nir"),  # Corsica 2B → 18
        ("253072A07300443", True, True, "nir"),  # Corsica 2A → 19
        ("253072A07300470", True, False, "nir"),  # 2B's key on a 2A number
        ("253072C07300443", False, False, "unknown"),  # stdnum: invalid format
        ("6546546546546703", False, False, "unknown"),  # stdnum: invalid length
        ("785109912604214", True, True, "nia"),
        ("385109912604214", True, False, "unknown"),
        ("29510991261119", False, False, "unknown"),
        ("", False, False, "unknown"),
    ],
)
def test_check(number: str, valid_format: bool, key_valid: bool, kind: str) -> None:
    assert nir.check(number) == nir.NirCheck(valid_format, key_valid, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "key"),
    [("2951099126111", 93), ("253072B073004", 70), ("253072A073004", 43), ("178112B004017", 46)],
)
def test_compute_key(body: str, key: int) -> None:
    assert nir.compute_key(body) == key


def test_wrong_key_is_not_corrected() -> None:
    # check() only reports: the number it was given stays what it was.
    number = "295109912611199"
    assert nir.check(number).key_valid is False
    assert nir.normalize(number) == number


def test_compute_key_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        nir.compute_key("29510X9912611")


def test_oids() -> None:
    assert (nir.OID_INS_NIR, nir.OID_INS_NIA, nir.OID_INS_NIR_TEST, nir.OID_INS_NIR_DEMO) == (
        "1.2.250.1.213.1.4.8",
        "1.2.250.1.213.1.4.9",
        "1.2.250.1.213.1.4.10",
        "1.2.250.1.213.1.4.11",
    )
