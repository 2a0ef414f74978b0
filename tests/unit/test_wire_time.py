"""ISO/IEC 7816-3 character timing used to pace the virtual cards in benches."""

import pytest

from borne.sim.wire_time import etu_seconds, wire_seconds

# Carte Vitale 2 ATR (pcsc-tools smartcard_list.txt): TA1 = 13, Fi 372, Di 4, T=0 implied.
VITALE2 = bytes.fromhex("3B7513000045 09EA9000".replace(" ", ""))
# CPS4 ATR (dops-cryptolib card-cps.c): TA1 = 18 (Fi 372, Di 12), T=0 then T=1 offered.
CPS4 = bytes.fromhex("3B9B188001001225006480040100009044")


def test_etu_follows_ta1() -> None:
    assert etu_seconds(VITALE2, 4_000_000) == pytest.approx(372 / (4 * 4e6))
    assert etu_seconds(CPS4, 4_000_000) == pytest.approx(372 / (12 * 4e6))


def test_etu_without_ta1_is_the_default_speed() -> None:
    assert etu_seconds(bytes.fromhex("3B00"), 3_720_000) == pytest.approx(1e-4)


def test_t0_counts_header_procedure_byte_data_and_answer() -> None:
    # READ BINARY, 5-byte header, 100 data bytes + SW back: 5 + 1 + 0 + 102 characters.
    etu = etu_seconds(VITALE2)
    assert wire_seconds(VITALE2, bytes(5), bytes(102)) == pytest.approx(108 * 12 * etu)
    # SELECT with 2 data bytes: 5 + 1 + 2 + 2.
    assert wire_seconds(VITALE2, bytes(7), bytes(2)) == pytest.approx(10 * 12 * etu)


def test_t1_adds_prologue_and_epilogue_both_ways() -> None:
    etu = etu_seconds(CPS4)
    assert wire_seconds(CPS4, bytes(7), bytes(2), protocol=1) == pytest.approx((7 + 4 + 2 + 4) * 11 * etu)
    assert wire_seconds(CPS4, bytes(7), bytes(2)) == pytest.approx((5 + 1 + 2 + 2) * 12 * etu)


def test_reserved_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        etu_seconds(bytes.fromhex("3B1070"))
