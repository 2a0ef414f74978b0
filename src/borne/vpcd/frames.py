"""The vpcd wire protocol: frames between pcscd's vpcd driver and a virtual card (pure).

The vpcd driver (Debian ``vsmartcard-vpcd``, vsmartcard's ``virtualsmartcard/src/vpcd``)
listens on one TCP port per slot; the card is the client. Connecting inserts the
card, closing the socket removes it. Every frame, both ways, is a 2-byte
big-endian length then the payload:

============  ===========================  ==========================
payload       meaning (pcscd -> card)      card answers
============  ===========================  ==========================
``00``        power off                    nothing
``01``        power on                     nothing
``02``        reset                        nothing
``04``        get ATR                      the ATR, as one frame
2+ bytes      command APDU                 the response APDU (SW incl.)
============  ===========================  ==========================

No sockets here: :func:`encode_frame`, :class:`FrameDecoder` and :func:`answer`
are tested with tables of bytes; :class:`borne.vpcd.card.VirtualCard` is the socket.
"""

from __future__ import annotations

import struct

from .responder import CardResponder

__all__ = [
    "CTRL_ATR",
    "CTRL_OFF",
    "CTRL_ON",
    "CTRL_RESET",
    "MAX_PAYLOAD",
    "FrameDecoder",
    "answer",
    "encode_frame",
]

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

_LENGTH = struct.Struct(">H")
MAX_PAYLOAD = 0xFFFF


def encode_frame(payload: bytes) -> bytes:
    """One vpcd frame: the payload's length (2 bytes, big-endian), then the payload."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"vpcd payload too long: {len(payload)} bytes (max {MAX_PAYLOAD})")
    return _LENGTH.pack(len(payload)) + payload


class FrameDecoder:
    """Cuts a byte stream into vpcd payloads, whatever the chunking of ``feed``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every payload now complete, in order."""
        self._buffer += data
        payloads: list[bytes] = []
        while len(self._buffer) >= 2:
            (length,) = _LENGTH.unpack_from(self._buffer)
            if len(self._buffer) < 2 + length:
                break
            payloads.append(bytes(self._buffer[2 : 2 + length]))
            del self._buffer[: 2 + length]
        return payloads

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)


def answer(responder: CardResponder, payload: bytes) -> bytes | None:
    """What the card sends back for one payload from vpcd (``None``: nothing).

    May raise :class:`CardPulled` (from the responder). An empty payload or an
    unknown control byte is ignored, as vsmartcard's own vpicc does.
    """
    if len(payload) == 1:
        control = payload[0]
        if control == CTRL_ATR:
            return bytes(responder.atr)
        if control == CTRL_ON:
            responder.power_on()
        elif control == CTRL_OFF:
            responder.power_off()
        elif control == CTRL_RESET:
            responder.reset()
        return None
    if not payload:
        return None
    return bytes(responder.respond(payload))
