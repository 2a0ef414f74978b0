"""Waiting for a condition or an event: with a deadline, and failing the test with what was awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

__all__ = ["wait_event", "wait_for"]


def wait_for(predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.02) -> object:
    """Poll ``predicate`` until it returns something true; return it. Fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            what = getattr(predicate, "__name__", predicate)
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


async def wait_event(events, type_: str, timeout: float = 20.0):
    """The next event of ``type_`` from a subscription or a client's stream, within ``timeout``."""
    async def find():
        async for event in events:
            if event.type == type_:
                return event
    return await asyncio.wait_for(find(), timeout)
