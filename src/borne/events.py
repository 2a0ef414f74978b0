"""The event bus: one stream of typed events is the spine of the daemon.

Readers publish what happens; the log, the CLI, and later the display, the
API's event stream and the journals subscribe. Each event carries a
monotonically increasing sequence number so a client can resume after a
reconnect; the bus keeps the last ``history`` events for that.

Events never carry identity data (names, NIR, birth dates) nor PINs: a decoded
card is announced by type and slot, and its content is fetched from the state.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from .runtime.clock import Clock

__all__ = ["EVENT_TYPES", "Event", "EventBus", "Subscription"]

log = logging.getLogger(__name__)

#: Every event type, with what it means. New types are added, never renamed.
EVENT_TYPES: Final[dict[str, str]] = {
    "daemon.started": "the daemon finished starting (readers enumerated)",
    "daemon.stopping": "the daemon is shutting down",
    "device.state": "a device backend changed state (e.g. pcsc available/unavailable)",
    "reader.attached": "a reader slot appeared",
    "reader.detached": "a reader slot went away",
    "card.inserted": "a card is present in a slot (ATR known)",
    "card.removed": "the card left its slot",
    "card.decoded": "the card in a slot was read and decoded (content via the state, not the event)",
    "card.error": "reading the card in a slot failed (stable code)",
    "pairing.opened": "the pairing window opened (the code is shown on the box only)",
    "pairing.completed": "a workstation was paired",
    "client.revoked": "a paired workstation was revoked",
    "apcv.presented": "an appli carte Vitale was presented (QR or NFC): fetch it by its id, once",
    "prescription.scanned": "an ordonnance numérique QR code was scanned: fetch it by its id, once",
    "apcv.presentation.expired": "a presentation nobody fetched within its time was forgotten",
    "capture.error": "a QR code or an NFC presentation could not be used (stable code)",
    "apcv.session.opened": "an apCV session opened (quota from the CPS in the box)",
    "apcv.invoice.claimed": "an invoice of an apCV session was claimed",
    "apcv.session.exhausted": "an apCV session used its last invoice: present the app again",
    "apcv.session.expired": "an apCV session reached its end (20 minutes)",
    "clock.set": "the wall clock became trustworthy: a paired client set it, or NTP took over",
    "mode.changed": "the box switched between counter and mobile mode",
    "battery.state": "the battery's level, charging or state (ok/low/critical) changed",
    "journal.stored": "a read was stored, encrypted, in the offline journal (seq, kind, waiting)",
    "journal.collected": "a client acknowledged journal records, which were deleted",
    "journal.retention_warning": "unacknowledged journal records will soon be purged",
    "journal.purged": "unacknowledged journal records older than the retention were purged",
    "journal.recovered": "a corrupted journal was set aside intact and a fresh one started",
    "clock.set": "the wall clock was set (by the paired client, or NTP took over)",
}


@dataclass(frozen=True)
class Event:
    """One published event.

    ``mono`` is seconds on the monotonic clock at publication; ``wall`` the UTC
    wall clock and ``wall_synced`` whether it can be trusted.
    """

    seq: int
    type: str
    mono: float
    wall: str
    wall_synced: bool
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the event."""
        return {
            "seq": self.seq,
            "type": self.type,
            "mono": round(self.mono, 6),
            "wall": self.wall,
            "wall_synced": self.wall_synced,
            "data": self.data,
        }


class Subscription:
    """An asynchronous reader of the bus with a bounded queue.

    A subscriber too slow to keep up is not allowed to stall the box: when its
    queue is full it is marked ``overflowed`` and closed; its consumer sees the
    iteration end and decides (the API sends a final event and cuts the client).
    """

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self._maxsize = maxsize
        # One spare place, always kept free for the end marker: an overflowing
        # subscriber keeps every event it got, without a gap, so it can resume.
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize + 1)
        self.overflowed = False
        self.closed = False

    def _offer(self, event: Event) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= self._maxsize:
            self.overflowed = True
            self._close_now()
            return
        self._queue.put_nowait(event)

    def _close_now(self) -> None:
        self.closed = True
        self._bus._unsubscribe(self)
        self._queue.put_nowait(None)  # wakes a waiting consumer; the spare place is free

    def close(self) -> None:
        """Stop receiving events; a pending ``get`` returns None."""
        if not self.closed:
            self._close_now()

    async def get(self) -> Event | None:
        """The next event, or None once the subscription is closed."""
        if self.closed and self._queue.empty():
            return None
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while (event := await self.get()) is not None:
            yield event


class EventBus:
    """Publishes events to listeners (synchronous) and subscriptions (asynchronous).

    Must be used from the event loop's thread; backends running in worker
    threads hand their observations over with ``loop.call_soon_threadsafe``.
    """

    def __init__(self, clock: Clock, *, history: int = 2048) -> None:
        self._clock = clock
        self._seq = 0
        self._history: collections.deque[Event] = collections.deque(maxlen=history)
        self._listeners: list[Callable[[Event], None]] = []
        self._subscriptions: list[Subscription] = []

    @property
    def last_seq(self) -> int:
        """Sequence number of the last published event (0 before the first)."""
        return self._seq

    def publish(self, type: str, data: dict[str, Any] | None = None) -> Event:
        """Publish an event of a known ``type``; returns it with its sequence number."""
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        self._seq += 1
        wall = self._clock.wall()
        event = Event(self._seq, type, self._clock.monotonic(), wall.iso, wall.synchronised,
                      dict(data or {}))
        self._history.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the bus
                log.exception("event listener failed on %s", event.type)
        for subscription in list(self._subscriptions):
            subscription._offer(event)
        return event

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` synchronously for every event (keep it fast)."""
        self._listeners.append(listener)


    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        """Stop calling ``listener`` (nothing if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)
    def subscribe(self, *, after: int | None = None, maxsize: int = 256) -> Subscription:
        """A new subscription; with ``after``, replays buffered events with seq > after."""
        subscription = Subscription(self, maxsize)
        if after is not None:
            for event in self._history:
                if event.seq > after:
                    subscription._offer(event)
        if not subscription.closed:
            self._subscriptions.append(subscription)
        return subscription

    def history(self, after: int = 0) -> list[Event]:
        """Buffered events with seq > ``after`` (oldest first)."""
        return [event for event in self._history if event.seq > after]

    def _unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
