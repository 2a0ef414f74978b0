"""The event bus: sequence numbers, history, bounded subscriptions."""

from __future__ import annotations

import asyncio

import pytest

from borne.runtime.clock import Clock
from borne.events import EventBus


def test_sequence_numbers_increase_and_history_resumes():
    bus = EventBus(Clock(), history=5)
    seqs = [bus.publish("card.removed", {"slot": f"s{i}"}).seq for i in range(8)]
    assert seqs == list(range(1, 9))
    assert [e.seq for e in bus.history(after=5)] == [6, 7, 8]
    assert [e.seq for e in bus.history()] == [4, 5, 6, 7, 8]  # bounded buffer


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        EventBus(Clock()).publish("card.exploded")


def test_event_carries_monotonic_and_wall_time():
    event = EventBus(Clock()).publish("daemon.started")
    assert event.mono > 0 and event.wall.endswith("+00:00")
    assert set(event.to_dict()) == {"seq", "type", "mono", "wall", "wall_synced", "data"}


async def test_subscription_replays_after_and_receives_live_events():
    bus = EventBus(Clock())
    for _ in range(3):
        bus.publish("card.removed")
    sub = bus.subscribe(after=1)
    bus.publish("card.inserted")
    got = [(await sub.get()).seq for _ in range(3)]
    assert got == [2, 3, 4]


async def test_a_slow_subscriber_is_cut_off_without_stalling_the_bus():
    bus = EventBus(Clock())
    slow = bus.subscribe(maxsize=3)
    fast = bus.subscribe(maxsize=100)
    for _ in range(10):
        bus.publish("card.removed")
    assert slow.overflowed and slow.closed
    received = []
    async for event in slow:
        received.append(event.seq)
    assert received == [1, 2, 3]  # everything it could hold, no gap: it can resume at 3
    assert (await fast.get()).seq == 1
    assert not fast.overflowed


async def test_closing_wakes_a_waiting_consumer():
    bus = EventBus(Clock())
    sub = bus.subscribe()
    waiter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    sub.close()
    assert await asyncio.wait_for(waiter, 1) is None


def test_a_failing_listener_does_not_break_publication():
    bus = EventBus(Clock())
    seen = []
    bus.add_listener(lambda e: 1 / 0)
    bus.add_listener(seen.append)
    bus.publish("daemon.started")
    assert len(seen) == 1
