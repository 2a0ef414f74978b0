"""The base of every event's data (see :mod:`borne.events.types`)."""

from __future__ import annotations

from typing import ClassVar

import msgspec

__all__ = ["EventData"]


class EventData(msgspec.Struct, frozen=True, kw_only=True):
    """The base of every event's data; ``TYPE`` is the event's name."""

    TYPE: ClassVar[str]
