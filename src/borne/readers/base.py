"""The contract between reader backends and the daemon.

A smart-card backend watches its readers in a worker thread that only it
knows about, and reports what it observes to a :class:`ReaderSink` *on the
event loop* (``loop.call_soon_threadsafe``). The sink (the daemon's core)
turns observations into state and public events.

Subclasses of :class:`SmartcardBackend` **must** implement :meth:`start` and
:meth:`stop`, and ``from_path``; they **may** override :meth:`describe`.
Vendor exceptions are mapped to :mod:`borne.errors` codes inside the backend.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from .cards.model import Card

__all__ = ["Pausable", "ReaderSink", "SlotInfo", "SmartcardBackend", "call_on_loop", "slot_id_for"]


def slot_id_for(reader_name: str) -> str:
    """A stable, URL-safe id for a reader slot, derived from its PC/SC name.

    pcsc-lite names a slot ``"<reader> <reader index> <slot index>"``; the id is
    that name in lower case with runs of other characters turned into ``-``, so
    it is the same across daemon restarts.
    """
    return re.sub(r"[^a-z0-9]+", "-", reader_name.lower()).strip("-") or "reader"


def call_on_loop(loop: asyncio.AbstractEventLoop | None, method: Any, *args: Any) -> None:
    """From a backend's worker thread: call ``method(*args)`` on ``loop``.

    A loop already closed (the daemon is shutting down) drops the call.
    """
    assert loop is not None
    try:
        loop.call_soon_threadsafe(method, *args)
    except RuntimeError:
        pass


@dataclass(frozen=True)
class SlotInfo:
    """A reader slot as the daemon knows it."""

    id: str
    name: str
    kind: Literal["contact", "contactless"]
    backend: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "backend": self.backend}


class ReaderSink(Protocol):
    """What a backend reports; every method runs on the event loop.

    ``detected_ns`` is the monotonic time (ns) at which the backend learned of
    the change (the return of pcscd's ``SCardGetStatusChange``), so latencies
    can be measured from the hardware's notification.
    """

    def device_state(self, device: str, state: str, detail: str | None = None) -> None: ...

    def reader_attached(self, slot: SlotInfo) -> None: ...

    def reader_detached(self, slot_id: str) -> None: ...

    def card_inserted(self, slot_id: str, atr: bytes, detected_ns: int) -> None: ...

    def card_removed(self, slot_id: str, detected_ns: int) -> None: ...

    def card_decoded(self, slot_id: str, card: Card, detected_ns: int) -> None: ...

    def card_error(self, slot_id: str, code: str, detected_ns: int) -> None: ...

    def phone_presented(self, slot_id: str, payload: bytes, detected_ns: int) -> None:
        """A phone on a contactless slot answered the apCV exchange (an opaque payload)."""


class SmartcardBackend(ABC):
    """Base of smart-card backends (PC/SC and its twin)."""

    #: The device name used in ``device.state`` events and ``borne status``.
    device = "pcsc"

    @classmethod
    @abstractmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> SmartcardBackend:
        """Build the backend from its path string and the daemon's config."""

    @abstractmethod
    def start(self, sink: ReaderSink, loop: asyncio.AbstractEventLoop) -> None:
        """Start watching readers; report to ``sink`` on ``loop``. Must not block."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop watching and release the readers; idempotent."""

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until the first enumeration of readers is done (or failed)."""
        return True

    def describe(self) -> dict[str, Any]:
        """What the backend is, for ``borne status`` and ``borne doctor``."""
        return {"device": self.device, "backend": type(self).__name__}

    def crashed(self) -> str | None:
        """Why the backend's worker died unexpectedly, or None while it works.

        The daemon stops feeding systemd's watchdog when this is not None, so a
        box whose card reading died is restarted rather than left half-alive.
        """
        return None


@runtime_checkable
class Pausable(Protocol):
    """A backend whose own reads of a slot can be suspended (the PC/SC backend).

    While a workstation leases a slot through the APDU channel, the box must not
    read the card behind its back; insertions and removals are still reported.
    """

    def set_paused(self, slot_id: str, paused: bool) -> None:
        """Suspend (``True``) or resume the box's own reads of ``slot_id``."""
