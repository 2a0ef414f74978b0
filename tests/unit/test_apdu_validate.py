"""Command APDU framing (ISO 7816-4 cases 1-4, short and extended): tables, then properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.apdu.validate import (MAX_APDU, ApduError, Command, journal_line, parse_command,
                                 parse_hex)

H = bytes.fromhex


@pytest.mark.parametrize("hex_, case, extended, lc, le", [
    ("00A40000", 1, False, 0, 0),
    ("00B0000000", 2, False, 0, 256),
    ("00B0000010", 2, False, 0, 16),
    ("00A4040007A0000000041010", 3, False, 7, 0),
    ("00A4040007A000000004101000", 4, False, 7, 256),
    ("00A4040002E10112", 4, False, 2, 0x12),
    ("00B00000000000", 2, True, 0, 65536),
    ("00B00000000102", 2, True, 0, 258),
    ("00D6000000000301020", 0, False, 0, 0),  # odd hex: refused by parse_hex below
])
def test_cases(hex_, case, extended, lc, le):
    if case == 0:
        with pytest.raises(ApduError) as error:
            parse_hex(hex_)
        assert error.value.code == "apdu_malformed"
        return
    command = parse_command(H(hex_))
    assert (command.case, command.extended, command.lc, command.le) == (case, extended, lc, le)


def test_extended_case_3_and_4():
    data = bytes(300)
    case3 = H("00D60000") + b"\x00" + len(data).to_bytes(2, "big") + data
    case4 = case3 + b"\x01\x00"
    assert parse_command(case3) == Command(0, 0xD6, 0, 0, 3, True, 300, 0)
    assert parse_command(case4).le == 256 and parse_command(case4).case == 4


@pytest.mark.parametrize("hex_", [
    "", "00", "00A400",                 # under 4 bytes
    "00A4040007A0",                     # Lc says 7, 1 byte follows
    "00A4040002E1011213",               # Lc 2 + 2 extra bytes
    "00B000000000",                     # 00 then a lone byte: not a length
    "00D60000000000" + "AA",            # extended Lc of 0
    "00D6000000000301",                 # extended Lc 3, 1 byte
])
def test_malformed(hex_):
    with pytest.raises(ApduError) as error:
        parse_command(H(hex_))
    assert error.value.code == "apdu_malformed"


def test_sizes():
    largest = H("00D60000") + b"\x00\xff\xff" + bytes(65535) + b"\x00\x00"
    assert len(largest) == MAX_APDU
    assert parse_command(largest).lc == 65535
    for too_big in (largest + b"\x00", bytes(MAX_APDU + 10)):
        with pytest.raises(ApduError) as error:
            parse_command(too_big)
        assert error.value.code == "apdu_too_large"
    with pytest.raises(ApduError) as error:
        parse_hex("00" * (MAX_APDU + 1))
    assert error.value.code == "apdu_too_large"
    with pytest.raises(ApduError) as error:
        parse_hex("0" * (4 * MAX_APDU + 1))
    assert error.value.code == "apdu_too_large"


@pytest.mark.parametrize("text", ["zz", "00 A4 04 0G", 42, None, "0xA4"])
def test_not_hex(text):
    with pytest.raises(ApduError) as error:
        parse_hex(text)
    assert error.value.code == "apdu_malformed"


def test_hex_with_spaces_and_lower_case():
    assert parse_hex("00 a4 04 00") == H("00A40400")


def test_journal_line_has_no_data():
    verify = H("0020000108") + b"1234\xff\xff\xff\xff"
    line = journal_line("slot-0", parse_command(verify), 0, b"\x90\x00")
    assert line == "slot-0 cla=00 ins=20 lc=8 le=0 rlen=0 sw=9000"
    assert "3132" not in line and "1234" not in line
    assert parse_command(verify).is_pin
    assert journal_line("slot-0", None) == "slot-0 malformed"


@st.composite
def commands(draw):
    """A well-formed command APDU and the (case, extended, lc, le) it encodes."""
    header = draw(st.binary(min_size=4, max_size=4))
    case = draw(st.integers(1, 4))
    extended = case > 1 and draw(st.booleans())
    if case == 1:
        return header, (1, False, 0, 0)
    data = draw(st.binary(min_size=1, max_size=300 if extended else 255)) if case in (3, 4) else b""
    le = draw(st.integers(1, 65536 if extended else 256)) if case in (2, 4) else 0
    size = 2 if extended else 1
    body = b""
    if data:
        body += (b"\x00" if extended else b"") + len(data).to_bytes(size, "big") + data
    if le:
        prefix = b"\x00" if extended and not data else b""
        body += prefix + (le % (65536 if extended else 256)).to_bytes(size, "big")
    return header + body, (case, extended, len(data), le)


@settings(max_examples=300)
@given(commands())
def test_well_formed_commands_parse_back(sample):
    apdu, (case, extended, lc, le) = sample
    command = parse_command(apdu)
    assert (command.case, command.extended, command.lc, command.le) == (case, extended, lc, le)
    assert (command.cla, command.ins, command.p1, command.p2) == tuple(apdu[:4])


@settings(max_examples=300)
@given(commands(), st.binary(min_size=1, max_size=3))
def test_extra_trailing_bytes_are_refused_or_reread(sample, extra):
    apdu, _ = sample
    try:
        command = parse_command(apdu + extra)
    except ApduError as error:
        assert error.code == "apdu_malformed"
    else:  # a case 1/2 may become another valid case: it must then be self-consistent
        assert command.lc + 4 <= len(apdu + extra)


@settings(max_examples=500)
@given(st.binary(max_size=600))
def test_any_bytes_parse_or_raise_apdu_error(data):
    try:
        command = parse_command(data)
    except ApduError as error:
        assert error.code in ("apdu_malformed", "apdu_too_large")
    else:
        assert 4 + command.lc <= len(data)
