"""In-memory cards for the CCID core's tests: a :class:`borne.ccid.device.Slot` and its answers.

No reader, no pcscd: the unit tests run them unprivileged; the twin (:mod:`.ccid_twin`), the
FunctionFS tests and the hardware-in-the-loop test put them behind a transport.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["ECHO_ATR", "FakeSlot", "echo_answer", "echo_slot", "fixed_answer", "mirror_answer"]

#: An ATR with T=1 first (TD1 = 81), for cards whose protocol does not matter.
ECHO_ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")


def echo_answer(apdu: bytes) -> bytes:
    """A card that answers the command's data (after its 5-byte header), then ``90 00``."""
    return apdu[5:] + b"\x90\x00"


def fixed_answer(apdu: bytes) -> bytes:
    """A card that answers ``CA FE 01 02 90 00`` to everything."""
    return bytes.fromhex("CA FE 01 02 90 00")


def mirror_answer(apdu: bytes) -> bytes:
    """A card whose answer tells the test what it received, byte for byte.

    Case 2 (``CLA INS P1 P2 Le``): Le bytes counting up from P1 (Le 00: 256 bytes). Case 4:
    the command's data reversed (then cut to Le). Case 1 and 3: nothing. Then ``90 00``.
    """
    if len(apdu) <= 4:
        return b"\x90\x00"
    if len(apdu) == 5:
        return bytes((apdu[2] + i) & 0xFF for i in range(apdu[4] or 256)) + b"\x90\x00"
    data = apdu[5:5 + apdu[4]]
    le = apdu[5 + apdu[4]:]
    return (data[::-1][:le[0] or 256] if le else b"") + b"\x90\x00"


@dataclass
class FakeSlot:
    """An in-memory :class:`borne.ccid.device.Slot`: a card with ``atr`` (None: no card).

    ``answer`` gives the card's response to each command APDU; ``received`` keeps them.
    """

    atr: bytes | None = None
    answer: Callable[[bytes], bytes] = fixed_answer
    received: list[bytes] = field(default_factory=list)
    powered: bool = False
    busy: bool = False
    #: A card in the slot that gives no ATR.
    mute: bool = False

    @property
    def present(self) -> bool:
        """A card is in the slot."""
        return self.atr is not None

    def power_on(self) -> bytes:
        """The ATR, or ``TimeoutError`` without a card (or a mute one)."""
        if self.atr is None or self.mute:
            self.powered = False
            raise TimeoutError("no card")
        self.powered = True
        return self.atr

    def power_off(self) -> None:
        """The card is unpowered."""
        self.powered = False

    def transmit(self, apdu: bytes) -> bytes:
        """The card's answer to one whole APDU."""
        self.received.append(apdu)
        return self.answer(apdu)




def echo_slot(atr: bytes | None = ECHO_ATR, **fields: object) -> FakeSlot:
    """A slot holding an echoing card (``atr=None``: empty)."""
    return FakeSlot(atr=atr, answer=echo_answer, **fields)  # type: ignore[arg-type]
