"""APDU builders and the transmit sub-script (61xx, 6Cxx, bounds)."""

from __future__ import annotations

import pytest

from borne.errors import CardError
from borne.readers.cards import apdu
from borne.readers.cards.script import drive

H = bytes.fromhex


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (apdu.select_fid(0x3F00), "00A40000023F00"),
        (apdu.select_aid(H("D250000002564954414C45")), "00A404000BD250000002564954414C45"),
        (apdu.select_path(H("3F00D003")), "00A4080002D003"),
        (apdu.read_binary_sfi(2), "00B0820000"),
        (apdu.read_binary(0x0100, 12), "00B001000C"),
        (apdu.read_binary(0, 256), "00B0000000"),
        (apdu.get_response(0x20), "00C0000020"),
        (apdu.with_le(H("00B0000000"), 0x0C), "00B000000C"),
        (apdu.with_le(H("00A40000023F00"), 0x10), "00A40000023F0010"),
        (apdu.with_le(H("00A40000023F0000"), 0x10), "00A40000023F0010"),
    ],
)
def test_builders(built: bytes, expected: str) -> None:
    assert built.hex().upper() == expected


def test_parse_response() -> None:
    r = apdu.parse_response(H("41429000"))
    assert (r.data, r.sw, r.ok) == (b"AB", 0x9000, True)
    assert apdu.parse_response(H("6282")).ok
    assert not apdu.parse_response(H("6A82")).ok


@pytest.mark.parametrize("raw", ["", "90"])
def test_short_response_is_protocol_error(raw: str) -> None:
    with pytest.raises(CardError) as err:
        apdu.parse_response(H(raw))
    assert err.value.code == "card_protocol_error"


def scripted(table: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """A transmit function that checks each command against the table."""
    steps = iter(table)

    def transmit(command: bytes) -> bytes:
        expected, answer = next(steps)
        assert command.hex().upper() == expected
        return H(answer)

    return transmit


def test_61xx_chain_accumulates() -> None:
    t = scripted([("00B0820000", "41426104"), ("00C0000004", "43446102"), ("00C0000002", "45469000")])
    r = drive(apdu.transmit(apdu.read_binary_sfi(2)), t)
    assert (r.data, r.sw) == (b"ABCDEF", 0x9000)


def test_6cxx_resends_with_le() -> None:
    t = scripted([("00B0820000", "6C03"), ("00B0820003", "4142439000")])
    r = drive(apdu.transmit(apdu.read_binary_sfi(2)), t)
    assert (r.data, r.sw) == (b"ABC", 0x9000)


def test_6cxx_then_61xx() -> None:
    t = scripted([("00A40000023F00", "6C10"), ("00A40000023F0010", "6102"), ("00C0000002", "01029000")])
    r = drive(apdu.transmit(apdu.select_fid(0x3F00)), t)
    assert (r.data, r.sw) == (b"\x01\x02", 0x9000)


def test_error_status_is_returned_not_raised() -> None:
    r = drive(apdu.transmit(apdu.select_fid(0x3F00)), scripted([("00A40000023F00", "6A82")]))
    assert (r.data, r.sw, r.ok) == (b"", 0x6A82, False)


def test_endless_61xx_is_bounded() -> None:
    calls = []

    def forever(command: bytes) -> bytes:
        calls.append(command)
        return H("006101")

    with pytest.raises(CardError) as err:
        drive(apdu.transmit(apdu.read_binary_sfi(2)), forever)
    assert err.value.code == "card_protocol_error"
    assert len(calls) == apdu.MAX_ROUNDS


def test_record_returns_the_commands_a_script_sent():
    from borne.readers.cards import read_card
    from borne.readers.cards.script import record
    from borne.sim.cards import load_card

    chip = load_card("vitale-single")
    chip.power_on()
    sent = record(read_card(chip.atr), chip.respond)
    assert sent[0] == bytes.fromhex("00A40000023F00")  # SELECT MF first (public layout)
    assert all(len(apdu) >= 4 for apdu in sent) and len(sent) >= 3
