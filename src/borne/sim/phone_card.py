"""A phone presenting the virtual apCV on a contactless PC/SC slot (vpcd twin).

At a pharmacy counter, a contactless PC/SC reader (a Kapelse KAP-Move's third
slot, for instance) is a second path to the apCV over NFC, beside NFC chips
driven by nfcpy. For pcsc-lite, a phone in card emulation is an ISO 14443-4
card with a PC/SC Part 3 pseudo-ATR; this responder plays one, plugged into vpcd
by :mod:`borne.sim.card_process` (``--factory borne.sim.phone_card:PhoneCard``). Its
APDUs are answered by the same :class:`~borne.sim.phone.PhoneApplet` as the
nfcpy virtual phone's.

It answers the **simulator's** apCV exchange ([nfc] defaults), not the real
app's, which is not public.
"""

from __future__ import annotations

from borne.sim.phone import DEFAULT_AID, DEFAULT_COMMAND, PhoneApplet
from borne.vpcd.responder import CardPulled

__all__ = ["PHONE_ATR", "PhoneCard"]

#: PC/SC Part 3 pseudo-ATR of an ISO 14443-4 Type A card without historical bytes
#: (3B 80 80 01 01: T=1 over the contactless interface; TCK 01).
PHONE_ATR = bytes.fromhex("3B80800101")


class PhoneCard:
    """The virtual apCV phone as a :class:`~borne.vpcd.responder.CardResponder`.

    ``behaviour``: ``ok``; ``leave_mid_exchange`` (answers the SELECT, then is
    taken away); ``wrong_aid`` (the apCV application is not on this phone).
    """

    def __init__(self, payload_hex: str, aid_hex: str = DEFAULT_AID.hex(),
                 behaviour: str = "ok") -> None:
        self._make = lambda: PhoneApplet(bytes.fromhex(aid_hex), [DEFAULT_COMMAND],
                                         [bytes.fromhex(payload_hex)],
                                         has_app=behaviour != "wrong_aid")
        self._behaviour = behaviour
        self._applet = self._make()

    @property
    def atr(self) -> bytes:
        return PHONE_ATR

    def power_on(self) -> None:
        self.reset()

    def power_off(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._applet = self._make()

    def respond(self, apdu: bytes) -> bytes:
        if self._behaviour == "leave_mid_exchange" and self._applet.selected:
            raise CardPulled()
        return self._applet.respond(apdu)
