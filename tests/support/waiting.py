"""Waiting for a condition or an event: with a deadline, and failing the test with what was awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

__all__ = ["until", "wait_event", "wait_for"]


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


async def until(predicate: Callable[[], object], what: str = "", timeout: float = 20.0,
                interval: float = 0.05) -> None:
    """Poll ``predicate`` every ``interval`` s without blocking the event loop until it is
    true; fails the test with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(interval)


async def wait_event(events, type_: str, timeout: float = 20.0):
    """The next event of ``type_`` from a subscription or a client's stream, within ``timeout``.

    On a timeout the test fails with the events that did come, and every thread's stack is
    written to stderr (shown with the failure): a rare miss then says where the box was
    (a reader thread blocked in a call, or no event at all), not only that it was late.
    """
    seen: list[str] = []

    async def find():
        async for event in events:
            if event.type == type_:
                return event
            seen.append(event.type)
    try:
        return await asyncio.wait_for(find(), timeout)
    except asyncio.TimeoutError:
        import faulthandler
        import sys

        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        pytest.fail(f"no {type_} event within {timeout} s; came meanwhile: {seen or 'nothing'}")
