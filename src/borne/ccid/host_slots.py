"""The workstation's use of the box's slots: an APDU lease per slot while it talks to the card.

A USB (or serial) host is one more client of the box's APDU channel
(:class:`borne.apdu.service.ApduService`): its first power-on of a slot takes the slot's
lease, as a paired workstation's ``POST /v1/leases`` does. The box then pauses its own reads
of that slot, every APDU is journaled without its data (attributed to :data:`CLIENT_ID`),
``[apdu] allow_pin_verification`` and the last-try protection apply. The lease lasts as
long as the host keeps the card powered (it is renewed meanwhile): it ends at the host's
power-off (pcscd powers an unused card off by itself at its next poll), at the card's
removal, or when the box stops. It never ends while the host thinks the card powered: an
application keeping its connection open would find its card reset under it.

The box loses nothing by waiting: it reads a card as it comes (the host's power-on waits
for that read), and the next card comes only after a removal, which ends the hold.

Everything here runs on the event loop; :mod:`.box_slot` is the transport thread's view.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from dataclasses import dataclass
from typing import Any

from ..apdu.leases import LeaseError
from ..events import CardInserted, CardRemoved, Event, ReaderAttached, ReaderDetached

__all__ = ["CLIENT_ID", "CLIENT_NAME", "HostSlots", "SlotRefused"]

log = logging.getLogger("borne.ccid")

#: Who the journal says used a slot through the USB port (never a paired client's id:
#: those are 32 hex digits).
CLIENT_ID = "usb-host"
CLIENT_NAME = "USB workstation"
#: How long a power-on waits for the box's own read of the card to end.
READ_WAIT_S = 3.0
#: Answers given to the host's application instead of sending the command to the card:
#: "security status not satisfied" when the policy forbids PIN commands, "conditions of use
#: not satisfied" while a PIN's last try waits for the button at the box, "wrong length"
#: for a command the box cannot parse (ISO/IEC 7816-4, 5.1.3 status words).
SW_PIN_FORBIDDEN = bytes.fromhex("6982")
SW_LAST_TRY = bytes.fromhex("6985")
SW_WRONG_LENGTH = bytes.fromhex("6700")
_SW_FOR = {"pin_verification_forbidden": SW_PIN_FORBIDDEN,
           "pin_last_try_protected": SW_LAST_TRY,
           "bad_request": SW_WRONG_LENGTH, "apdu_too_large": SW_WRONG_LENGTH}


class SlotRefused(Exception):
    """The slot cannot serve the host now; ``code`` says why (``no_card``, ``slot_busy``,
    ``card_removed``, ``lease_expired``...). Carries no card data."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _HostSlot:
    """One reader slot the host sees, and the box slot behind it now."""

    pattern: str
    slot_id: str | None = None
    lease_id: str | None = None
    renewal: asyncio.TimerHandle | None = None
    commands: int = 0


class HostSlots:
    """The host's reader slots (``patterns``: ``[usb] slots``) over the box's slots.

    ``notify(index, present)`` is called on the loop when a card goes in or out of the box
    slot behind host slot ``index`` (the transport sends NotifySlotChange).
    """

    def __init__(self, patterns: list[str], *, core: Any, bus: Any, apdu: Any,
                 notify: Any = None, polled: bool = False) -> None:
        self._core = core
        self._bus = bus
        self._apdu = apdu
        self.notify = notify
        self.slots = [_HostSlot(pattern) for pattern in patterns]
        # ``polled``: a host that learns of cards by polling and outlives the box's daemon
        # (libccid on a serial line) may think its card still powered after the daemon
        # restarts. Each slot then shows empty to one status question (CcidDevice:
        # GetSlotStatus): the host's driver sees the card leave and come back and powers it
        # again. A USB host needs none of it: the daemon's restart re-enumerates the device,
        # and a stale "empty" would hide a card from a driver waiting for interrupts.
        self._stale = set(range(len(self.slots))) if polled else set()
        self.map_slots()
        bus.add_listener(self._on_event)

    # -- which box slot is behind which host slot ---------------------------------------------

    def map_slots(self) -> None:
        """Give each host slot the first contact slot (by PC/SC name) its pattern matches and
        no earlier host slot took; a slot whose box slot went keeps none until it is back."""
        contact = sorted((s.info for s in self._core.slots.values() if s.info.kind == "contact"),
                         key=lambda info: info.name)
        taken: set[str] = set()
        for host in self.slots:
            if host.lease_id is not None and host.slot_id in self._core.slots:
                taken.add(host.slot_id)  # never moved under a host that talks to its card
                continue
            host.slot_id = next(
                (info.id for info in contact if info.id not in taken
                 and (fnmatch.fnmatchcase(info.id, host.pattern)
                      or fnmatch.fnmatchcase(info.name, host.pattern))), None)
            if host.slot_id is not None:
                taken.add(host.slot_id)

    def index_of(self, slot_id: str) -> int | None:
        """The host slot showing box slot ``slot_id``, if any."""
        return next((i for i, h in enumerate(self.slots) if h.slot_id == slot_id), None)

    # -- what the transport thread reads (plain attribute reads: safe from another thread) --

    def present(self, index: int) -> bool:
        """A card is in the box slot behind host slot ``index``."""
        state = self._box_slot(index)
        return state is not None and state.state != "empty"

    def take_change(self, index: int) -> bool:
        """True once if the card behind ``index`` lost its power without the host asking."""
        if index in self._stale:
            self._stale.discard(index)
            return self.present(index)
        return False

    def powered(self, index: int) -> bool:
        """The host powered the card and still holds the slot."""
        return self.slots[index].lease_id is not None

    def busy(self, index: int) -> bool:
        """Someone else (a paired workstation's lease) holds the slot."""
        slot_id = self.slots[index].slot_id
        if slot_id is None:
            return False
        holder = self._apdu.book.for_slot(slot_id, self._apdu.now())
        return holder is not None and holder.client_id != CLIENT_ID

    def in_use(self) -> list[int]:
        """The host slots the host holds now."""
        return [i for i, h in enumerate(self.slots) if h.lease_id is not None]

    # -- what the host asks (on the loop) -------------------------------------------------

    async def power_on(self, index: int) -> bytes:
        """Power (or reset) the card for the host and return its ATR; takes the slot's lease
        once the box's own read of the card, if one is under way, is over."""
        host = self.slots[index]
        if host.lease_id is None:
            slot_id = await self._readable_slot(index)
            try:
                lease = self._apdu.take(slot_id, CLIENT_ID, CLIENT_NAME, self._apdu.book.max_s)
            except LeaseError as error:
                raise SlotRefused(error.code) from None
            host.lease_id = lease.id
            self._apdu.attach(lease.id, CLIENT_ID, _HostChannel(self, index, lease.id))
            self._renew_later(index)
            op = "power_on"
        else:
            op = "reset"
        answer = await self._request(index, {"op": op})
        return bytes.fromhex(answer["atr"])

    async def power_off(self, index: int) -> None:
        """The host is done with the card: unpower it, end the lease (the box reads again)."""
        self._end(index)

    async def transmit(self, index: int, apdu: bytes) -> bytes:
        """Send one command APDU for the host; the card's answer, or the status word the box
        answers in its place (PIN policy, a command it cannot parse)."""
        host = self.slots[index]
        if host.lease_id is None:
            raise SlotRefused("lease_expired")
        answer = await self._request(index, {"op": "apdu", "apdu": apdu.hex()})
        host.commands += 1
        return bytes.fromhex(answer["response"])

    async def _request(self, index: int, message: dict[str, Any]) -> dict[str, Any]:
        host = self.slots[index]
        lease_id = host.lease_id
        if lease_id is None:
            raise SlotRefused("lease_expired")
        answer = await self._apdu.handle(lease_id, CLIENT_ID, message)
        if answer["op"] != "error":
            return answer
        code = answer["code"]
        if code in _SW_FOR and message["op"] == "apdu":
            return {"op": "response", "response": _SW_FOR[code].hex()}
        if code in ("lease_expired", "card_removed", "no_card"):
            self._end(index)
        raise SlotRefused(code)

    async def _readable_slot(self, index: int) -> str:
        """The box slot behind ``index`` once no box read of its card is under way."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_WAIT_S
        while True:
            state = self._box_slot(index)
            if state is None or state.state == "empty":
                raise SlotRefused("no_card")
            if state.state != "reading" or loop.time() >= deadline:
                return state.info.id
            await asyncio.sleep(0.02)

    def _box_slot(self, index: int) -> Any:
        slot_id = self.slots[index].slot_id
        return None if slot_id is None else self._core.slots.get(slot_id)

    # -- the end of a hold --------------------------------------------------------------

    def _renew_later(self, index: int) -> None:
        """Renew the host's lease at half its length, for as long as the host holds it."""
        host = self.slots[index]
        host.renewal = asyncio.get_running_loop().call_later(
            self._apdu.book.max_s / 2, self._renew, index)

    def _renew(self, index: int) -> None:
        host = self.slots[index]
        host.renewal = None
        if host.lease_id is None:
            return
        try:
            self._apdu.renew(host.lease_id, CLIENT_ID, self._apdu.book.max_s)
        except LeaseError:
            self.lost(index, host.lease_id)
            return
        self._renew_later(index)

    def _end(self, index: int) -> None:
        host = self.slots[index]
        lease_id, host.lease_id = host.lease_id, None
        if host.renewal is not None:
            host.renewal.cancel()
            host.renewal = None
        if lease_id is not None:
            try:
                self._apdu.release(lease_id, CLIENT_ID)
            except LeaseError:
                pass  # already over (expired, the card went)

    def lost(self, index: int, lease_id: str) -> None:
        """The APDU service ended the host's lease (card gone, reader gone, service stopping)."""
        host = self.slots[index]
        if host.lease_id == lease_id:
            host.lease_id = None
            if host.renewal is not None:
                host.renewal.cancel()
                host.renewal = None

    # -- the slots' news -------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        data = event.data
        if isinstance(data, (ReaderAttached, ReaderDetached)):
            before = [h.slot_id for h in self.slots]
            self.map_slots()
            for index, host in enumerate(self.slots):
                if host.slot_id != before[index]:
                    self._notify(index, self.present(index))
        elif isinstance(data, (CardInserted, CardRemoved)):
            index = self.index_of(data.slot)
            if index is None:
                return
            if isinstance(data, CardRemoved):
                self._end(index)  # the host's session with that card is over
            self._notify(index, isinstance(data, CardInserted))

    def _notify(self, index: int, present: bool) -> None:
        if self.notify is not None:
            self.notify(index, present)

    def close(self) -> None:
        """End every hold and stop listening (the service stops)."""
        self._bus.remove_listener(self._on_event)
        for index in range(len(self.slots)):
            self._end(index)


class _HostChannel:
    """The APDU service's channel to the host: what it says of the lease, seen by HostSlots."""

    def __init__(self, owner: HostSlots, index: int, lease_id: str) -> None:
        self._owner, self._index, self._lease_id = owner, index, lease_id

    def push(self, message: dict[str, Any]) -> None:
        """``lease_lost`` ends the host's hold; card news reaches the host as slot changes."""
        if message.get("op") == "lease_lost":
            self._owner.lost(self._index, self._lease_id)

    def close(self, reason: str) -> None:
        """The service closed the channel: the lease is over."""
        self._owner.lost(self._index, self._lease_id)
