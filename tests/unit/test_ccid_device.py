"""The CCID device core: every command's answer and every malformed message, as bytes."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.ccid import messages as m
from borne.ccid.descriptor import CcidSettings
from borne.ccid.device import CcidDevice

from support.ccid_cards import ECHO_ATR, echo_slot

ATR = ECHO_ATR


def command(kind: int, slot: int = 0, seq: int = 0, data: bytes = b"",
            specific: bytes = b"\x00\x00\x00", length: int | None = None) -> bytes:
    """A bulk-OUT message, header laid out by hand (section 6.1)."""
    size = len(data) if length is None else length
    return bytes([kind]) + struct.pack("<I", size) + bytes([slot, seq]) + specific + data


@pytest.fixture
def slots():
    return [echo_slot(), echo_slot(None)]


@pytest.fixture
def device(slots):
    return CcidDevice(slots)


def test_power_on_answers_the_atr_in_a_data_block(device):
    [answer] = device.handle(command(0x62, seq=3))
    assert answer == bytes.fromhex("80 14000000 00 03 00 00 00") + ATR


def test_power_on_an_empty_slot_is_icc_mute_with_no_card(device):
    assert device.handle(command(0x62, slot=1, seq=4)) == [
        bytes.fromhex("80 00000000 01 04 42 FE 00")]


def test_power_on_a_mute_card_is_icc_mute():
    device = CcidDevice([echo_slot(mute=True)])
    assert device.handle(command(0x62)) == [bytes.fromhex("80 00000000 00 00 41 FE 00")]


def test_power_on_with_a_bad_voltage_points_at_bpowerselect(device):
    assert device.handle(command(0x62, specific=b"\x04\x00\x00")) == [
        bytes.fromhex("80 00000000 00 00 41 07 00")]


def test_slot_status_tells_active_inactive_and_absent(device):
    assert device.handle(command(0x65, seq=1)) == [bytes.fromhex("81 00000000 00 01 01 00 00")]
    device.handle(command(0x62))
    assert device.handle(command(0x65, seq=2)) == [bytes.fromhex("81 00000000 00 02 00 00 00")]
    assert device.handle(command(0x65, slot=1, seq=3)) == [
        bytes.fromhex("81 00000000 01 03 02 00 00")]


def test_power_off_answers_an_inactive_slot(device, slots):
    device.handle(command(0x62))
    assert device.handle(command(0x63, seq=9)) == [bytes.fromhex("81 00000000 00 09 01 00 00")]
    assert slots[0].powered is False


def test_xfr_block_carries_a_whole_short_apdu(device, slots):
    device.handle(command(0x62))
    apdu = bytes.fromhex("00 B0 00 00 02 AA BB")
    [answer] = device.handle(command(0x6F, seq=5, data=apdu, specific=b"\x00\x04\x00"))
    assert answer == bytes.fromhex("80 04000000 00 05 00 00 00 AA BB 90 00")
    assert slots[0].received == [apdu]


def test_xfr_block_carries_a_whole_extended_apdu(device):
    device.handle(command(0x62))
    body = bytes(range(256)) * 4
    apdu = bytes.fromhex("00 D6 00 00 00 04 00") + body[:2] + body[: 1024 - 2]
    [answer] = device.handle(command(0x6F, seq=6, data=apdu))
    assert answer[:10] == bytes.fromhex("80") + struct.pack("<I", len(apdu) - 5 + 2) + bytes(
        [0, 6, 0, 0, 0])
    assert answer[10:] == apdu[5:] + b"\x90\x00"


def test_xfr_block_to_an_unpowered_card_fails_inactive(device):
    assert device.handle(command(0x6F, data=bytes(4))) == [
        bytes.fromhex("80 00000000 00 00 41 FE 00")]


def test_parameters_get_set_and_reset(device):
    t0 = bytes.fromhex("82 05000000 00 01 01 00 00 11 00 00 0A 00")
    assert device.handle(command(0x6C, seq=1)) == [t0]
    t1 = bytes.fromhex("11 10 00 4D 00 FE 00")
    assert device.handle(command(0x61, seq=2, data=t1, specific=b"\x01\x00\x00")) == [
        bytes.fromhex("82 07000000 00 02 01 00 01") + t1]
    assert device.handle(command(0x6D, seq=1)) == [t0]


@pytest.mark.parametrize(("specific", "data", "error"), [
    (b"\x02\x00\x00", bytes(5), 7),  # bProtocolNum 2: offset 7
    (b"\x01\x00\x00", bytes(5), 1),  # T=1 with T=0's structure size: dwLength
])
def test_set_parameters_refuses_a_bad_protocol_or_size(device, specific, data, error):
    [answer] = device.handle(command(0x61, data=data, specific=specific))
    assert answer[:10] == bytes.fromhex("82 05000000 00 00 41") + bytes([error, 0])


def test_icc_clock_abort_and_data_rate(device):
    assert device.handle(command(0x6E, seq=1, specific=b"\x01\x00\x00")) == [
        bytes.fromhex("81 00000000 00 01 01 00 00")]
    assert device.handle(command(0x6E, seq=1, specific=b"\x02\x00\x00")) == [
        bytes.fromhex("81 00000000 00 01 41 07 00")]
    assert device.handle(command(0x72, seq=2)) == [bytes.fromhex("81 00000000 00 02 01 00 00")]
    asked = struct.pack("<II", 4000, 10752)
    assert device.handle(command(0x73, seq=3, data=asked)) == [
        bytes.fromhex("84 08000000 00 03 01 00 00 FC0D0000 80250000")]


@pytest.mark.parametrize(("kind", "answer_type"), [
    (0x6B, 0x83),  # Escape
    (0x6A, 0x81),  # T0APDU
    (0x69, 0x80),  # Secure (PIN pad)
    (0x71, 0x81),  # Mechanical
    (0x99, 0x81),  # unknown: a slot status
])
def test_commands_not_offered_answer_command_not_supported(device, kind, answer_type):
    assert device.handle(command(kind, seq=8)) == [
        bytes([answer_type]) + bytes.fromhex("00000000 00 08 41 00 00")]


def test_a_wrong_slot_answers_berror_5(device):
    assert device.handle(command(0x62, slot=2, seq=1)) == [
        bytes.fromhex("80 00000000 02 01 42 05 00")]


@pytest.mark.parametrize("message", [
    command(0x6F, data=bytes(6), length=7),  # says more than was sent
    command(0x6F, data=bytes(6), length=5),  # says less than was sent
    command(0x6F, data=bytes(262), length=262),  # more than dwMaxCCIDMessageLength - 10
])
def test_a_bad_dwlength_answers_berror_1(message):
    device = CcidDevice([echo_slot()], CcidSettings(slot_count=1, max_message_length=271))
    [answer] = device.handle(message)
    assert answer == bytes.fromhex("80 00000000 00 00 41 01 00")


def test_a_message_shorter_than_its_header_is_answered(device):
    assert device.handle(bytes.fromhex("65 00 00")) == [
        bytes.fromhex("81 00000000 00 00 42 01 00")]


def test_a_busy_slot_answers_cmd_slot_busy_but_still_tells_its_status(device, slots):
    slots[0].busy = True
    assert device.handle(command(0x6F, seq=4, data=bytes(4))) == [
        bytes.fromhex("80 00000000 00 04 41 E0 00")]
    assert device.handle(command(0x65, seq=5)) == [bytes.fromhex("81 00000000 00 05 01 00 00")]


def test_a_failing_card_answers_hw_error_not_an_exception(device, slots):
    device.handle(command(0x62))

    def broken(apdu: bytes) -> bytes:
        raise OSError("reader gone")

    slots[0].transmit = broken
    assert device.handle(command(0x6F, seq=2, data=bytes(4))) == [
        bytes.fromhex("80 00000000 00 02 41 FB 00")]


def test_slot_changed_builds_notify_slot_change(device, slots):
    assert device.slot_changed(1, True) == bytes.fromhex("50 0D")  # slot 0 in, slot 1 in+changed
    slots[0].atr = None  # the card left
    assert device.slot_changed(0, False) == bytes.fromhex("50 02")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_any_bytes_get_exactly_one_answer_echoing_slot_and_seq(message):
    device = CcidDevice([echo_slot(), echo_slot(None)])
    answers = device.handle(message)
    assert len(answers) == 1
    header = m.parse_header(answers[0])
    assert header.message_type in (0x80, 0x81, 0x82, 0x83, 0x84)
    assert header.length == len(answers[0]) - 10
    if len(message) >= 10:
        assert (header.slot, header.seq) == (message[5], message[6])


@settings(max_examples=300, deadline=None)
@given(st.integers(0x50, 0x90), st.integers(0, 3), st.integers(0, 255),
       st.binary(min_size=3, max_size=3), st.binary(max_size=300))
def test_well_framed_messages_never_raise_and_echo_the_sequence(kind, slot, seq, specific, data):
    device = CcidDevice([echo_slot(), echo_slot(None)])
    device.handle(command(0x62))
    [answer] = device.handle(command(kind, slot, seq, data, specific))
    header = m.parse_header(answer)
    assert (header.slot, header.seq, header.length) == (slot, seq, len(answer) - 10)
    if slot >= 2:
        assert answer[7:9] == bytes([0x42, m.BAD_SLOT])


def test_an_escape_handler_answers_vendor_commands():
    # libccidtwin opens a SEC1210 only if Escape 06 succeeds (LudovicRousseau/CCID ccid_serial.c).
    device = CcidDevice([echo_slot()], escape=lambda data: b"FW " + data)
    assert device.handle(command(0x6B, seq=2, data=b"\x06")) == [
        bytes.fromhex("83 04000000 00 02 01 00 00") + b"FW \x06"]


def test_slot_changed_refuses_a_slot_the_reader_does_not_have(device):
    with pytest.raises(ValueError):
        device.slot_changed(2, True)


@pytest.mark.parametrize(("kind", "answer_type"), [
    (0x62, 0x80), (0x63, 0x81), (0x65, 0x81), (0x6C, 0x82), (0x6D, 0x82), (0x6E, 0x81),
    (0x72, 0x81),
])
def test_data_on_a_command_that_takes_none_is_a_bad_dwlength(device, slots, kind, answer_type):
    # Section 6.1: these commands' dwLength is 00000000h; the card is left as it was.
    assert device.handle(command(kind, seq=3, data=bytes(4))) == [
        bytes([answer_type]) + bytes.fromhex("00000000 00 03 41 01 00")]
    assert not slots[0].powered
