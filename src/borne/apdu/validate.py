"""Command APDU checks (ISO/IEC 7816-4 §5.1), pure: bytes in, a :class:`Command` or an error out.

=====  ==============================  ======================================
case   short (Lc/Le on one byte)       extended (a 00 byte, then two-byte fields)
=====  ==============================  ======================================
1      ``CLA INS P1 P2``               (no body)
2      ``... Le``  (00 = 256)          ``... 00 Le1 Le2``  (0000 = 65536)
3      ``... Lc data``  (Lc >= 1)      ``... 00 Lc1 Lc2 data``  (Lc >= 1)
4      ``... Lc data Le``              ``... 00 Lc1 Lc2 data Le1 Le2``
=====  ==============================  ======================================

Anything else is ``apdu_malformed``; longer than :data:`MAX_APDU` (an extended
case 4 with 65535 data bytes) is ``apdu_too_large``. Only the framing is
checked: CLA ``FF`` (reader pseudo-APDUs) and proprietary classes pass, the
card judges the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BorneError

__all__ = ["MAX_APDU", "PIN_INS", "ApduError", "Command", "parse_command", "parse_hex",
           "journal_line"]

#: Longest command APDU: 4 + 3 + 65535 + 2 bytes.
MAX_APDU = 65544
#: What the policy ``[apdu] allow_pin_verification = false`` refuses, as it may carry a PIN:
#: VERIFY (20, 21), CHANGE REFERENCE DATA (24), RESET RETRY COUNTER (2C: an unblocking code
#: and a new PIN) and ENVELOPE (C2, C3: any command inside); and every reader pseudo-APDU
#: (CLA ``FF``: a reader's direct transmit or PIN-pad command), see :attr:`Command.is_pin`.
PIN_INS = frozenset({0x20, 0x21, 0x24, 0x2C, 0xC2, 0xC3})

_HEX = re.compile(r"[0-9A-Fa-f]*")


class ApduError(BorneError):
    """A command APDU refused before it reaches the card (``apdu_malformed``/``apdu_too_large``)."""

    code = "apdu_malformed"


@dataclass(frozen=True)
class Command:
    """The header and lengths of a command APDU (never its data)."""

    cla: int
    ins: int
    p1: int
    p2: int
    case: int
    extended: bool
    #: Nc: number of data bytes (0 for cases 1 and 2).
    lc: int
    #: Ne: bytes expected (0 when absent: cases 1 and 3; 256/65536 for an encoded 0).
    le: int

    @property
    def is_pin(self) -> bool:
        """Whether it may carry a PIN (see :data:`PIN_INS`; CLA ``FF`` goes to the reader,
        whose commands the box cannot judge)."""
        return self.ins in PIN_INS or self.cla == 0xFF


def parse_hex(text: object) -> bytes:
    """Hex text (spaces allowed) into bytes; ``apdu_too_large`` past :data:`MAX_APDU` bytes."""
    if not isinstance(text, str):
        raise ApduError("apdu must be a hex string")
    if len(text) > 4 * MAX_APDU:  # before any work: even spaced hex cannot be this long
        raise ApduError("longer than 65544 bytes", code="apdu_too_large")
    compact = text.replace(" ", "")
    if len(compact) % 2 or not _HEX.fullmatch(compact):
        raise ApduError("apdu is not hex")
    if len(compact) > 2 * MAX_APDU:
        raise ApduError("longer than 65544 bytes", code="apdu_too_large")
    return bytes.fromhex(compact)


def parse_command(apdu: bytes) -> Command:
    """Check the framing of ``apdu`` and return its header and lengths."""
    size = len(apdu)
    if size > MAX_APDU:
        raise ApduError("longer than 65544 bytes", code="apdu_too_large")
    if size < 4:
        raise ApduError("shorter than 4 bytes")
    cla, ins, p1, p2 = apdu[:4]

    def command(case: int, extended: bool, lc: int, le: int) -> Command:
        return Command(cla, ins, p1, p2, case, extended, lc, le)

    if size == 4:
        return command(1, False, 0, 0)
    if size == 5:
        return command(2, False, 0, apdu[4] or 256)
    if apdu[4] != 0:
        lc = apdu[4]
        if size == 5 + lc:
            return command(3, False, lc, 0)
        if size == 6 + lc:
            return command(4, False, lc, apdu[-1] or 256)
        raise ApduError("Lc does not match the length")
    if size == 7:
        return command(2, True, 0, int.from_bytes(apdu[5:7], "big") or 65536)
    if size < 7:
        raise ApduError("truncated extended length")
    lc = int.from_bytes(apdu[5:7], "big")
    if lc == 0:
        raise ApduError("extended Lc of 0")
    if size == 7 + lc:
        return command(3, True, lc, 0)
    if size == 9 + lc:
        return command(4, True, lc, int.from_bytes(apdu[-2:], "big") or 65536)
    raise ApduError("Lc does not match the length")


def journal_line(slot: str, command: Command | None, response_length: int | None = None,
                 sw: bytes | None = None) -> str:
    """What the audit journal may say about one APDU: slot, CLA/INS and lengths, no data."""
    if command is None:
        return f"{slot} malformed"
    line = f"{slot} cla={command.cla:02X} ins={command.ins:02X} lc={command.lc} le={command.le}"
    if response_length is not None:
        line += f" rlen={response_length}"
    if sw is not None and len(sw) == 2:
        line += f" sw={sw.hex().upper()}"
    return line
