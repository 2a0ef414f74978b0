"""Tells the bus when NTP takes the wall clock over (``clock.set`` with source "ntp").

:class:`~borne.runtime.clock.Clock` notices the kernel's synchronisation lazily, on any
reading, from any thread; it only queues the change. This task drains the queue
on the event loop, so the event is published in order with every other one (a
publication from inside ``Clock.wall()`` would nest inside another event's).
A client's setting (``POST /v1/clock``) is published by its request handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ..events import ClockSet

__all__ = ["ClockWatch"]


class ClockWatch:
    """Publishes ``clock.set`` for every change the clock has seen, every ``every_s`` seconds."""

    def __init__(self, clock: Any, bus: Any, *, every_s: float = 5.0) -> None:
        self._clock = clock
        self._bus = bus
        self._every_s = every_s
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

    def check(self) -> int:
        """Publish the changes seen since the last check; how many."""
        poll = getattr(self._clock, "poll", None)  # test doubles of Clock may have none
        changes = poll() if poll is not None else []
        for change in changes:
            self._bus.publish(ClockSet(**change.event_data()))
        return len(changes)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            self.check()
