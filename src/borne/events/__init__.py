"""The event bus and its events: one stream of typed events is the spine of the daemon.

- :mod:`borne.events.types`: one frozen struct per event type (what it means, its fields);
- :mod:`borne.events.bus`: the bus (sequence numbers, history, subscriptions);
- :mod:`borne.events.wire`: the events as JSON, for the edges that write them out.
"""

from .bus import Event, EventBus, Subscription
from .types import *  # noqa: F403  (the structs, re-exported)
from .types import __all__ as _types
from .wire import data_json, event_json

__all__ = ["Event", "EventBus", "Subscription", "data_json", "event_json", *_types]
