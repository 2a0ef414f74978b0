"""The one place an event becomes JSON: for the API's stream, the control socket and the log.

Every edge that writes events out (``GET /v1/events``, the control socket's
``events`` command, the log line and its journald fields) calls these, so the
bytes a vendor sees are the same everywhere and do not move when a struct does
not: keys in the struct's field order, a field left ``UNSET`` left out, and
``bytes`` (an ATR) as spaced upper-case hex, like every ATR of the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from ..error_catalogue import message_for
from .types import EventData

if TYPE_CHECKING:
    from .bus import Event

__all__ = ["data_json", "event_json", "in_language"]


def _wire(value: Any) -> Any:
    return value.hex(" ").upper() if isinstance(value, bytes) else value


def data_json(data: EventData) -> dict[str, Any]:
    """An event's ``data`` as JSON-ready builtins (``data:`` of a ``/v1/events`` frame)."""
    fields = msgspec.to_builtins(data, builtin_types=(bytes,))
    return {key: _wire(value) for key, value in fields.items()}


def in_language(wire: dict[str, Any], language: str) -> dict[str, Any]:
    """An event's ``data`` (:func:`data_json`) with its ``message`` in ``language``.

    The events that carry a stable ``code`` and its words (``card.error``,
    ``capture.error``) are published with the English words (the log's); each event
    stream says them in its own language. Only the words change, never the shape.
    """
    if "message" not in wire or not isinstance(wire.get("code"), str):
        return wire
    return {**wire, "message": message_for(wire["code"], language)}


def event_json(event: Event) -> dict[str, Any]:
    """The whole event as JSON-ready builtins: the envelope and its data."""
    return {
        "seq": event.seq,
        "type": event.type,
        "mono": round(event.mono, 6),
        "wall": event.wall,
        "wall_synced": event.wall_synced,
        "data": event.wire_data,
    }
