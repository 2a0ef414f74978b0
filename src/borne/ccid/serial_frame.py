"""libccid's serial framing of CCID messages (the GemPC Twin protocol), sans I/O.

The CCID messages the box answers on USB are the same over a serial line; Debian's
``libccidtwin.so`` (pcsc-lite's CCID driver built for serial readers) carries them so,
which lets a real pcscd drive the box's CCID core through a pseudo-terminal in the tests.
The layout below is libccid's, from LudovicRousseau/CCID ``src/ccid_serial.c``
(``WriteSerial``, ``ReadSerial``), in both directions:

====================  =========================================================
normal frame          ``03`` SYNC, ``06`` CTRL ACK, the CCID message (10-byte
                      header + ``dwLength`` bytes), LRC = xor of every byte before
error frame (NAK)     ``03 15 16``: SYNC, CTRL NAK, LRC; "resend your last frame"
card movement         ``50 02`` (absent) / ``50 03`` (present): outside the SYNC
                      framing; libccid only logs it (it polls GetSlotStatus)
time request          one byte ``80``..``FF`` where a frame would start: skipped
====================  =========================================================

A CCID message is at most 271 bytes over serial (libccid's ``dwMaxCCIDMessageLength``
for every serial reader: a short APDU and its header), so a frame is at most 274 bytes.

:class:`FrameDecoder` is fed whatever chunks the line delivers and returns what it found:
whole CCID messages, a bad LRC (answer :data:`NAK_FRAME`), the peer's NAK (resend), a
card movement. Garbage is skipped byte by byte until a plausible frame starts, and the
decoder never holds more than one frame's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACK", "CARD_ABSENT", "CARD_PRESENT", "MAX_MESSAGE", "NAK", "NAK_FRAME", "NOTIFY_SLOT_CHANGE",
    "SYNC", "BadFrame", "CardMovement", "FrameDecoder", "Message", "NakReceived", "card_movement",
    "encode", "lrc",
]

SYNC = 0x03
ACK = 0x06
NAK = 0x15
#: ``RDR_to_PC_NotifySlotChange`` as libccid's serial code knows it: two bytes, one slot.
NOTIFY_SLOT_CHANGE = 0x50
CARD_ABSENT = 0x02
CARD_PRESENT = 0x03
#: libccid's ``dwMaxCCIDMessageLength`` for serial readers: the 10-byte header + 261.
MAX_MESSAGE = 271
_HEADER = 10
#: The error frame: SYNC, NAK, and their xor.
NAK_FRAME = bytes([SYNC, NAK, SYNC ^ NAK])


def lrc(data: bytes) -> int:
    """The xor of every byte of ``data`` (libccid's "LRC")."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode(message: bytes) -> bytes:
    """One CCID message (header and data) as a normal frame: SYNC, ACK, message, LRC."""
    if not _HEADER <= len(message) <= MAX_MESSAGE:
        raise ValueError(f"a CCID message over serial is 10 to {MAX_MESSAGE} bytes, not {len(message)}")
    head = bytes([SYNC, ACK]) + message
    return head + bytes([lrc(head)])


def card_movement(present: bool) -> bytes:
    """The two-byte card movement message (``50 03`` present, ``50 02`` absent)."""
    return bytes([NOTIFY_SLOT_CHANGE, CARD_PRESENT if present else CARD_ABSENT])


@dataclass(frozen=True)
class Message:
    """A whole CCID message received in a frame with a good LRC."""

    data: bytes


@dataclass(frozen=True)
class BadFrame:
    """A frame whose LRC did not match, or whose length cannot be: answer :data:`NAK_FRAME`."""

    reason: str


@dataclass(frozen=True)
class NakReceived:
    """The peer sent the error frame: it wants the last frame again."""


@dataclass(frozen=True)
class CardMovement:
    """A ``50 0x`` card movement message; ``present`` is None for an unknown state byte."""

    present: bool | None


Event = Message | BadFrame | NakReceived | CardMovement


class FrameDecoder:
    """Turns the bytes of a serial line, in any chunks, into :data:`Event` values.

    ``max_message`` is the largest CCID message taken as a frame (libccid's 271 by default).
    A reader twin may take more, so that an over-long message reaches its CCID core and gets
    the CCID error for it (bad ``dwLength``) rather than a NAK frame.
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._buffer = bytearray()
        self._max_message = max_message

    @property
    def pending(self) -> int:
        """How many bytes wait for the rest of their frame (never more than one frame's)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Event]:
        """Add ``data`` and return every event it completes, in order."""
        self._buffer += data
        events: list[Event] = []
        while self._buffer:
            event, used = self._parse()
            if used == 0:
                break  # an incomplete frame: wait for more bytes
            del self._buffer[:used]
            if event is not None:
                events.append(event)
        return events

    def _parse(self) -> tuple[Event | None, int]:
        """The event at the buffer's start and how many bytes it took (0: need more)."""
        buffer = self._buffer
        first = buffer[0]
        if first == NOTIFY_SLOT_CHANGE:
            if len(buffer) < 2:
                return None, 0
            state = {CARD_PRESENT: True, CARD_ABSENT: False}.get(buffer[1])
            return CardMovement(state), 2
        if first != SYNC:
            return None, 1  # a time request (0x80..0xFF) or garbage: skip it
        if len(buffer) < 2:
            return None, 0
        if buffer[1] == NAK:
            if len(buffer) < 3:
                return None, 0
            if buffer[2] == SYNC ^ NAK:
                return NakReceived(), 3
            return BadFrame("NAK frame with a wrong LRC"), 1
        if buffer[1] != ACK:
            return None, 1  # not a frame start after all: resynchronise on the next byte
        if len(buffer) < 2 + 5:
            return None, 0
        size = _HEADER + int.from_bytes(buffer[3:7], "little")
        if size > self._max_message:
            # dwLength says more than a serial frame can hold: this was no frame start.
            return BadFrame(f"message length {size} over {self._max_message}"), 1
        end = 2 + size + 1
        if len(buffer) < end:
            return None, 0
        if lrc(buffer[:end]) != 0:
            # A bad LRC: the peer resends on NAK; drop the whole claimed frame.
            return BadFrame("wrong LRC"), end
        return Message(bytes(buffer[2:end - 1])), end
