"""CCID message layouts, byte by byte, built by hand from the spec's tables (rev 1.1, 6.1-6.3)."""

from __future__ import annotations

import pytest

from borne.ccid import messages as m


def test_the_command_codes_are_the_specifications():
    # Table 6.1-1 (PC_to_RDR_*), table 6.2-1 (RDR_to_PC_*), section 6.3 (interrupt-IN).
    assert (m.SET_PARAMETERS, m.ICC_POWER_ON, m.ICC_POWER_OFF, m.GET_SLOT_STATUS) == (
        0x61, 0x62, 0x63, 0x65)
    assert (m.SECURE, m.T0_APDU, m.ESCAPE, m.GET_PARAMETERS, m.RESET_PARAMETERS) == (
        0x69, 0x6A, 0x6B, 0x6C, 0x6D)
    assert (m.ICC_CLOCK, m.XFR_BLOCK, m.MECHANICAL, m.ABORT, m.SET_DATA_RATE_AND_CLOCK) == (
        0x6E, 0x6F, 0x71, 0x72, 0x73)
    assert (m.DATA_BLOCK, m.SLOT_STATUS, m.PARAMETERS, m.ESCAPE_ANSWER,
            m.DATA_RATE_AND_CLOCK) == (0x80, 0x81, 0x82, 0x83, 0x84)
    assert (m.NOTIFY_SLOT_CHANGE, m.HARDWARE_ERROR) == (0x50, 0x51)


def test_the_error_codes_are_table_6_2_2s():
    assert (m.CMD_ABORTED, m.ICC_MUTE, m.XFR_PARITY_ERROR, m.XFR_OVERRUN, m.HW_ERROR) == (
        0xFF, 0xFE, 0xFD, 0xFC, 0xFB)
    assert (m.BAD_ATR_TS, m.BAD_ATR_TCK, m.ICC_PROTOCOL_NOT_SUPPORTED) == (0xF8, 0xF7, 0xF6)
    assert (m.CMD_SLOT_BUSY, m.CMD_NOT_SUPPORTED, m.BAD_LENGTH, m.BAD_SLOT) == (
        0xE0, 0x00, 1, 5)


@pytest.mark.parametrize(("icc", "command", "expected"), [
    (m.ICC_ACTIVE, m.COMMAND_OK, 0x00),
    (m.ICC_INACTIVE, m.COMMAND_OK, 0x01),
    (m.ICC_ABSENT, m.COMMAND_OK, 0x02),
    (m.ICC_ACTIVE, m.COMMAND_FAILED, 0x40),
    (m.ICC_ABSENT, m.COMMAND_FAILED, 0x42),
    (m.ICC_INACTIVE, m.TIME_EXTENSION, 0x81),
])
def test_bstatus_packs_icc_status_low_and_command_status_high(icc, command, expected):
    assert m.status(icc, command) == expected


def test_a_header_decodes_little_endian():
    message = bytes.fromhex("6F 05 01 00 00 01 2A 04 00 01") + b"\x00\xA4\x04\x00\x00" + b"x" * 256
    header = m.parse_header(message)
    assert header == m.Header(0x6F, 0x105, 1, 0x2A, bytes.fromhex("04 00 01"))


def test_a_header_shorter_than_ten_bytes_is_refused():
    with pytest.raises(ValueError):
        m.parse_header(bytes.fromhex("65 00 00 00 00 00 01 00 00"))


ANSWERS = [
    (m.data_block(0, 7, 0x00, 0, bytes.fromhex("3B 8F 80 01")),
     "80 04000000 00 07 00 00 00 3B8F8001"),
    (m.data_block(1, 0xFF, 0x42, m.ICC_MUTE), "80 00000000 01 FF 42 FE 00"),
    (m.slot_status(1, 3, 0x01), "81 00000000 01 03 01 00 00"),
    (m.slot_status(0, 9, 0x40, m.CMD_SLOT_BUSY, clock=1), "81 00000000 00 09 40 E0 01"),
    (m.parameters(0, 2, 0x00, 0, 1, bytes.fromhex("11 10 00 4D 00 FE 00")),
     "82 07000000 00 02 00 00 01 111000 4D00FE00"),
    (m.escape(0, 4, 0x40, m.CMD_NOT_SUPPORTED), "83 00000000 00 04 40 00 00"),
    (m.data_rate_and_clock(1, 5, 0x00, 0, 3580, 9600),
     "84 08000000 01 05 00 00 00 FC0D0000 80250000"),
    (m.hardware_error(1, 6), "51 01 06 01"),
    (m.time_extension(0, 7, multiplier=2), "80 00000000 00 07 80 02 00"),
]


@pytest.mark.parametrize(("built", "expected"), ANSWERS)
def test_every_answer_is_laid_out_as_the_spec_says(built, expected):
    assert built == bytes.fromhex(expected)


@pytest.mark.parametrize(("present", "changed", "expected"), [
    ([True, False], [True, False], "50 03"),  # slot 0 in, changed
    ([False, True], [False, True], "50 0C"),  # slot 1 in, changed: bits 2-3
    ([False, False], [False, True], "50 08"),  # slot 1 out, changed
    ([True, True, True, True, True], [False] * 4 + [True], "50 55 03"),  # 5th slot: byte 2
])
def test_notify_slot_change_gives_two_bits_a_slot(present, changed, expected):
    assert m.notify_slot_change(present, changed) == bytes.fromhex(expected)
