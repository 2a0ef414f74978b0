"""libccid's serial framing (borne.ccid.serial_frame): byte tables, whole and byte by byte."""

from __future__ import annotations

import pytest

from borne.ccid.serial_frame import (
    NAK_FRAME, BadFrame, CardMovement, FrameDecoder, Message, NakReceived, card_movement, encode, lrc,
)

# What libccid wrote to the line when it opened a SEC1210 (PC_to_RDR_Escape 06, seq 0), and
# its GetSlotStatus for slot 1 (seq 4), as its LIBCCID_ifdLogLevel=0x0F log shows them.
ESCAPE = bytes.fromhex("6B 01 00 00 00 00 00 00 00 00 06")
ESCAPE_FRAME = bytes.fromhex("03 06 6B 01 00 00 00 00 00 00 00 00 06 69")
SLOT_STATUS = bytes.fromhex("65 00 00 00 00 01 04 00 00 00")
SLOT_STATUS_FRAME = bytes.fromhex("03 06 65 00 00 00 00 01 04 00 00 00 65")


@pytest.mark.parametrize(("message", "frame"), [(ESCAPE, ESCAPE_FRAME), (SLOT_STATUS, SLOT_STATUS_FRAME)])
def test_encode_frames_a_message_with_sync_ack_and_lrc(message: bytes, frame: bytes) -> None:
    assert encode(message) == frame
    assert lrc(frame) == 0


def test_nak_frame_and_card_movements_are_libccids_bytes() -> None:
    assert NAK_FRAME == bytes.fromhex("03 15 16")
    assert card_movement(True) == bytes.fromhex("50 03")
    assert card_movement(False) == bytes.fromhex("50 02")


@pytest.mark.parametrize("size", [9, 272])
def test_encode_refuses_what_no_serial_frame_holds(size: int) -> None:
    with pytest.raises(ValueError):
        encode(bytes(size))


def test_a_stream_fed_whole_or_byte_by_byte_gives_the_same_events() -> None:
    stream = (ESCAPE_FRAME + bytes([0x85]) + card_movement(False) + SLOT_STATUS_FRAME + NAK_FRAME
              + card_movement(True))
    expected = [Message(ESCAPE), CardMovement(False), Message(SLOT_STATUS), NakReceived(),
                CardMovement(True)]
    assert FrameDecoder().feed(stream) == expected
    decoder = FrameDecoder()
    events = [event for byte in stream for event in decoder.feed(bytes([byte]))]
    assert events == expected
    assert decoder.pending == 0


def test_a_bad_lrc_asks_for_a_nak_and_the_next_frame_still_decodes() -> None:
    broken = ESCAPE_FRAME[:-1] + bytes([ESCAPE_FRAME[-1] ^ 0xFF])
    events = FrameDecoder().feed(broken + SLOT_STATUS_FRAME)
    assert events == [BadFrame("wrong LRC"), Message(SLOT_STATUS)]


def test_garbage_before_a_frame_is_skipped() -> None:
    garbage = bytes.fromhex("00 11 03 99 03 03 42 FF")
    assert FrameDecoder().feed(garbage + ESCAPE_FRAME) == [Message(ESCAPE)]


def test_a_length_no_frame_can_hold_resynchronises_without_waiting() -> None:
    # dwLength 0x01000000: a decoder that believed it would wait for 16 MiB.
    liar = bytes.fromhex("03 06 6F 00 00 00 01 00 00 00 00 00")
    events = FrameDecoder().feed(liar + SLOT_STATUS_FRAME)
    assert events[0] == BadFrame("message length 16777226 over 271")
    assert events[-1] == Message(SLOT_STATUS)


def test_the_decoder_never_holds_more_than_one_frame() -> None:
    decoder = FrameDecoder()
    for chunk in range(200):
        decoder.feed(bytes([0x03, 0x06, 0x6F, 0xFF, 0x00, 0x00, 0x00]) + bytes(range(chunk % 7)))
        assert decoder.pending <= 274
    big = bytes.fromhex("6F 05 01 00 00 00 03 00 00 00") + bytes(261)
    assert decoder.feed(bytes(300) + encode(big))[-1] == Message(big)


def test_a_nak_frame_with_a_wrong_lrc_is_reported() -> None:
    assert FrameDecoder().feed(bytes.fromhex("03 15 17"))[0] == BadFrame("NAK frame with a wrong LRC")


def test_a_twin_may_take_longer_messages_to_answer_them_with_the_ccid_error() -> None:
    # An XfrBlock of 262 bytes: over libccid's 271, a twin with a larger limit passes it on.
    head = bytes.fromhex("03 06 6F 06 01 00 00 00 00 00 00 00") + bytes(262)
    frame = head + bytes([lrc(head)])
    assert isinstance(FrameDecoder().feed(frame)[0], BadFrame)
    assert FrameDecoder(max_message=1024).feed(frame) == [Message(frame[2:-1])]
