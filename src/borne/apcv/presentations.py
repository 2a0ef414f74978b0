"""Captured apCV presentations and prescriptions, waiting for one billing client.

A presentation (an apCV shown as a QR code or over NFC, or a prescription's
QR code) is announced on the event stream, then **fetched once by one paired
client**; its payload is dropped from memory at that fetch. One not fetched
within ``ttl_s`` (2 minutes) is forgotten. After the fetch, an apCV presentation
stays known (without its payload) for another ``ttl_s`` so that the client that
fetched it can open a session once it has authenticated it.

Pure: time is passed in (monotonic seconds), so tests drive it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from .errors import ApcvError

__all__ = ["Presentation", "PresentationStore"]

PresentationKind = Literal["apcv", "prescription"]


@dataclass
class Presentation:
    """One capture. ``payload`` is ``None`` once fetched."""

    id: str
    kind: PresentationKind
    channel: str
    captured_mono: float
    captured_wall: str
    payload: bytes | None
    #: The prescription number (prescriptions only), dropped at the fetch too.
    number: str | None = None
    fetched_by: str | None = None
    fetched_mono: float | None = None
    session_id: str | None = None

    def deadline(self, ttl_s: float) -> float:
        """When the store forgets this presentation."""
        start = self.fetched_mono if self.fetched_mono is not None else self.captured_mono
        return start + ttl_s


class PresentationStore:
    """The presentations the box holds now, in memory only."""

    def __init__(self, ttl_s: float = 120.0, *, limit: int = 64) -> None:
        self.ttl_s = ttl_s
        # A bound, so a stream of codes held to the camera cannot grow memory.
        self._limit = limit
        self._items: dict[str, Presentation] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, kind: PresentationKind, channel: str, payload: bytes, now: float, wall: str,
            *, number: str | None = None) -> tuple[Presentation, list[Presentation]]:
        """Keep a new capture; returns it and the oldest ones dropped to stay within the bound."""
        dropped = []
        while len(self._items) >= self._limit:
            oldest = min(self._items.values(), key=lambda p: p.captured_mono)
            dropped.append(self._items.pop(oldest.id))
        prefix = "pr-" if kind == "prescription" else "ap-"
        item = Presentation(prefix + secrets.token_hex(8), kind, channel, now, wall, payload,
                            number=number)
        self._items[item.id] = item
        return item, dropped

    def _live(self, presentation_id: str, now: float) -> Presentation:
        item = self._items.get(presentation_id)
        if item is None or now >= item.deadline(self.ttl_s):
            raise ApcvError(code="presentation_not_found")
        return item

    def fetch(self, presentation_id: str, kind: PresentationKind, client_id: str,
              now: float) -> Presentation:
        """Give the capture to ``client_id``, once; returns a copy holding the payload.

        A second fetch is refused, the payload is no longer on the box:
        ``presentation_already_fetched`` for the client that fetched it,
        ``presentation_taken`` for another (never told which).
        """
        item = self._live(presentation_id, now)
        if item.kind != kind:
            raise ApcvError(code="presentation_not_found")
        if item.fetched_by is not None:
            raise ApcvError(code="presentation_already_fetched" if item.fetched_by == client_id
                            else "presentation_taken")
        given = Presentation(**vars(item))
        item.payload = None
        item.number = None
        item.fetched_by = client_id
        item.fetched_mono = now
        return given

    def take_for_session(self, presentation_id: str, client_id: str, now: float) -> Presentation:
        """Mark an apCV presentation as used by a session being opened by ``client_id``."""
        item = self._live(presentation_id, now)
        if item.kind != "apcv":
            raise ApcvError(code="presentation_not_apcv")
        if item.fetched_by is None:
            raise ApcvError(code="presentation_not_fetched")
        if item.fetched_by != client_id:
            # Another workstation fetched it: say so (it does not learn which one).
            raise ApcvError(code="presentation_taken")
        if item.session_id is not None:
            raise ApcvError(code="presentation_used")
        return item

    def peek(self, presentation_id: str) -> Presentation | None:
        """The capture, without fetching it (the offline journal copies it at capture time)."""
        return self._items.get(presentation_id)

    def waiting(self) -> int:
        """How many presentations no client has fetched yet."""
        return sum(1 for item in self._items.values() if item.fetched_by is None)

    def expire(self, now: float) -> list[Presentation]:
        """Forget what is past its deadline; returns the forgotten ones."""
        gone = [item for item in self._items.values() if now >= item.deadline(self.ttl_s)]
        for item in gone:
            del self._items[item.id]
        return gone

    def next_deadline(self) -> float | None:
        """The next time :meth:`expire` has something to do."""
        return min((item.deadline(self.ttl_s) for item in self._items.values()), default=None)
