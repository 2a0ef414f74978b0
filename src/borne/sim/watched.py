"""What the box announced after the simulator acted: the first of some events, or nothing.

``borne sim wifi`` shows a code and says whether the box offered to join (``network.offered``)
or refused it (``capture.error``: a WEP code, no NetworkManager); ``borne sim button`` pressed
while that question is on screen says how the join ended (``network.joined`` with the
address, ``network.failed`` with its code). The events carry no password: the answer is
built from them only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from ..events import EventBus

__all__ = ["act_and_watch", "watch_after"]

#: What a watcher makes of an event: the fields to add to the answer, or None (not the one).
Match = Callable[[Any], "dict[str, Any] | None"]


async def watch_after(bus: EventBus, act: Callable[[], Awaitable[dict[str, Any]]],
                      match: Match, wait_s: float) -> dict[str, Any]:
    """Run ``act()``, then add to its answer what ``match`` makes of the first event it takes
    within ``wait_s``; ``{"announced": None}`` when none comes."""
    subscription = bus.subscribe()  # before acting: the answer may come at once
    try:
        answer = await act()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(subscription.get(), remaining)
            except asyncio.TimeoutError:
                break
            if event is None:  # the bus cut a slow reader: the answer is unknown
                break
            found = match(event)
            if found is not None:
                return {**answer, **found}
        return {**answer, "announced": None}
    finally:
        subscription.close()


async def act_and_watch(bus: EventBus, act: Callable[[], Awaitable[dict[str, Any]]],
                        types: tuple[str, ...], wait_s: float) -> dict[str, Any]:
    """Run ``act()``, then add the first event of ``types`` within ``wait_s`` to its answer:
    ``announced`` (its type, or None) and its fields."""
    def match(event: Any) -> dict[str, Any] | None:
        if event.type not in types:
            return None
        return {**msgspec.structs.asdict(event.data), "announced": event.type}

    return await watch_after(bus, act, match, wait_s)
