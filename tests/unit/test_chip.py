"""The virtual ISO 7816-4 chip, exchange by exchange."""

from __future__ import annotations

import pytest

from borne.sim.chip import DF, EF, VirtualChip
from borne.vpcd.responder import CardPulled, CardResponder

H = bytes.fromhex

DATA = bytes(range(40))


def chip(**options) -> VirtualChip:  # type: ignore[no-untyped-def]
    app = DF(fid=H("2000"), aid=H("A000000001"), children=[EF(b"inside", fid=H("2001"), sfi=3)])
    mf = DF(fid=H("3F00"), children=[EF(DATA, fid=H("D003"), sfi=2), app])
    return VirtualChip(H("3B0200"), mf, **options)


def ask(c: VirtualChip, apdu: str) -> str:
    return c.respond(H(apdu)).hex().upper()


def test_is_a_responder() -> None:
    assert isinstance(chip(), CardResponder)


@pytest.mark.parametrize(
    ("apdu", "answer"),
    [
        ("00A40000023F00", "9000"),
        ("00A40000020001", "6A82"),
        ("00A4040005A000000001", "9000"),
        ("00A4040005A000000002", "6A82"),
        ("00A4080002D003", "9000"),
        ("00A408000420002001", "9000"),
        ("00A408000420002002", "6A82"),
        ("00A40000033F00", "6700"),
        ("00A40C00023F00", "6A86"),
        ("00B0000000", "6986"),  # no current EF yet
        ("00B0820004", "00010203" "9000"),
        ("00B0830000", "6A82"),  # SFI 3 is not in the MF
        ("00CA000000", "6D00"),
        ("80B0000000", "6E00"),
        ("00C0000010", "6985"),
        ("00B0", "6700"),
    ],
)
def test_single_commands(apdu: str, answer: str) -> None:
    assert ask(chip(), apdu) == answer


def test_read_by_offset_and_past_end() -> None:
    c = chip()
    assert ask(c, "00A4000002D003") == "9000"
    assert ask(c, "00B0002402") == "24259000"
    assert ask(c, "00B0002600") == "26279000"  # Le 256, two bytes left
    assert ask(c, "00B0002800") == "6B00"


def test_sfi_under_application() -> None:
    c = chip()
    ask(c, "00A4040005A000000001")
    assert ask(c, "00B0830000") == b"inside".hex().upper() + "9000"


def test_exact_le() -> None:
    c = chip(exact_le=True)
    assert ask(c, "00B0820000") == "6C28"
    assert ask(c, "00B0820028") == DATA.hex().upper() + "9000"


def test_chained_response() -> None:
    c = chip(max_response=16)
    assert ask(c, "00B0820000") == DATA[:16].hex().upper() + "6118"
    assert ask(c, "00C0000018") == DATA[16:32].hex().upper() + "6108"
    assert ask(c, "00C0000008") == DATA[32:].hex().upper() + "9000"
    assert ask(c, "00C0000008") == "6985"


def test_pull_after_and_mute() -> None:
    c = chip(pull_after=2)
    ask(c, "00A40000023F00")
    with pytest.raises(CardPulled):
        ask(c, "00A40000023F00")
    c.power_on()
    ask(c, "00A40000023F00")  # the count restarts at power-on
    with pytest.raises(CardPulled):
        ask(chip(mute=True), "00A40000023F00")


def test_garbage_is_truncated_tlv() -> None:
    c = chip(garbage=True)
    assert ask(c, "00A4040005FFFFFFFFFF") == "9000"
    answer = H(ask(c, "00B0820000"))
    assert answer[:2] == H("657F") and answer[-2:] == H("9000") and len(answer) - 4 < 0x7F


def test_reset_selects_mf() -> None:
    c = chip()
    ask(c, "00A4040005A000000001")
    c.reset()
    assert ask(c, "00B0820001") == "009000"


def test_verify_counts_tries_like_iso_7816_4_and_the_counter_outlives_power() -> None:
    """The simulated CPS's PIN: 63CX tries left, 6983 blocked, 9000 resets the counter."""
    c = chip(pin="1234")
    assert ask(c, "00200001") == "63C3"  # no data: asks, spends nothing
    assert ask(c, "002000010439393939") == "63C2"
    c.power_off()
    c.power_on()
    assert ask(c, "00200001") == "63C2"  # the counter is persistent memory
    assert ask(c, "002000010831323334FFFFFFFF") == "9000"
    assert ask(c, "00200001") == "9000"  # verified, until the next reset
    c.reset()
    assert ask(c, "00200001") == "63C3"
    for left in (2, 1, 0):
        assert ask(c, "002000010439393939") == f"63C{left}"
    assert ask(c, "00200001") == "6983"
    assert ask(c, "00200001043132333434") == "6700"  # Lc does not match
    assert ask(c, "002000010431323334") == "6983"  # blocked: even the right PIN
    assert ask(c, "00208001") == "6A86"
    assert ask(chip(), "00200001") == "6D00"  # a card without a PIN
