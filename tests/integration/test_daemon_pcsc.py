"""The daemon end to end on the real PC/SC path: private pcscd + vpcd + virtual card processes.

Cards are inserted as separate processes speaking vpcd; the daemon learns of them
from pcscd (SCardGetStatusChange), reads them with pyscard, and publishes events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os

import pytest

from borne.daemon import Daemon
from borne.events import DeviceState
from borne.sim.pcscd import DEFAULT_SIM_READERS, SimReader

from support.box import box_config, running_box

pytestmark = pytest.mark.pcscd

SLOT0 = "borne-sim-00-00"
SLOT1 = "borne-sim-00-01"
SLOT_CL = "borne-sim-cl-00-00"


def wait_all_slots_empty(timeout: float = 5.0) -> None:
    """Block until pcscd itself reports every slot empty.

    pcscd notices a vpcd card leaving only at its next poll (~400 ms): without
    this, a card removed by the previous test could still be "present" when the
    next daemon starts.
    """
    import time

    from smartcard import scard

    deadline = time.monotonic() + timeout
    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        while time.monotonic() < deadline:
            _, readers = scard.SCardListReaders(context, [])
            _, states = scard.SCardGetStatusChange(context, 0, [(r, 0) for r in readers])
            if not any(state & scard.SCARD_STATE_PRESENT for _r, state, _atr in states):
                return
            time.sleep(0.05)
    finally:
        scard.SCardReleaseContext(context)
    raise AssertionError("a card is still present in a slot")


@pytest.fixture
async def daemon(tmp_path, sim_pcscd):
    if not sim_pcscd.running:  # a failed test may have left it killed
        await asyncio.to_thread(sim_pcscd.restart, list(DEFAULT_SIM_READERS))
    await asyncio.to_thread(wait_all_slots_empty)
    async with running_box(tmp_path) as box:
        yield box


async def next_event(subscription, type_, slot=None, timeout=20.0):
    """The next event of ``type_`` (for ``slot``), skipping others."""
    async def wait():
        async for event in subscription:
            if event.type == type_ and (slot is None or getattr(event.data, "slot", None)
                                        == slot):
                return event
        raise AssertionError("subscription closed")
    return await asyncio.wait_for(wait(), timeout)


async def insert(card_slots, index, name, **options):
    await asyncio.to_thread(card_slots.insert, index, name, **options)


async def remove(card_slots, index):
    # Wait until pcscd has seen the slot empty: a card put back within its poll
    # interval would otherwise look like the same card never removed.
    await asyncio.to_thread(card_slots.remove, index, wait=True)


async def test_readers_present_at_start_with_kinds(daemon):
    state = daemon.core.snapshot(identity=False)
    assert state["devices"]["pcsc"]["state"] == "available"
    kinds = {r["id"]: r["kind"] for r in state["readers"]}
    assert kinds == {SLOT0: "contact", SLOT1: "contact", SLOT_CL: "contactless",
                     "borne-sim-cl-00-01": "contactless"}
    assert all(r["state"] == "empty" for r in state["readers"])
    assert state["devices"]["storage"]["state"] == "available"
    assert os.stat(daemon.config.daemon.data_dir).st_mode & 0o777 == 0o700


async def test_vitale_family_decoded_with_nir_keys(daemon, card_slots):
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "vitale-family")
    inserted = await next_event(events, "card.inserted", SLOT0)
    decoded = await next_event(events, "card.decoded", SLOT0)
    assert decoded.data.card_type == "vitale" and decoded.data.beneficiaries == 3
    assert decoded.data.detected_ns == inserted.data.detected_ns
    card = daemon.core.card(SLOT0).to_dict()
    assert card["type"] == "vitale" and len(card["beneficiaries"]) == 3
    assert all(b["nir_key_valid"] for b in card["beneficiaries"])
    assert any(b["nir"][5:7] in ("2A", "2B") for b in card["beneficiaries"])
    for person in card["beneficiaries"]:
        assert set(person) >= {"surname", "first_name", "birth_date", "nir", "nir_key_valid"}
    await remove(card_slots, 0)
    await next_event(events, "card.removed", SLOT0)
    assert daemon.core.card(SLOT0) is None
    assert daemon.core.snapshot(identity=True)["readers"][0]["state"] == "empty"


async def test_an_invalid_key_is_reported_not_corrected(daemon, card_slots):
    events = daemon.bus.subscribe()
    await insert(card_slots, 1, "vitale-badkey")
    await next_event(events, "card.decoded", SLOT1)
    keys = [b.nir_key_valid for b in daemon.core.card(SLOT1).beneficiaries]
    assert False in keys


@pytest.mark.parametrize(("name", "expected"), [
    ("cps-pharmacist", {"type": "cps", "profession": "pharmacist"}),
    ("cps-nurse", {"type": "cps", "profession": "nurse"}),
    ("cps-doctor", {"type": "cps", "profession": "doctor"}),
    ("vitale1", {"type": "vitale1"}),
    ("unknown", {"type": "unknown"}),
])
async def test_every_test_card_is_recognised(daemon, card_slots, name, expected):
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, name)
    decoded = await next_event(events, "card.decoded", SLOT0)
    card = daemon.core.card(SLOT0).to_dict()
    for key, value in expected.items():
        assert card[key] == value
    assert decoded.data.card_type == expected["type"]  # the event's summary of the card
    if "profession" in expected:
        assert decoded.data.profession == expected["profession"]
    if card["type"] == "cps":
        assert card["serial"] and card["holder"]["surname"]
        assert card["generation"] in ("CPS3", "CPS4")
    if card["type"] == "unknown":
        assert card["atr"]


async def test_garbage_card_gives_a_card_error_and_the_next_card_reads(daemon, card_slots):
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "garbage")
    event = await next_event(events, "card.inserted", SLOT0)
    outcome = await asyncio.wait_for(_decoded_or_error(events, SLOT0), 20)
    if outcome.type == "card.error":
        assert outcome.data.code in ("card_data_invalid", "card_protocol_error")
    else:  # garbage that refuses the Vitale selection is an unknown card, with its ATR
        assert outcome.data.card_type == "unknown"
    await remove(card_slots, 0)
    await insert(card_slots, 0, "vitale-single")
    decoded = await next_event(events, "card.decoded", SLOT0)
    assert decoded.data.beneficiaries == 1 and event.seq < decoded.seq


async def _decoded_or_error(events, slot):
    async for event in events:
        if event.type in ("card.decoded", "card.error") and event.data.slot == slot:
            return event
    raise AssertionError("closed")


async def test_card_pulled_mid_read_is_a_clean_error_then_next_card_reads(daemon, card_slots):
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "vitale-family", pull_after=3)
    error = await next_event(events, "card.error", SLOT0)
    assert error.data.code == "card_removed"
    await next_event(events, "card.removed", SLOT0)
    await insert(card_slots, 0, "vitale-family")
    decoded = await next_event(events, "card.decoded", SLOT0)
    assert decoded.data.beneficiaries == 3


async def test_two_slots_at_once(daemon, card_slots):
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "vitale-single")
    await insert(card_slots, 1, "cps-nurse")
    got = {}
    while len(got) < 2:
        event = await next_event(events, "card.decoded")
        got[event.data.slot] = event.data.card_type
    assert got == {SLOT0: "vitale", SLOT1: "cps"}


async def test_pcscd_killed_and_restarted_under_the_daemon(daemon, card_slots, sim_pcscd):
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "vitale-single")
    await next_event(events, "card.decoded", SLOT0)
    await asyncio.to_thread(sim_pcscd.kill)
    down = await next_event(events, "device.state")
    assert down.data == DeviceState(device="pcsc", state="unavailable", detail=down.data.detail)
    assert daemon.core.snapshot(identity=False)["devices"]["pcsc"]["state"] == "unavailable"
    assert daemon.core.card(SLOT0) is None  # readers gone: nothing kept about the card
    await asyncio.to_thread(sim_pcscd.start)
    back_at = asyncio.get_running_loop().time()
    up = await next_event(events, "device.state", timeout=5)
    assert up.data.state == "available"
    assert asyncio.get_running_loop().time() - back_at < 2.0
    # The card stayed in its slot: it is read again.
    decoded = await next_event(events, "card.decoded", SLOT0)
    assert decoded.data.beneficiaries == 1


async def test_readers_plugged_and_unplugged_while_running(daemon, card_slots, sim_pcscd):
    events = daemon.bus.subscribe()
    extra = SimReader("Borne Sim Extra", 0x9C81)
    try:
        await asyncio.to_thread(sim_pcscd.restart, [*DEFAULT_SIM_READERS, extra])
        attached = set()
        while "borne-sim-extra-00-01" not in attached:
            attached.add((await next_event(events, "reader.attached")).data.slot)
        assert {"borne-sim-extra-00-00", "borne-sim-extra-00-01"} <= attached
    finally:
        await asyncio.to_thread(sim_pcscd.restart, list(DEFAULT_SIM_READERS))
    detached = set()
    while len(detached) < 2:
        event = await next_event(events, "reader.detached")
        if event.data.slot.startswith("borne-sim-extra"):
            detached.add(event.data.slot)
    while SLOT0 not in {r["id"] for r in daemon.core.snapshot(identity=False)["readers"]}:
        await next_event(events, "reader.attached")
    ids = {r["id"] for r in daemon.core.snapshot(identity=False)["readers"]}
    assert not any(i.startswith("borne-sim-extra") for i in ids) and SLOT0 in ids


async def test_logs_never_carry_identity_data(daemon, card_slots, caplog):
    events = daemon.bus.subscribe()
    with caplog.at_level(logging.DEBUG):
        await insert(card_slots, 0, "vitale-family")
        await next_event(events, "card.decoded", SLOT0)
        await insert(card_slots, 1, "cps-pharmacist")
        await next_event(events, "card.decoded", SLOT1)
        card = daemon.core.card(SLOT0)
        cps = daemon.core.card(SLOT1)
    assert "card.decoded" in caplog.text
    secrets = [cps.holder.surname, cps.holder.first_name]
    for person in card.beneficiaries:
        secrets += [person.surname, person.first_name, person.nir, person.nir[:13],
                    person.birth_date, person.birth_date.replace("-", "")]
    for secret in secrets:
        assert secret not in caplog.text
    published = json.dumps([e.to_dict() for e in daemon.bus.history()])
    for secret in secrets:
        assert secret not in published


@pytest.mark.parametrize(("factory", "codes"), [
    ("support.faulty_cards:truncated_tlv", {"card_data_invalid"}),
    ("support.faulty_cards:corrupted_length", {"card_data_invalid"}),
    ("support.faulty_cards:wrong_status", {"card_protocol_error", "card_data_invalid"}),
])
async def test_damaged_answers_give_a_stable_code_and_the_next_card_reads(daemon, card_slots,
                                                                          factory, codes):
    events = daemon.bus.subscribe()
    await asyncio.to_thread(card_slots.insert_factory, 0, factory)
    error = await next_event(events, "card.error", SLOT0)
    assert error.data.code in codes
    assert daemon.core.snapshot(identity=True)["readers"][0]["error"]["code"] == error.data.code
    await asyncio.to_thread(card_slots.remove, 0, wait=True)
    await insert(card_slots, 0, "vitale-single")
    decoded = await next_event(events, "card.decoded", SLOT0)
    assert decoded.data.beneficiaries == 1


async def test_pcscd_killed_mid_read_then_the_card_reads_after_its_return(daemon, card_slots,
                                                                          sim_pcscd):
    """Also what a reader unplugged mid-read looks like with vpcd: the reader vanishes."""
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "vitale-family", delay_ms=150)  # about 1.4 s per read
    await next_event(events, "card.inserted", SLOT0)
    await asyncio.sleep(0.3)
    await asyncio.to_thread(sim_pcscd.kill)
    error = await next_event(events, "card.error", SLOT0)
    assert error.data.code in ("pcsc_unavailable", "reader_unavailable", "card_removed")
    await next_event(events, "device.state")
    await asyncio.to_thread(sim_pcscd.start)
    decoded = await next_event(events, "card.decoded", SLOT0, timeout=15)
    assert decoded.data.beneficiaries == 3


async def test_reader_unplugged_mid_read(daemon, card_slots, sim_pcscd):
    """The reader holding the card disappears (pcscd restarted without it) during the read."""
    events = daemon.bus.subscribe()
    await insert(card_slots, 0, "vitale-family", delay_ms=150)
    await next_event(events, "card.inserted", SLOT0)
    await asyncio.sleep(0.3)
    try:
        await asyncio.to_thread(sim_pcscd.restart, [SimReader("Borne Sim CL", 0x9C7D)])
        error = await next_event(events, "card.error", SLOT0)
        assert error.data.code in ("pcsc_unavailable", "reader_unavailable", "card_removed")
        detached = await next_event(events, "reader.detached", SLOT0)
        assert detached.seq > error.seq
    finally:
        await asyncio.to_thread(card_slots.remove_all)
        await asyncio.to_thread(sim_pcscd.restart, list(DEFAULT_SIM_READERS))
    while SLOT0 not in daemon.core.slots:
        await next_event(events, "reader.attached")
    await insert(card_slots, 0, "vitale-single")
    assert (await next_event(events, "card.decoded", SLOT0)).data.beneficiaries == 1


async def test_daemon_started_before_pcscd_picks_it_up(tmp_path, sim_pcscd, card_slots):
    await asyncio.to_thread(sim_pcscd.stop)
    try:
        async with running_box(tmp_path) as box:
            state = box.core.snapshot(identity=False)
            assert state["devices"]["pcsc"]["state"] == "unavailable" and state["readers"] == []
            events = box.bus.subscribe()
            await asyncio.to_thread(sim_pcscd.start)
            back = asyncio.get_running_loop().time()
            # The next pcsc state (the API's mdns announcer may report its own device meanwhile).
            while (change := await next_event(events, "device.state",
                                              timeout=5)).data.device != "pcsc":
                pass
            assert change.data.state == "available"
            await next_event(events, "reader.attached", SLOT0)
            assert asyncio.get_running_loop().time() - back < 2.0
    finally:
        if not sim_pcscd.running:
            await asyncio.to_thread(sim_pcscd.start)


async def test_unusable_data_dir_degrades_storage_not_the_daemon(tmp_path, sim_pcscd):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    # Started here, not by start_box: the start itself is under test, and the API (its CA
    # lives in the data dir) comes up in error, which start_box refuses.
    box = Daemon(box_config(tmp_path, daemon={"data_dir": str(blocker / "data")}))
    await box.start()
    try:
        devices = box.core.snapshot(identity=False)["devices"]
        assert devices["storage"]["state"] == "error"
        assert devices["pcsc"]["state"] == "available"
    finally:
        await box.stop()
