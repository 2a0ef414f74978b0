"""The PC/SC backend's watcher against the simulator's in-memory pcscd: no pcscd, no root.

The real :class:`~borne.readers.pcsc.PcscBackend` runs on its worker thread with
``scard=VirtualPcsc()``; what it reports to its sink is recorded in order. The same
behaviours are checked through a real pcscd by tests/integration/test_daemon_pcsc.py.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any

import pytest

from borne.readers.nfc.apcv_script import split_presentation
from borne.readers.pcsc import PcscBackend
from borne.sim.cards import load_card
from borne.sim.phone import DEFAULT_AID, DEFAULT_COMMAND
from borne.sim.phone_card import PHONE_ATR, PhoneCard
from borne.sim.virtual_pcsc import VirtualPcsc

READER0, SLOT0 = "Borne Sim 00 00", "borne-sim-00-00"
READER1, SLOT1 = "Borne Sim 00 01", "borne-sim-00-01"
CL_READER, CL = "Borne Sim CL 00 00", "borne-sim-cl-00-00"
ATTACHED = [("device", "available", None), ("attached", SLOT0, "contact"),
            ("attached", SLOT1, "contact"), ("attached", CL, "contactless")]
VITALE3 = {"type": "vitale", "beneficiaries": 3}
VITALE1 = {"type": "vitale", "beneficiaries": 1}
TOKEN = b"BORNE-SIM-APCV/1 " + bytes(range(40))


class Recorder:
    """A :class:`~borne.readers.base.ReaderSink` keeping what the backend reported, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []
        self.detected_ns: list[int | None] = []
        self._news = asyncio.Event()

    def _add(self, item: tuple[Any, ...], detected_ns: int | None = None) -> None:
        self.seen.append(item)
        self.detected_ns.append(detected_ns)
        self._news.set()

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        assert device == "pcsc"
        self._add(("device", state, detail))

    def reader_attached(self, slot: Any) -> None:
        self._add(("attached", slot.id, slot.kind))

    def reader_detached(self, slot_id: str) -> None:
        self._add(("detached", slot_id))

    def card_inserted(self, slot_id: str, atr: bytes, detected_ns: int) -> None:
        self._add(("inserted", slot_id, atr), detected_ns)

    def card_removed(self, slot_id: str, detected_ns: int) -> None:
        self._add(("removed", slot_id), detected_ns)

    def card_decoded(self, slot_id: str, card: Any, detected_ns: int) -> None:
        self._add(("decoded", slot_id, card.summary()), detected_ns)

    def card_error(self, slot_id: str, code: str, detected_ns: int) -> None:
        self._add(("error", slot_id, code), detected_ns)

    def phone_presented(self, slot_id: str, payload: bytes, detected_ns: int) -> None:
        self._add(("phone", slot_id, split_presentation(payload)), detected_ns)

    async def until(self, *item: Any, count: int = 1, timeout: float = 3.0) -> list[tuple[Any, ...]]:
        """Wait until ``item`` (or an item it begins) was reported ``count`` times; all so far."""
        async def wait() -> None:
            while sum(seen[:len(item)] == item for seen in self.seen) < count:
                self._news.clear()
                await self._news.wait()
        await asyncio.wait_for(wait(), timeout)
        return list(self.seen)

    def since(self, mark: int) -> list[tuple[Any, ...]]:
        return self.seen[mark:]


async def until_true(predicate: Any, timeout: float = 3.0) -> None:
    """Wait, polling, until ``predicate()`` holds (for the fake's own state)."""
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.002)
    await asyncio.wait_for(wait(), timeout)


class AtApdu:
    """A test card that does ``action()`` when it is asked its ``nth`` APDU, once."""

    def __init__(self, card: Any, nth: int, action: Any) -> None:
        self._card, self._nth, self._action, self._count = card, nth, action, 0
        self.atr = card.atr

    def power_on(self) -> None:
        self._card.power_on()

    def power_off(self) -> None:
        self._card.power_off()

    def reset(self) -> None:
        self._card.reset()

    def respond(self, apdu: bytes) -> bytes:
        self._count += 1
        if self._count == self._nth:
            self._action()
        return self._card.respond(apdu)


@pytest.fixture
def pcsc() -> VirtualPcsc:
    machine = VirtualPcsc()
    for name in (READER0, READER1, CL_READER, "Kapelse KAP-Move 00 00"):
        machine.plug(name)
    return machine


@pytest.fixture
async def watch(pcsc: VirtualPcsc) -> Any:
    """Start the backend on ``pcsc`` (options as keyword arguments); stopped at teardown."""
    started: list[PcscBackend] = []

    async def start(**options: Any) -> tuple[PcscBackend, Recorder]:
        options = {"reader_glob": "Borne Sim*", "contactless": ["Borne Sim CL*"],
                   "retry_interval_s": 0.02, "wait_timeout_ms": 1000, "scard": pcsc, **options}
        backend, sink = PcscBackend(**options), Recorder()
        started.append(backend)
        backend.start(sink, asyncio.get_running_loop())
        assert await backend.wait_ready(3.0)
        return backend, sink

    yield start
    # At rest first: a cancel sent while the worker is between two waits is lost (as with
    # pcsc-lite), and its stop would then wait for the current wait's timeout.
    def at_rest() -> bool:
        workers = [t for t in threading.enumerate() if t.name == "pcsc-monitor" and t.is_alive()]
        return pcsc.waiters == len(workers) or not pcsc.running

    await until_true(at_rest)
    for backend in started:
        await backend.stop()
        assert backend.crashed() is None


async def test_readers_present_at_start_are_attached_with_their_kind(watch):
    _backend, sink = await watch()
    assert await sink.until("attached", CL) == ATTACHED  # the Kapelse reader is not the sim's


async def test_a_card_is_read_on_arrival_and_forgotten_on_removal(pcsc, watch):
    _backend, sink = await watch()
    await sink.until("attached", CL)
    chip = load_card("vitale-family")
    pcsc.insert(READER0, chip)
    await sink.until("decoded", SLOT0)
    pcsc.remove(READER0)
    seen = await sink.until("removed", SLOT0)
    assert seen[4:] == [("inserted", SLOT0, chip.atr), ("decoded", SLOT0, VITALE3),
                        ("removed", SLOT0)]
    assert sink.detected_ns[4] == sink.detected_ns[5]  # the read is dated by the arrival


async def test_a_card_there_before_the_backend_is_read_at_start(pcsc, watch):
    pcsc.insert(READER1, load_card("cps-nurse"))
    _backend, sink = await watch()
    seen = await sink.until("decoded", SLOT1)
    assert seen[4:] == [("inserted", SLOT1, load_card("cps-nurse").atr),
                        ("decoded", SLOT1, {"type": "cps", "generation": "CPS4", "profession": "nurse"})]


async def test_a_card_swapped_while_the_backend_reads_another_is_seen_leaving(pcsc, watch):
    """Removed and another inserted between two waits: pcsc-lite's count moved by two."""
    _backend, sink = await watch()
    pcsc.insert(READER0, load_card("vitale-single"))
    await sink.until("decoded", SLOT0)
    reading, release = threading.Event(), threading.Event()
    pcsc.insert(READER1, AtApdu(load_card("cps-nurse"), 1,
                                lambda: (reading.set(), release.wait(3))))
    assert await asyncio.to_thread(reading.wait, 3)  # the worker is busy with slot 1
    pcsc.remove(READER0)
    pcsc.insert(READER0, load_card("vitale-family"))
    release.set()
    await sink.until("decoded", SLOT0, count=2)
    slot0 = [item[:2] + item[2:][-1:] for item in sink.seen if item[1:2] == (SLOT0,)]
    assert [item for item in slot0 if item[0] != "inserted"] == [
        ("attached", SLOT0, "contact"), ("decoded", SLOT0, VITALE1), ("removed", SLOT0),
        ("decoded", SLOT0, VITALE3)]
    pcsc.swap(READER0, load_card("vitale-single"))  # the same, in one step
    seen = await sink.until("decoded", SLOT0, count=3)
    assert [item[0] for item in seen[-3:]] == ["removed", "inserted", "decoded"]


async def test_readers_plugged_and_unplugged_while_running(pcsc, watch):
    _backend, sink = await watch()
    await sink.until("attached", CL)
    # pcsc-lite 1.9.9's PnP reader only tells of readers plugged *during* a wait.
    await until_true(lambda: pcsc.waiters == 1)
    pcsc.plug("Kapelse KAP-Move 00 01")  # not one the backend watches
    pcsc.plug("Borne Sim Extra 00 00", load_card("vitale-single"))
    await sink.until("decoded", "borne-sim-extra-00-00")
    pcsc.insert(READER1, load_card("vitale-single"))
    await sink.until("decoded", SLOT1)
    pcsc.unplug(READER1)
    seen = await sink.until("detached", SLOT1)
    assert [item[:2] for item in seen[4:]] == [
        ("attached", "borne-sim-extra-00-00"), ("inserted", "borne-sim-extra-00-00"),
        ("decoded", "borne-sim-extra-00-00"), ("inserted", SLOT1), ("decoded", SLOT1),
        ("removed", SLOT1), ("detached", SLOT1)]


async def test_pcscd_stopped_and_restarted_under_the_backend(pcsc, watch, caplog):
    _backend, sink = await watch()
    pcsc.insert(READER0, load_card("vitale-single"))
    await sink.until("decoded", SLOT0)
    await until_true(lambda: pcsc.waiters == 1)  # then the wait itself fails (F_COMM_ERROR)
    mark = len(sink.seen)
    with caplog.at_level(logging.WARNING, logger="borne.readers.pcsc"):
        pcsc.stop()
        await sink.until("device", "unavailable")
    assert sink.since(mark) == [("removed", SLOT0), ("detached", SLOT0), ("detached", SLOT1),
                                ("detached", CL), ("device", "unavailable", "pcscd went away")]
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("borne.readers.pcsc", "pcscd lost: RPC transport error.")]
    loop, attempts = asyncio.get_running_loop(), pcsc.calls["SCardEstablishContext"]
    began = loop.time()
    await asyncio.sleep(0.05)  # pcscd stays away for a while: retried, not polled in a loop
    attempts = pcsc.calls["SCardEstablishContext"] - attempts
    assert 1 <= attempts <= (loop.time() - began) / 0.02 + 1  # retry_interval_s
    mark = len(sink.seen)
    pcsc.start()  # the card stayed in its slot: it is read again
    await sink.until("decoded", SLOT0, count=2)
    assert [item[:2] for item in sink.since(mark)] == [
        ("device", "available"), ("attached", SLOT0), ("attached", SLOT1), ("attached", CL),
        ("inserted", SLOT0), ("decoded", SLOT0)]


async def test_a_backend_started_before_pcscd_picks_it_up(pcsc, watch):
    pcsc.stop()
    _backend, sink = await watch()
    assert sink.seen == [("device", "unavailable", "Service not available.")]
    pcsc.start()
    assert await sink.until("attached", CL) == [sink.seen[0], *ATTACHED]


@pytest.mark.parametrize("answer", ["not_transacted", "empty"])
async def test_a_card_pulled_mid_read_is_a_clean_error_then_the_next_card_reads(answer, pcsc,
                                                                                watch):
    pcsc.pulled_answer = answer  # a real reader's error, or vpcd's empty answer
    _backend, sink = await watch()
    pcsc.insert(READER0, load_card("vitale-family", pull_after=3))
    await sink.until("removed", SLOT0)
    pcsc.insert(READER0, load_card("vitale-family"))
    seen = await sink.until("decoded", SLOT0)
    assert [item[:3] if item[0] == "error" else item[:2] for item in seen[4:]] == [
        ("inserted", SLOT0), ("error", SLOT0, "card_removed"), ("removed", SLOT0),
        ("inserted", SLOT0), ("decoded", SLOT0)]


async def test_pcscd_dying_mid_read_then_the_card_reads_after_its_return(pcsc, watch):
    _backend, sink = await watch()
    pcsc.insert(READER0, AtApdu(load_card("vitale-family"), 2, pcsc.stop))
    await sink.until("device", "unavailable")
    assert [item[:3] for item in sink.seen[4:]] == [
        ("inserted", SLOT0, load_card("vitale-family").atr), ("error", SLOT0, "pcsc_unavailable"),
        ("removed", SLOT0), ("detached", SLOT0), ("detached", SLOT1), ("detached", CL),
        ("device", "unavailable", "pcscd went away")]
    pcsc.start()
    assert (await sink.until("decoded", SLOT0))[-1] == ("decoded", SLOT0, VITALE3)


async def test_a_reader_unplugged_mid_read(pcsc, watch):
    _backend, sink = await watch()
    pcsc.insert(READER0, AtApdu(load_card("vitale-family"), 2, lambda: pcsc.unplug(READER0)))
    seen = await sink.until("detached", SLOT0)
    assert [item[:3] for item in seen[4:]] == [
        ("inserted", SLOT0, load_card("vitale-family").atr),
        ("error", SLOT0, "reader_unavailable"), ("removed", SLOT0), ("detached", SLOT0)]


async def test_a_paused_slot_reports_its_cards_but_never_reads_them(pcsc, watch):
    """The APDU channel's lease: the client reads the card, the box keeps out of it."""
    backend, sink = await watch()
    await sink.until("attached", CL)
    backend.set_paused(SLOT0, True)
    leased = load_card("vitale-single")
    pcsc.insert(READER0, leased)
    pcsc.insert(READER1, load_card("cps-nurse"))  # the worker handles slot 0 first
    await sink.until("decoded", SLOT1)
    pcsc.remove(READER0)
    await sink.until("removed", SLOT0)
    backend.set_paused(SLOT0, False)
    backend.set_paused(READER0, True)  # by reader name too
    pcsc.insert(READER0, leased)
    await sink.until("inserted", SLOT0, count=2)
    await until_true(lambda: pcsc.waiters == 1)  # reported before deciding not to read it
    backend.set_paused(READER0, False)  # resuming does not read the card already there
    pcsc.swap(READER1, load_card("vitale-family"))
    await sink.until("decoded", SLOT1, count=2)
    assert leased.apdus == []
    assert [item[0] for item in sink.seen if item[1:2] == (SLOT0,)] == [
        "attached", "inserted", "removed", "inserted"]
    pcsc.swap(READER0, load_card("vitale-family"))  # unpaused: the next card is read
    assert (await sink.until("decoded", SLOT0))[-1] == ("decoded", SLOT0, VITALE3)


async def test_a_mute_card_is_reported_unresponsive_without_a_connection(pcsc, watch):
    _backend, sink = await watch()
    pcsc.insert(READER0, load_card("vitale-single"), mute=True)
    assert (await sink.until("error", SLOT0))[4:] == [
        ("inserted", SLOT0, b""), ("error", SLOT0, "card_unresponsive")]
    assert pcsc.calls["SCardConnect"] == 0


async def test_a_garbage_card_is_an_error_and_the_next_card_reads(pcsc, watch):
    _backend, sink = await watch()
    pcsc.insert(READER0, load_card("garbage"))
    await sink.until("error", SLOT0)
    pcsc.swap(READER0, load_card("vitale-single"))
    seen = await sink.until("decoded", SLOT0)
    assert [item for item in seen[4:] if item[0] in ("error", "decoded")] == [
        ("error", SLOT0, "card_data_invalid"), ("decoded", SLOT0, VITALE1)]


@pytest.mark.parametrize(("behaviour", "outcome"), [
    ("ok", ("phone", CL, [TOKEN])),
    ("leave_mid_exchange", ("error", CL, "nfc_target_lost")),
    ("wrong_aid", ("decoded", CL, {"type": "unknown"})),
])
async def test_a_phone_on_the_contactless_slot(pcsc, watch, behaviour, outcome):
    _backend, sink = await watch(apcv=(DEFAULT_AID, [DEFAULT_COMMAND]))
    pcsc.insert(CL_READER, PhoneCard(TOKEN.hex(), behaviour=behaviour))
    seen = await sink.until(outcome[0], CL)
    assert seen[4:6] == [("inserted", CL, PHONE_ATR), outcome]


async def test_at_rest_the_backend_waits_in_pcscd_without_polling(pcsc, watch):
    _backend, sink = await watch()
    pcsc.insert(READER0, load_card("vitale-single"))
    await sink.until("decoded", SLOT0)
    await until_true(lambda: pcsc.waiters == 1)
    waits = pcsc.calls["SCardGetStatusChange"]
    await asyncio.sleep(0.05)
    assert pcsc.calls["SCardGetStatusChange"] == waits and pcsc.waiters == 1


async def test_a_failing_reader_is_waited_on_not_polled_and_its_card_read_on_recovery(pcsc,
                                                                                    watch):
    _backend, sink = await watch()
    pcsc.insert(READER1, load_card("vitale-single"))
    await sink.until("decoded", SLOT1)
    await until_true(lambda: pcsc.waiters == 1)
    waits = pcsc.calls["SCardGetStatusChange"]
    pcsc.break_reader(READER1)  # pcscd: the driver fails, STATE_UNAVAILABLE
    await asyncio.sleep(0.05)
    assert pcsc.calls["SCardGetStatusChange"] - waits <= 3 and pcsc.waiters == 1
    pcsc.break_reader(READER1, False)  # pcscd counts the card it finds again as an arrival
    seen = await sink.until("decoded", SLOT1, count=2)
    assert [item[:2] for item in seen[6:]] == [("removed", SLOT1), ("inserted", SLOT1),
                                              ("decoded", SLOT1)]


async def test_stop_wakes_the_backend_out_of_its_long_wait(pcsc, watch):
    backend, sink = await watch(wait_timeout_ms=60_000)
    await sink.until("attached", CL)
    await until_true(lambda: pcsc.waiters == 1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await backend.stop()
    assert loop.time() - began < 1.0 and pcsc.calls["SCardCancel"] == 1
    assert pcsc.waiters == 0


async def test_given_an_scard_module_the_backend_never_imports_pyscard(pcsc, watch, monkeypatch):
    monkeypatch.setitem(sys.modules, "smartcard", None)  # any import of pyscard now fails
    _backend, sink = await watch()
    assert await sink.until("attached", CL) == ATTACHED


async def test_without_pyscard_the_backend_reports_an_error_not_a_crash(watch, monkeypatch):
    monkeypatch.setitem(sys.modules, "smartcard", None)
    _backend, sink = await watch(scard=None)
    [(kind, state, detail)] = await sink.until("device")
    assert (kind, state) == ("device", "error") and detail.startswith("pyscard missing")
