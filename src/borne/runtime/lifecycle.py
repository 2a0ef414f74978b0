"""The daemon's parts and their lifetime: one small protocol, started in order, stopped in reverse.

Every part with a lifetime (the control socket, the offline journal, the API server, the
screen, the battery, the watches...) is a :class:`Service`: ``await start()`` once, then
``await stop()``, which must be idempotent and must not raise for a part that failed to
start (it degrades its device instead). :func:`enter` starts a service and pushes its
``stop`` on an :class:`contextlib.AsyncExitStack`, so shutdown runs in the reverse order of
start-up by construction: a part never outlives what it uses.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Protocol, TypeVar, runtime_checkable

__all__ = ["Service", "enter"]


@runtime_checkable
class Service(Protocol):
    """A part of the daemon with a lifetime."""

    async def start(self) -> None:
        """Start (on the running event loop); a missing device degrades, never raises."""

    async def stop(self) -> None:
        """Stop and release what was taken; idempotent."""


S = TypeVar("S", bound=Service)


async def enter(stack: AsyncExitStack, service: S) -> S:
    """Start ``service`` and have ``stack`` stop it, before what was entered earlier."""
    await service.start()
    stack.push_async_callback(service.stop)
    return service
