"""The event bus: sequence numbers, history, bounded subscriptions; the typed events and their JSON."""

from __future__ import annotations

import asyncio
import json
import typing
from pathlib import Path

import pytest

from borne import events as ev
from borne.runtime.clock import Clock
from borne.events import EventBus


def removed(slot: str = "s0") -> ev.CardRemoved:
    return ev.CardRemoved(slot=slot, detected_ns=1)


def test_sequence_numbers_increase_and_history_resumes():
    bus = EventBus(Clock(), history=5)
    seqs = [bus.publish(removed(f"s{i}")).seq for i in range(8)]
    assert seqs == list(range(1, 9))
    assert [e.seq for e in bus.history(after=5)] == [6, 7, 8]
    assert [e.seq for e in bus.history()] == [4, 5, 6, 7, 8]  # bounded buffer


def test_unknown_event_type_is_refused():
    class CardExploded(ev.EventData, frozen=True, kw_only=True):
        TYPE = "card.exploded"

    class Lookalike(ev.CardRemoved, frozen=True, kw_only=True):
        pass  # the name of a real type, not its struct

    for data in (CardExploded(), Lookalike(slot="s0", detected_ns=1), {"slot": "s0"}):
        with pytest.raises(ValueError, match="unknown event type"):
            EventBus(Clock()).publish(data)


def test_event_carries_monotonic_and_wall_time():
    event = EventBus(Clock()).publish(ev.DaemonStarted(ready_after_s=0.5))
    assert event.mono > 0 and event.wall.endswith("+00:00")
    assert event.type == "daemon.started" and event.data.ready_after_s == 0.5
    assert list(event.to_dict()) == ["seq", "type", "mono", "wall", "wall_synced", "data"]
    assert event.to_dict()["data"] == {"ready_after_s": 0.5}


async def test_subscription_replays_after_and_receives_live_events():
    bus = EventBus(Clock())
    for _ in range(3):
        bus.publish(removed())
    sub = bus.subscribe(after=1)
    bus.publish(ev.CardInserted(slot="s0", atr=b"\x3b", detected_ns=2))
    got = [(await sub.get()).seq for _ in range(3)]
    assert got == [2, 3, 4]


async def test_a_slow_subscriber_is_cut_off_without_stalling_the_bus():
    bus = EventBus(Clock())
    slow = bus.subscribe(maxsize=3)
    fast = bus.subscribe(maxsize=100)
    for _ in range(10):
        bus.publish(removed())
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
    bus.publish(ev.DaemonStopping())
    assert len(seen) == 1


# -- the types ---------------------------------------------------------------------------------

def test_one_struct_per_type_each_with_its_meaning():
    classes = typing.get_args(ev.AnyEventData)
    assert len({cls.TYPE for cls in classes}) == len(classes) == len(ev.EVENT_CLASSES)
    # Every type has its JSON recorded (tests/integration/test_event_shapes.py drives them all).
    recorded = json.loads((Path(__file__).parents[1] / "data" / "event_shapes.json").read_text())
    assert set(ev.EVENT_CLASSES) == {name.partition(":")[0] for name in recorded["events"]}
    for name, cls in ev.EVENT_CLASSES.items():
        assert cls.TYPE == name and cls.__struct_config__.frozen, name
        assert cls.__doc__ and ev.EVENT_TYPES[name] == cls.__doc__.splitlines()[0], name
        assert ev.EVENT_TYPES[name][0].isupper() and len(ev.EVENT_TYPES[name]) > 15, name
    assert ev.EVENT_TYPES["clock.set"].startswith("The wall clock became trustworthy")


def test_the_type_is_the_envelopes_never_a_key_of_the_data():
    for name, cls in ev.EVENT_CLASSES.items():
        assert "TYPE" not in cls.__struct_encode_fields__, name
    decoded = ev.CardDecoded(slot="s0", card_type="vitale", beneficiaries=2, detected_ns=5)
    event = EventBus(Clock()).publish(decoded)
    # card.decoded's "type" key is the card's type, as it always was.
    assert event.to_dict()["type"] == "card.decoded"
    assert event.to_dict()["data"] == {"slot": "s0", "type": "vitale", "beneficiaries": 2,
                                       "detected_ns": 5}


#: Words of identity data: no event has a field for them.
IDENTITY = ("surname", "first_name", "birth", "nir", "pin", "holder", "identifier", "payload")


def test_no_event_has_a_field_for_identity_data():
    for name, cls in ev.EVENT_CLASSES.items():
        for field in cls.__struct_encode_fields__:
            assert not any(word in field for word in IDENTITY), (name, field)
    with pytest.raises(TypeError):  # a card's summary that grew identity data is refused
        ev.CardDecoded.of_summary("s0", {"type": "vitale", "surname": "MARTIN-TEST"}, 1)


# -- their JSON (the edges) --------------------------------------------------------------------

def test_an_atr_is_bytes_on_the_bus_and_spaced_hex_in_json():
    inserted = ev.CardInserted(slot="s0", atr=bytes.fromhex("3b9596c0f01a"), detected_ns=7)
    assert ev.data_json(inserted) == {"slot": "s0", "atr": "3B 95 96 C0 F0 1A", "detected_ns": 7}


def test_an_events_json_is_made_once_for_every_edge():
    # The log, each event stream and the control socket write the same event: one conversion.
    bus = EventBus(Clock())
    event = bus.publish(ev.CardInserted(slot="s0", atr=b"\x3b\x95", detected_ns=7))
    assert event.wire_data is event.wire_data
    assert event.to_dict()["data"] is event.wire_data
    assert event.wire_data == ev.data_json(event.data)


@pytest.mark.parametrize(("summary", "data"), [
    ({"type": "vitale", "beneficiaries": 3}, {"type": "vitale", "beneficiaries": 3}),
    ({"type": "cps", "generation": "CPS3", "profession": None},
     {"type": "cps", "generation": "CPS3", "profession": None}),
    ({"type": "vitale1"}, {"type": "vitale1"}),
    ({"type": "unknown"}, {"type": "unknown"}),
])
def test_a_decoded_card_says_its_summary_only_in_its_order(summary, data):
    decoded = ev.CardDecoded.of_summary("s0", summary, 9)
    wire = ev.data_json(decoded)
    assert wire == {"slot": "s0", **data, "detected_ns": 9}
    assert list(wire) == ["slot", *data, "detected_ns"]  # a null profession stays, as null



def test_an_events_message_is_said_in_the_language_asked_and_nothing_else_changes():
    from borne.events.wire import data_json, in_language

    failed = data_json(ev.CardFailed(slot="s0", code="card_removed",
                                     message="Card removed during the read", detected_ns=7))
    french = in_language(failed, "fr")
    assert french == {**failed, "message": "Carte retirée pendant la lecture"}
    assert list(french) == list(failed) and in_language(failed, "en") == failed
    plain = data_json(ev.ClientRevoked(client_id="ws-1"))
    assert in_language(plain, "fr") is plain  # no message: untouched
