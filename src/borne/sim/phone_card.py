"""A phone presenting the virtual apCV on a contactless PC/SC slot (vpcd twin).

At a pharmacy counter, a contactless PC/SC reader (a Kapelse KAP-Move's third
slot, for instance) is a second path to the apCV over NFC, beside NFC chips
driven by nfcpy. For pcsc-lite, a phone in card emulation is an ISO 14443-4
card with a PC/SC Part 3 pseudo-ATR; this responder plays one, plugged into vpcd
by :mod:`borne.sim.vpcd` (``--factory borne.sim.phone_card:PhoneCard``).

It answers the **simulator's** apCV exchange ([nfc] defaults: SELECT the AID
``F0424F524E4553494D``, then ``80 CA 00 00 00`` returns the token), not the real
app's, which is not public.
"""

from __future__ import annotations

from borne.sim.responder import CardPulled

__all__ = ["PHONE_ATR", "PhoneCard"]

#: PC/SC Part 3 pseudo-ATR of an ISO 14443-4 Type A card without historical bytes
#: (3B 80 80 01 01: T=1 over the contactless interface; TCK 01).
PHONE_ATR = bytes.fromhex("3B80800101")

_SW_OK = b"\x90\x00"
_NOT_FOUND = b"\x6a\x82"
_INS_NOT_SUPPORTED = b"\x6d\x00"
_CHUNK = 256


class PhoneCard:
    """The virtual apCV phone as a :class:`~borne.sim.responder.CardResponder`.

    ``behaviour``: ``ok``; ``leave_mid_exchange`` (answers the SELECT, then is
    taken away); ``wrong_aid`` (the apCV application is not on this phone).
    """

    def __init__(self, payload_hex: str, aid_hex: str = "F0424F524E4553494D",
                 behaviour: str = "ok") -> None:
        self._payload = bytes.fromhex(payload_hex)
        self._aid = bytes.fromhex(aid_hex)
        self._behaviour = behaviour
        self._pending = b""
        self._selected = False

    @property
    def atr(self) -> bytes:
        return PHONE_ATR

    def power_on(self) -> None:
        self.reset()

    def power_off(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._pending, self._selected = b"", False

    def _chunk(self, data: bytes) -> bytes:
        head, self._pending = data[:_CHUNK], data[_CHUNK:]
        if self._pending:
            return head + bytes([0x61, min(len(self._pending), 0xFF) & 0xFF])
        return head + _SW_OK

    def respond(self, apdu: bytes) -> bytes:
        cla, ins = apdu[0], apdu[1]
        if ins == 0xA4 and apdu[2] == 0x04:  # SELECT by AID
            length = apdu[4] if len(apdu) > 4 else 0
            wanted = apdu[5:5 + length]
            if self._behaviour == "wrong_aid" or wanted != self._aid:
                return _NOT_FOUND
            self._selected = True
            return _SW_OK
        if self._behaviour == "leave_mid_exchange":
            raise CardPulled()
        if ins == 0xC0 and self._pending:  # GET RESPONSE
            return self._chunk(self._pending)
        if self._selected and cla == 0x80 and ins == 0xCA:
            return self._chunk(self._payload)
        return _INS_NOT_SUPPORTED
