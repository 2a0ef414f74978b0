"""The APDU channel's service: leases, their card connections and their channels.

:class:`ApduService` keeps the leases
(:mod:`~borne.apdu.leases`, pure), one card connection per lease
(:mod:`~borne.apdu.exchange`, pyscard on its own thread), checks commands
(:mod:`~borne.apdu.validate`, pure) and tells the holder's channel what happens
to the slot. The WebSocket itself lives in :mod:`borne.api.apdu_routes` and
reaches the service through a :class:`Channel`.

Importing this module loads no pyscard: the first lease does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..api.statuses import channel_audit_status
from ..errors import CardError
from ..events import CardInserted, CardRemoved, Event, ReaderDetached
from .leases import Lease, LeaseBook, LeaseError
from .pin_guard import REQUEST_S as _REQUEST_S
from .pin_guard import PinGuard, probe_for
from .validate import ApduError, Command, journal_line, parse_command, parse_hex

__all__ = ["ApduService", "Channel", "Lease", "LeaseError"]

log = logging.getLogger("borne.apdu")

#: The journal's entries of a channel are written once no APDU came for this long...
JOURNAL_IDLE_S = 0.02
#: ... or this long after the oldest one waiting, or once this many wait.
JOURNAL_MAX_DELAY_S = 0.5
JOURNAL_BATCH = 64
#: Codes after which the card is known to be gone from the slot.
_GONE = frozenset({"card_removed", "no_card"})


class Channel(Protocol):
    """How the service talks to a lease holder's open channel (a WebSocket)."""

    def push(self, message: dict[str, Any]) -> None:
        """Send ``message`` soon, after what was sent before (never blocks)."""

    def close(self, reason: str) -> None:
        """Close the channel after what was pushed (``reason``: ``lease_lost``,
        ``replaced``, ``stopping``)."""


@dataclass
class _Held:
    """A live lease and its slot's runtime state."""

    lease: Lease
    reader: str
    link: Any  # borne.apdu.exchange.CardLink
    present: bool
    atr: bytes | None
    channel: Channel | None = None
    timer: asyncio.TimerHandle | None = None
    grace: asyncio.TimerHandle | None = None


class ApduService:
    """Leases on slots, their card connections and their channels. Runs on the event loop.

    ``pause(slot_id, paused)`` stops the box's own reads of a leased slot
    (:meth:`borne.readers.pcsc.PcscBackend.set_paused`); ``link_factory(reader)``
    builds the card connection (tests pass a fake); ``ask_person(slot_id, until)``
    shows the person at the box that a PIN's last try waits for the button
    (:meth:`confirm_pin`), until the monotonic time ``until``.
    """

    def __init__(self, config: Any, *, core: Any, bus: Any, clock: Any, audit: Any,
                 pause: Callable[[str, bool], None] | None = None,
                 link_factory: Callable[[str], Any] | None = None,
                 ask_person: Callable[[str, float], None] | None = None) -> None:
        self.config = config
        self._core = core
        self._bus = bus
        self._clock = clock
        self._audit = audit
        self._pause = pause
        self._link_factory = link_factory or _pcsc_link
        self._ask_person = ask_person
        #: The PINs' try counters the box has seen: their last try is the person's.
        self.pins = PinGuard()
        self._slot_locks: dict[str, asyncio.Lock] = {}
        self.book = LeaseBook(max_s=config.max_lease_s, default_s=config.default_lease_s)
        self._held: dict[str, _Held] = {}
        # Work left running (card links closed, audit entries written). Not a TaskGroup: an
        # APDU already on its way when the service stops is still journaled afterwards, from
        # its channel's handler, which outlives the service by a moment (the API stops after).
        self._background: set[asyncio.Future[Any]] = set()
        self._pending: list[tuple[str, str, str, int]] = []
        self._oldest: float | None = None
        self._flush_handle: asyncio.TimerHandle | None = None
        self._stopped = False
        bus.add_listener(self._on_event)

    def now(self) -> float:
        """The monotonic clock leases run on."""
        return self._clock.monotonic()

    # -- leases (REST) -----------------------------------------------------------------------

    def take(self, slot_id: str, client_id: str, client_name: str, seconds: object, *,
             admin: bool = False) -> Lease:
        """Lease ``slot_id`` to the client (``not_found``, ``slot_busy``: naming the holder to
        an ``admin`` client only, see :meth:`LeaseBook.take`; ``bad_request``)."""
        slot = self._core.slots.get(slot_id)
        if slot is None or self._stopped:
            raise LeaseError("not_found", slot=slot_id[:64])
        self._end_overdue(slot_id)
        lease = self.book.take(slot_id, client_id, client_name, seconds, self.now(), admin=admin)
        present = slot.state != "empty"
        held = _Held(lease, slot.info.name, self._link_factory(slot.info.name), present,
                     slot.atr if present else None)
        self._held[lease.id] = held
        self._set_paused(slot_id, True)
        self._arm(held)
        self._journal(client_id, "APDU lease", f"{slot_id} lease={lease.id} take", 201)
        return lease

    def renew(self, lease_id: str, client_id: str, seconds: object) -> Lease:
        """Push the lease's end to ``seconds`` from now; ends a pending channel grace."""
        lease = self.book.renew(lease_id, client_id, seconds, self.now())
        held = self._held[lease.id]
        self._arm(held)
        if held.grace is not None:
            held.grace.cancel()
            held.grace = None
        self._journal(client_id, "APDU lease", f"{lease.slot} lease={lease.id} renew", 200)
        return lease

    def release(self, lease_id: str, client_id: str) -> None:
        """End the client's lease now (its open channel is told ``released``)."""
        lease = self.book.get(lease_id, client_id, self.now())
        self._lose(self._held[lease.id], "released")

    def leases_of(self, client_id: str) -> list[Lease]:
        """The client's live leases."""
        return self.book.of_client(client_id, self.now())

    def check(self, lease_id: str, client_id: str) -> Lease:
        """The client's live lease, or ``lease_not_found``."""
        return self.book.get(lease_id, client_id, self.now())

    def confirm_pin(self, slot_id: str) -> bool:
        """The person at the box pressed the button while the screen asked: the lease whose
        PIN command was refused at the last try may send one. False if nothing waited."""
        allowed = self.pins.allow(slot_id, self.now())
        if allowed:
            holder = self.book.for_slot(slot_id, self.now())
            self._journal(holder.client_id if holder else "", "APDU pin",
                          f"{slot_id} last try allowed at the box", 200)
        return allowed

    def client_revoked(self, client_id: str) -> None:
        """A revoked client loses every lease at once (``lease_lost`` ``revoked``)."""
        for lease in self.book.of_client(client_id):
            held = self._held.get(lease.id)
            if held is not None:
                self._lose(held, "revoked")

    # -- channels ----------------------------------------------------------------------------

    def attach(self, lease_id: str, client_id: str, channel: Channel) -> None:
        """``channel`` is now the lease's channel; an older one is closed (``replaced``)."""
        lease = self.check(lease_id, client_id)
        held = self._held[lease.id]
        if held.grace is not None:
            held.grace.cancel()
            held.grace = None
        if held.channel is not None:
            held.channel.close("replaced")
        held.channel = channel

    def detach(self, lease_id: str, channel: Channel) -> None:
        """The channel closed: the lease ends unless renewed or reattached within the grace."""
        held = self._held.get(lease_id)
        if held is None or held.channel is not channel:
            return
        held.channel = None
        loop = asyncio.get_running_loop()
        held.grace = loop.call_later(self.config.channel_grace_s, self._grace_over, lease_id)

    async def handle(self, lease_id: str, client_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Answer one request of the channel (``power_on``, ``reset``, ``power_off``, ``apdu``)."""
        op, ident = message.get("op"), message.get("id")
        held = self._held.get(lease_id)
        if held is None or held.lease.client_id != client_id \
                or held.lease.deadline <= self.now():
            return _error(ident, "lease_expired")
        try:
            if op == "apdu":
                return await self._apdu(held, ident, message.get("apdu"))
            if op in ("power_on", "reset"):
                if not held.present:
                    raise CardError(code="no_card")
                link = held.link
                atr = await (link.power_on() if op == "power_on" else link.reset())
                self._journal(client_id, f"APDU {op}", held.lease.slot, 200)
                return {"op": "atr", "id": ident, "atr": atr.hex().upper()}
            if op == "power_off":
                await held.link.power_off()
                self._journal(client_id, "APDU power_off", held.lease.slot, 200)
                return {"op": "ok", "id": ident}
        except CardError as error:
            return self._card_failed(held, ident, error.code)
        return _error(ident, "bad_request", f"unknown op {str(op)[:32]!r}")

    async def _apdu(self, held: _Held, ident: Any, text: Any) -> dict[str, Any]:
        slot, client_id = held.lease.slot, held.lease.client_id
        try:
            apdu = parse_hex(text)
            command = parse_command(apdu)
        except ApduError as error:
            self._journal(client_id, "APDU", journal_line(slot, None),
                          channel_audit_status(error.code))
            return _error(ident, error.code, error.detail)
        if command.is_pin and not self.config.allow_pin_verification:
            self._journal(client_id, "APDU", journal_line(slot, command),
                          channel_audit_status("pin_verification_forbidden"))
            return _error(ident, "pin_verification_forbidden")
        if not held.present:
            self._journal(client_id, "APDU", journal_line(slot, command),
                          channel_audit_status("no_card"))
            return _error(ident, "no_card")
        # One APDU of the slot at a time from decision to answer: two channels of one lease
        # (a reconnecting bridge) must not both spend a try the box counted once.
        lock = self._slot_locks.setdefault(slot, asyncio.Lock())
        try:
            async with lock:
                if not await self._pin_may_go(held, command):
                    self._journal(client_id, "APDU", journal_line(slot, command),
                                  channel_audit_status("pin_last_try_protected"))
                    return _error(ident, "pin_last_try_protected")
                response = await self._transmit(held, command, apdu)
        except CardError as error:
            self._journal(client_id, "APDU", journal_line(slot, command),
                          channel_audit_status(error.code))
            return self._card_failed(held, ident, error.code)
        if held.lease.id not in self._held:  # lost while the card answered
            return _error(ident, "lease_expired")
        return {"op": "response", "id": ident, "response": response.hex().upper()}

    async def _pin_may_go(self, held: _Held, command: Command) -> bool:
        """Whether ``command`` may go to the card: never a PIN's last try without the person at
        the box (:mod:`borne.apdu.pin_guard`); the card is asked its tries left first."""
        slot, lease_id = held.lease.slot, held.lease.id
        decision = self.pins.decide(slot, lease_id, command, self.now())
        if decision == "ask":
            probe = probe_for(command)
            await self._transmit(held, parse_command(probe), probe)
            decision = self.pins.decide(slot, lease_id, command, self.now(), asked=True)
        if decision == "refuse" and self._ask_person is not None:
            self._ask_person(slot, self.now() + _REQUEST_S)
        return decision != "refuse"

    async def _transmit(self, held: _Held, command: Command, apdu: bytes) -> bytes:
        """Send ``apdu`` to the card, journal it, learn what it says of its PIN counters."""
        response = await held.link.transmit(apdu)
        self._journal(held.lease.client_id, "APDU", journal_line(
            held.lease.slot, command, len(response) - 2, response[-2:]), 200)
        self.pins.learn(held.lease.slot, command, response[-2:])
        return response

    def _card_failed(self, held: _Held, ident: Any, code: str) -> dict[str, Any]:
        if held.lease.id not in self._held:
            return _error(ident, "lease_expired")
        if code in _GONE and held.present:
            # The exchange saw the card go before the reader's watcher did: say it once.
            self._card_gone(held)
        return _error(ident, code)

    # -- what happens to the slot ----------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        data = event.data
        if not isinstance(data, (CardInserted, CardRemoved, ReaderDetached)):
            return
        self.pins.card_changed(data.slot)  # another card: its counters are asked again
        held = next((h for h in self._held.values() if h.lease.slot == data.slot), None)
        if held is None:
            return
        if isinstance(data, ReaderDetached):
            self._lose(held, "reader_unavailable")
        elif isinstance(data, CardRemoved):
            if held.present:
                self._card_gone(held)
        else:
            held.present, held.atr = True, data.atr
            if held.channel is not None:
                held.channel.push({"op": "card_inserted", "atr": held.atr.hex().upper()})

    def _card_gone(self, held: _Held) -> None:
        held.present, held.atr = False, None
        if held.link.powered:
            self._background_task(held.link.forget())
        if held.channel is not None:
            held.channel.push({"op": "card_removed"})

    def _arm(self, held: _Held) -> None:
        if held.timer is not None:
            held.timer.cancel()
        loop = asyncio.get_running_loop()
        held.timer = loop.call_later(held.lease.seconds_left(self.now()), self._deadline,
                                     held.lease.id)

    def _deadline(self, lease_id: str) -> None:
        held = self._held.get(lease_id)
        if held is None:
            return
        if held.lease.deadline > self.now():  # renewed meanwhile, or the clock is early
            self._arm(held)
            return
        self._lose(held, "lease_expired")

    def _end_overdue(self, slot_id: str) -> None:
        """End the slot's lease that is over on the clock but whose timer has not fired yet.

        Its timer fires a little after its deadline (a busy loop): a lease taken in between
        must not be followed by the old one's end, which would resume the box's reads and
        take the slot's news under the new holder. Ended here, first, the old lease's timer
        finds nothing left to do.
        """
        now = self.now()
        for held in [h for h in self._held.values() if h.lease.slot == slot_id]:
            if held.lease.deadline <= now:
                self._lose(held, "lease_expired")

    def _grace_over(self, lease_id: str) -> None:
        held = self._held.get(lease_id)
        if held is not None and held.channel is None:
            held.grace = None
            self._lose(held, "released")

    def _lose(self, held: _Held, code: str) -> None:
        """End a lease: tell its channel, close it, unpower the card, resume the box's reads."""
        lease = held.lease
        if self._held.pop(lease.id, None) is None:
            return
        self.book.drop(lease.id)
        for handle in (held.timer, held.grace):
            if handle is not None:
                handle.cancel()
        if held.channel is not None:
            held.channel.push({"op": "lease_lost", "code": code})
            held.channel.close("lease_lost")
            held.channel = None
        self._background_task(held.link.close())
        if not any(h.lease.slot == lease.slot for h in self._held.values()):
            self._set_paused(lease.slot, False)  # never under another lease of the slot
        self._journal(lease.client_id, "APDU lease", f"{lease.slot} lease={lease.id} end={code}",
                      200)

    def _set_paused(self, slot_id: str, paused: bool) -> None:
        if self._pause is not None:
            try:
                self._pause(slot_id, paused)
            except Exception:  # a reader backend failing must not keep a lease alive
                log.exception("pausing slot %s failed", slot_id)

    # -- background work ---------------------------------------------------------------------

    def _journal(self, client_id: str, action: str, resource: str, status: int) -> None:
        """Journal one fact, in order, soon: when the channel pauses (see :data:`JOURNAL_IDLE_S`).

        A durable write per APDU in the middle of a card read would double its time
        on a Pi; the entries are written, one per APDU as ever, once the burst is over.
        """
        self._pending.append((client_id, action, resource, status))
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._oldest is None:
            self._oldest = now
        if len(self._pending) >= JOURNAL_BATCH or now - self._oldest >= JOURNAL_MAX_DELAY_S:
            self._flush()
            return
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush_handle = loop.call_later(JOURNAL_IDLE_S, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        pending, self._pending, self._oldest = self._pending, [], None
        for client_id, action, resource, status in pending:
            # Submitted in order: the journal writes on one thread, in call order.
            self._background_task(self._audit.arecord(client_id=client_id, action=action,
                                                      resource=resource, status=status))

    def _background_task(self, awaitable: Any) -> None:
        future = asyncio.ensure_future(awaitable)
        self._background.add(future)
        future.add_done_callback(self._background_done)

    def _background_done(self, future: asyncio.Future[Any]) -> None:
        self._background.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("APDU channel background work failed: %s", future.exception())

    async def stop(self) -> None:
        """End every lease (``released``), close the channels and the card connections."""
        self._stopped = True
        self._bus.remove_listener(self._on_event)
        for held in list(self._held.values()):
            self._lose(held, "released")
        self._flush()
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def _error(ident: Any, code: str, detail: str = "") -> dict[str, Any]:
    """An error answer; the channel adds the human message."""
    body: dict[str, Any] = {"op": "error", "id": ident, "code": code}
    if detail:
        body["detail"] = detail
    return body


def _pcsc_link(reader: str) -> Any:
    from .exchange import CardLink

    return CardLink(reader, thread_name="apdu-link")
