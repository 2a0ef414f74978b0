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

from .types import EventData

if TYPE_CHECKING:
    from .bus import Event

__all__ = ["data_json", "event_json"]


def _wire(value: Any) -> Any:
    return value.hex(" ").upper() if isinstance(value, bytes) else value


def data_json(data: EventData) -> dict[str, Any]:
    """An event's ``data`` as JSON-ready builtins (``data:`` of a ``/v1/events`` frame)."""
    fields = msgspec.to_builtins(data, builtin_types=(bytes,))
    return {key: _wire(value) for key, value in fields.items()}


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
