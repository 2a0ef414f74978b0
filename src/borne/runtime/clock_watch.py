"""Tells the bus when NTP takes the wall clock over (``clock.set`` with source "ntp").

:class:`~borne.runtime.clock.Clock` notices the kernel's synchronisation lazily, on any
reading, from any thread; it only queues the change. This task drains the queue
on the event loop, so the event is published in order with every other one (a
publication from inside ``Clock.wall()`` would nest inside another event's).
A client's setting (``POST /v1/clock``) is published by its request handler.

At each check it also raises the box's last known time to the clock's reading
(:mod:`borne.runtime.last_known_time`), written now and then and when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ..events import ClockSet
from .last_known_time import LastKnownTime

__all__ = ["ClockWatch"]


class ClockWatch:
    """Publishes ``clock.set`` for every change the clock has seen, every ``every_s`` seconds."""

    def __init__(self, clock: Any, bus: Any, *, every_s: float = 5.0,
                 last_known: LastKnownTime | None = None) -> None:
        self._clock = clock
        self._bus = bus
        self._every_s = every_s
        self._last_known = last_known
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start watching (on the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop watching (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._last_known is not None:
            self.remember()
            self._last_known.save()

    def check(self) -> int:
        """Publish the changes seen since the last check; how many."""
        poll = getattr(self._clock, "poll", None)  # test doubles of Clock may have none
        changes = poll() if poll is not None else []
        for change in changes:
            self._bus.publish(ClockSet(**change.event_data()))
        if self._last_known is not None:
            self.remember()
            if changes:  # NTP took over: its time is the floor from now on
                self._last_known.save()
            else:
                self._last_known.save_if_due(self._clock.monotonic())
        return len(changes)

    def remember(self) -> None:
        """Raise the last known time to the clock's reading now."""
        if self._last_known is not None:
            self._last_known.note(self._clock.time(), self._clock.source)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            self.check()
