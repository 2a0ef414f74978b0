"""The event bus: publishes typed events, numbered, to listeners and subscriptions.

Readers publish what happens; the log, the screen, the journal, the APDU channel
and the API's event stream follow. Each event carries a monotonically
increasing sequence number so a client can resume after a reconnect; the bus
keeps the last ``history`` events for that. An event's data is one of the
structs of :mod:`borne.events.types`; it becomes JSON only at the edges
(:mod:`borne.events.wire`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .types import EVENT_CLASSES, EventData
from .wire import data_json, event_json

if TYPE_CHECKING:
    from ..runtime.clock import Clock

__all__ = ["Event", "EventBus", "Subscription"]

log = logging.getLogger("borne.events")  # the name it always logged under


@dataclass(frozen=True)
class Event:
    """One published event: the envelope around its typed ``data``.

    ``mono`` is seconds on the monotonic clock at publication; ``wall`` the UTC
    wall clock and ``wall_synced`` whether it can be trusted.
    """

    seq: int
    mono: float
    wall: str
    wall_synced: bool
    data: EventData

    @property
    def type(self) -> str:
        """The event's name (``card.decoded``...): its data's ``TYPE``."""
        return self.data.TYPE

    @cached_property
    def wire_data(self) -> dict[str, Any]:
        """The data as JSON-ready builtins (:func:`borne.events.wire.data_json`), made once for
        every edge that writes it (the log, each event stream, the control socket). Read only."""
        return data_json(self.data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the event (:func:`borne.events.wire.event_json`)."""
        return event_json(self)


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

    def publish(self, data: EventData) -> Event:
        """Publish an event (one of :data:`~borne.events.types.EVENT_CLASSES`); returns it
        with its sequence number."""
        if EVENT_CLASSES.get(getattr(data, "TYPE", "")) is not type(data):
            raise ValueError(f"unknown event type {type(data).__name__}")
        self._seq += 1
        wall = self._clock.wall()
        event = Event(self._seq, self._clock.monotonic(), wall.iso, wall.synchronised, data)
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
