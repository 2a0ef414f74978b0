"""The contract between a virtual card's behaviour and the process that plugs it into vpcd.

A responder is the card's "chip": it gets powered, is asked for its ATR and
answers command APDUs. :class:`borne.vpcd.card.VirtualCard` carries its answers
to pcscd's vpcd driver over TCP; tests can also call it directly in memory. The
simulator's chips and phone, and the bridge's remote card, are responders.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["CardPulled", "CardResponder"]


class CardPulled(Exception):
    """Raised by a responder to simulate the card leaving the reader now.

    The vpcd client closes its socket, which pcscd sees as a card removal, in the
    middle of whatever exchange was going on.
    """


@runtime_checkable
class CardResponder(Protocol):
    """What a virtual card must do.

    - ``atr``: the Answer To Reset (bytes);
    - ``power_on()``/``power_off()``/``reset()``: reset volatile state (selected
      file, pending GET RESPONSE data...);
    - ``respond(apdu)``: the full response APDU (data + SW1 SW2) to one command;
      may raise :class:`CardPulled`.
    """

    @property
    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def respond(self, apdu: bytes) -> bytes: ...
