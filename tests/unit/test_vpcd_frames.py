"""The vpcd frame codec, without sockets: bytes in whole, then one byte at a time."""

from __future__ import annotations

import pytest

from borne.vpcd.responder import CardPulled
from borne.vpcd.frames import CTRL_ATR, CTRL_OFF, CTRL_ON, CTRL_RESET, FrameDecoder, answer, encode_frame

ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")

# What vpcd sends while a card is read: power on, ATR request, then APDUs.
STREAM_PAYLOADS = [
    bytes([CTRL_ON]),
    bytes([CTRL_ATR]),
    bytes.fromhex("00 A4 04 00 07 A0 00 00 00 04 10 10"),
    bytes.fromhex("00 B0 00 00 00"),
    bytes([CTRL_RESET]),
    bytes([CTRL_OFF]),
]
STREAM = b"".join(encode_frame(p) for p in STREAM_PAYLOADS)


class RecordingChip:
    """A responder that records what it was asked and echoes APDU data with 90 00."""

    atr = ATR

    def __init__(self, pull_on: bytes | None = None) -> None:
        self.calls: list[str] = []
        self.pull_on = pull_on

    def power_on(self) -> None:
        self.calls.append("on")

    def power_off(self) -> None:
        self.calls.append("off")

    def reset(self) -> None:
        self.calls.append("reset")

    def respond(self, apdu: bytes) -> bytes:
        self.calls.append(apdu.hex())
        if apdu == self.pull_on:
            raise CardPulled
        return apdu[5:] + b"\x90\x00"


@pytest.mark.parametrize(
    ("payload", "frame"),
    [
        (b"\x04", b"\x00\x01\x04"),
        (bytes.fromhex("90 00"), bytes.fromhex("00 02 90 00")),
        (b"", b"\x00\x00"),
        (bytes(300), b"\x01\x2c" + bytes(300)),
    ],
)
def test_encode_frame(payload: bytes, frame: bytes) -> None:
    assert encode_frame(payload) == frame


def test_encode_refuses_oversized_payload() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode_frame(bytes(0x10000))


def test_decode_whole_stream() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(STREAM) == STREAM_PAYLOADS
    assert decoder.pending == 0


def test_decode_one_byte_at_a_time() -> None:
    decoder = FrameDecoder()
    payloads = [p for i in range(len(STREAM)) for p in decoder.feed(STREAM[i : i + 1])]
    assert payloads == STREAM_PAYLOADS
    assert decoder.pending == 0


def test_decode_keeps_incomplete_frame() -> None:
    # vpcd writes the length and the body in two writes: they may arrive apart.
    decoder = FrameDecoder()
    assert decoder.feed(b"\x00\x05\x00\xb0") == []
    assert decoder.pending == 4
    assert decoder.feed(b"\x00\x00\x00\x00") == [bytes.fromhex("00 B0 00 00 00")]
    assert decoder.pending == 1
    assert decoder.feed(b"\x01\x01") == [b"\x01"]


def test_decode_empty_frame() -> None:
    assert FrameDecoder().feed(b"\x00\x00\x00\x01\x04") == [b"", b"\x04"]


@pytest.mark.parametrize(
    ("payload", "reply", "calls"),
    [
        (bytes([CTRL_ON]), None, ["on"]),
        (bytes([CTRL_OFF]), None, ["off"]),
        (bytes([CTRL_RESET]), None, ["reset"]),
        (bytes([CTRL_ATR]), ATR, []),
        (b"\x03", None, []),  # unknown control byte: ignored
        (b"", None, []),
        (bytes.fromhex("00 B0 00 00 02 AB CD"), bytes.fromhex("AB CD 90 00"), ["00b0000002abcd"]),
    ],
)
def test_answer(payload: bytes, reply: bytes | None, calls: list[str]) -> None:
    chip = RecordingChip()
    assert answer(chip, payload) == reply
    assert chip.calls == calls


def test_answer_lets_card_pulled_through() -> None:
    chip = RecordingChip(pull_on=bytes.fromhex("00 B0 00 00 00"))
    with pytest.raises(CardPulled):
        answer(chip, bytes.fromhex("00 B0 00 00 00"))


def test_whole_exchange_replies() -> None:
    """The bytes a card sends back for the whole stream, as pcscd would read them."""
    chip = RecordingChip()
    replies = [r for p in FrameDecoder().feed(STREAM) if (r := answer(chip, p)) is not None]
    assert b"".join(encode_frame(r) for r in replies) == (
        encode_frame(ATR)
        + encode_frame(bytes.fromhex("A0 00 00 00 04 10 10 90 00"))
        + encode_frame(b"\x90\x00")
    )
    assert chip.calls == ["on", "00a4040007a0000000041010", "00b0000000", "reset", "off"]
