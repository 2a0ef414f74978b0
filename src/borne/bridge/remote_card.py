"""A card in the box, answering the workstation's vpcd reader through the APDU channel.

:class:`RemoteCard` is a :class:`~borne.vpcd.responder.CardResponder`, so the
vpcd client (:class:`borne.vpcd.card.VirtualCard`, the simulator's too) plugs it into the
workstation's pcscd exactly like a virtual card: pcscd sees a card in a reader,
and every APDU a PC/SC program sends is carried to the box's slot.

vpcd calls the responder from the VirtualCard's thread; the channel lives on the
bridge's event loop, so each call crosses over with ``run_coroutine_threadsafe``
and waits for the box's answer (one network round trip per APDU).

The lease is taken lazily, at the first power-on or APDU, not when the card
appears: pcscd asks for the ATR as soon as a card is inserted, and the ATR is
known from the box's own events, so the box's own read of the card is not
disturbed by a lease taken for nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..client.api import BoxError
from ..vpcd.responder import CardPulled

__all__ = ["RemoteCard"]

#: What a response to a failed exchange looks like to PC/SC software: "no precise diagnosis".
_SW_FAILED = b"\x6f\x00"
#: A PIN command the box kept from the card's last try (``pin_last_try_protected``, until the
#: button on the box): "conditions of use not satisfied" (ISO/IEC 7816-4 §5.1.3 table 6), so
#: the program neither counts a wrong PIN nor takes the card for blocked.
_SW_NOT_NOW = b"\x69\x85"


class RemoteCard:
    """The box's card in one slot, seen from the workstation's vpcd reader.

    ``call(op, **fields)`` is a coroutine function (on ``loop``) that sends one
    channel request and returns the box's answer (a dict), or raises
    :class:`ConnectionError` when the channel is lost.
    """

    def __init__(self, atr: bytes, call: Callable[..., Awaitable[dict[str, Any]]],
                 loop: asyncio.AbstractEventLoop, *, timeout_s: float = 30.0) -> None:
        self._atr = bytes(atr)
        self._call = call
        self._loop = loop
        self._timeout_s = timeout_s

    @property
    def atr(self) -> bytes:
        return self._atr

    def _request(self, op: str, **fields: Any) -> dict[str, Any]:
        future = asyncio.run_coroutine_threadsafe(self._call(op, **fields), self._loop)
        try:
            return future.result(self._timeout_s)
        except (ConnectionError, TimeoutError, asyncio.TimeoutError, BoxError):
            # The box or the network went away, or the box refused the slot (another
            # workstation leases it): the card leaves the workstation's reader.
            raise CardPulled() from None

    def power_on(self) -> None:
        reply = self._request("power_on")
        if reply.get("op") == "atr":
            self._atr = bytes.fromhex(reply["atr"])

    def power_off(self) -> None:
        try:
            self._request("power_off")
        except CardPulled:
            pass  # powering off a card that is gone is not an error

    def reset(self) -> None:
        reply = self._request("reset")
        if reply.get("op") == "atr":
            self._atr = bytes.fromhex(reply["atr"])

    def respond(self, apdu: bytes) -> bytes:
        reply = self._request("apdu", apdu=bytes(apdu).hex())
        if reply.get("op") == "response":
            return bytes.fromhex(reply["response"])
        if reply.get("code") in ("card_removed", "no_card", "lease_expired",
                                 "reader_unavailable", "pcsc_unavailable"):
            raise CardPulled()
        if reply.get("code") == "pin_last_try_protected":
            return _SW_NOT_NOW
        return _SW_FAILED
