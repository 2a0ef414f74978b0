"""Command APDUs (ISO/IEC 7816-4, short form) and the ``transmit`` sub-script.

:func:`transmit` is used with ``yield from`` inside card scripts. It hides the
transport-level status words every reader script must cope with:

- ``61xx``: more data waiting: send GET RESPONSE (``00 C0 00 00 xx``) and
  append what comes back (T=0 cards and chained responses);
- ``6Cxx``: wrong Le: resend the same command with Le = ``xx``.

It stops after :data:`MAX_ROUNDS` exchanges so a card answering ``61xx``
forever cannot hang the box. A response shorter than the two status bytes is a
``card_protocol_error``. The same handling appears in public readers such as
Rufus ``lecteurvitale.cpp`` (function ``transmet``).
"""

from __future__ import annotations

from dataclasses import dataclass

from borne.errors import CardError
from borne.readers.cards.script import CardScript

__all__ = [
    "MAX_ROUNDS",
    "Response",
    "get_response",
    "parse_response",
    "read_binary",
    "read_binary_sfi",
    "select_aid",
    "select_fid",
    "select_path",
    "transmit",
    "with_le",
]

#: Upper bound of exchanges for one logical command (GET RESPONSE / 6C rounds).
MAX_ROUNDS = 64

SW_OK = 0x9000
#: "End of file reached before reading Le bytes": the data returned are valid.
SW_EOF_WARNING = 0x6282


@dataclass(frozen=True)
class Response:
    """A response APDU split into its data and status word."""

    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        """SW1 SW2 as one int, e.g. ``0x9000``."""
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        """True for ``9000`` and for the end-of-file warning ``6282``."""
        return self.sw in (SW_OK, SW_EOF_WARNING)


def parse_response(raw: bytes) -> Response:
    """Split a raw response; fewer than 2 bytes is a ``card_protocol_error``."""
    if len(raw) < 2:
        raise CardError(f"response of {len(raw)} byte(s)", code="card_protocol_error")
    return Response(bytes(raw[:-2]), raw[-2], raw[-1])


def _le_byte(le: int) -> int:
    if not 0 <= le <= 256:
        raise ValueError(f"Le out of range: {le}")
    return le & 0xFF  # 256 is written 00


def select_aid(aid: bytes, *, p2: int = 0x00) -> bytes:
    """SELECT by DF name (P1=04), e.g. the VITALE application ``D250000002564954414C45``."""
    if not 1 <= len(aid) <= 16:
        raise ValueError("an AID has 1 to 16 bytes")
    return bytes([0x00, 0xA4, 0x04, p2, len(aid)]) + bytes(aid)


def select_fid(fid: bytes | int, *, p1: int = 0x00, p2: int = 0x00) -> bytes:
    """SELECT by file identifier; ``select_fid(0x3F00)`` is ``00 A4 00 00 02 3F 00``."""
    raw = fid.to_bytes(2, "big") if isinstance(fid, int) else bytes(fid)
    if len(raw) != 2:
        raise ValueError("a file identifier has 2 bytes")
    return bytes([0x00, 0xA4, p1, p2, 2]) + raw


def select_path(path: bytes, *, p2: int = 0x00) -> bytes:
    """SELECT by path from the MF (P1=08); ``path`` excludes ``3F00`` as ISO 7816-4 says."""
    path = bytes(path)
    if path[:2] == b"\x3f\x00":
        path = path[2:]
    if not path or len(path) % 2:
        raise ValueError("a path is a non-empty list of 2-byte file identifiers")
    return bytes([0x00, 0xA4, 0x08, p2, len(path)]) + path


def read_binary(offset: int = 0, le: int = 0) -> bytes:
    """READ BINARY of the current EF at ``offset`` (15 bits); ``le=0`` asks for up to 256."""
    if not 0 <= offset <= 0x7FFF:
        raise ValueError("offset out of range for READ BINARY")
    return bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, _le_byte(le)])


def read_binary_sfi(sfi: int, offset: int = 0, le: int = 0) -> bytes:
    """READ BINARY with a short file identifier: ``read_binary_sfi(2)`` is ``00 B0 82 00 00``."""
    if not 1 <= sfi <= 30:
        raise ValueError("SFI out of range")
    if not 0 <= offset <= 0xFF:
        raise ValueError("offset out of range for the SFI form")
    return bytes([0x00, 0xB0, 0x80 | sfi, offset, _le_byte(le)])


def get_response(le: int) -> bytes:
    """GET RESPONSE for ``le`` bytes (0 means 256)."""
    return bytes([0x00, 0xC0, 0x00, 0x00, _le_byte(le)])


def with_le(command: bytes, le: int) -> bytes:
    """``command`` with its Le set (added for case 1/3, replaced for case 2/4)."""
    command = bytes(command)
    le_byte = bytes([_le_byte(le)])
    if len(command) == 4:
        return command + le_byte
    if len(command) == 5:
        return command[:4] + le_byte
    lc = command[4]
    if len(command) == 5 + lc:
        return command + le_byte
    if len(command) == 6 + lc:
        return command[:-1] + le_byte
    raise ValueError("not a short APDU")


def transmit(command: bytes) -> CardScript[Response]:
    """Send ``command``, follow ``61xx``/``6Cxx``, return the final :class:`Response`.

    Data received with ``61xx`` is accumulated in front of the final data.
    """
    collected = bytearray()
    current = bytes(command)
    for _ in range(MAX_ROUNDS):
        response = parse_response((yield current))
        if response.sw1 == 0x61:
            collected += response.data
            current = get_response(response.sw2)
        elif response.sw1 == 0x6C:
            current = with_le(current, response.sw2 or 256)
        else:
            return Response(bytes(collected) + response.data, response.sw1, response.sw2)
    raise CardError(f"no final status after {MAX_ROUNDS} exchanges", code="card_protocol_error")
