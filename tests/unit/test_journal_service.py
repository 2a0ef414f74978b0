"""The journal service on a real bus, core, client registry and file, with a clock the test moves."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from borne.apcv.service import ApcvService
from borne.client.pairing import make_key_and_csr
from borne.runtime.clock import Clock, WallTime
from borne.config import ApcvConfig, JournalConfig
from borne.core import Core
from borne.events import (ClientRevoked, EventBus, JournalCollected, JournalPurged,
                          JournalRetentionWarning, JournalStored)
from borne.journal.errors import JournalError
from borne.client.journal_reader import JournalReader
from borne.journal.service import PAD_TO, JournalService
from borne.journal.store import StoredRecord
from borne.readers.base import SlotInfo
from borne.readers.cards.model import Beneficiary, CpsCard, CpsHolder, VitaleCard
from borne.secure_channel.ca import BoxCA
from borne.secure_channel.clients import ClientRegistry

VITALE = VitaleCard(atr=b"\x3b\x95", beneficiaries=(
    Beneficiary("MARTIN-TEST", "JEANNE", "1980-02-01", "280027512345613", True),
    Beneficiary("MARTIN-TEST", "PAUL", "2012-00-00", "112092A00100199", False)))
CPS = CpsCard(atr=b"\x3b", generation="CPS4", serial="1", holder=CpsHolder("DURAND", "ALICE"),
              profession="nurse")
DAY = 86400


class MovingClock(Clock):
    """Monotonic and wall clocks the test sets (the wall in Unix seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.mono = 100.0
        self.unix = 1_767_225_600  # 2026-01-01T00:00:00Z

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> WallTime:
        from datetime import datetime, timezone

        iso = datetime.fromtimestamp(self.unix, timezone.utc).isoformat(timespec="milliseconds")
        return WallTime(iso, True)


class Box:
    """What the service is built from, and two paired workstations' readers."""

    def __init__(self, tmp_path, *, boot_id="boot-1", payload_ttl_s=1200.0, **settings) -> None:
        self.clock = MovingClock()
        self.bus = EventBus(self.clock)
        self.core = Core(self.bus, self.clock)
        self.core.reader_attached(SlotInfo("s0", "Reader 00 00", "contact", "sim"))
        self.apcv = ApcvService(self.bus, self.clock, self.core, ApcvConfig())
        self.clients = ClientRegistry(tmp_path / "clients.db", clock=self.clock)
        ca = BoxCA.load_or_create(tmp_path)
        self.readers = {}
        for client_id in ("ws-a", "ws-b"):
            key_pem, csr = make_key_and_csr(client_id)
            cert = ca.issue_client_cert(csr, client_id=client_id, name=client_id)
            self.clients.add_certificate(cert, client_id=client_id, name=client_id)
            self.readers[client_id] = JournalReader(load_pem_private_key(key_pem, None), client_id)
        self.tmp_path = tmp_path
        self.service = JournalService(JournalConfig(**settings), data_dir=tmp_path, bus=self.bus,
                                      clock=self.clock, core=self.core, clients=self.clients,
                                      apcv=self.apcv, boot_id=boot_id,
                                      payload_ttl_s=payload_ttl_s)

    def events(self, type_):
        return [e.data for e in self.bus.history() if e.type == type_]

    async def settle(self):
        await self.service.flush()

    async def opened(self, client_id):
        records, _ = await self.service.collect(client_id)
        return [self.readers[client_id].open(_item(r)) for r in records]


def _item(record: StoredRecord) -> dict:
    import base64

    return {**record.header.to_dict(), "header": record.header_bytes.decode("ascii"),
            "envelope_b64": base64.b64encode(record.envelope).decode("ascii")}


@pytest.fixture
async def box(tmp_path):
    made = Box(tmp_path)
    await made.service.start()
    yield made
    await made.service.stop()
    made.clients.close()


async def test_a_vitale_read_is_sealed_once_per_paired_workstation(box):
    box.clock.mono = 123.5
    box.core.card_decoded("s0", VITALE, 0)
    await box.settle()
    (stored,) = box.events("journal.stored")
    assert stored == JournalStored(seq=2, kind="vitale", waiting=1)
    for client_id in ("ws-a", "ws-b"):
        (record,) = await box.opened(client_id)
        assert record.header.client_id == client_id and record.header.kind == "vitale"
        assert record.header.mono_ns == 123_500_000_000 and record.header.boot_id == "boot-1"
        assert record.header.wall == "2026-01-01T00:00:00.000+00:00" and record.header.wall_synced
        assert record.body == {"kind": "vitale", "slot": "s0", "card": VITALE.to_dict()}
    raw = b"".join(p.read_bytes() for p in box.tmp_path.glob("journal.db*"))
    for clear in (b"MARTIN", b"JEANNE", b"280027512345613", b"1980-02-01"):
        assert clear not in raw


async def test_announced_only_once_committed(box):
    seen = []

    def on_stored(event):
        if event.type == "journal.stored":
            # A second connection sees it: committed, not just in the writer's transaction.
            import sqlite3
            db = sqlite3.connect(box.tmp_path / "journal.db")
            seen.append(db.execute("SELECT COUNT(*) FROM records WHERE seq <= ?",
                                   (event.data.seq,)).fetchone()[0])
            db.close()

    box.bus.add_listener(on_stored)
    box.core.card_decoded("s0", VITALE, 0)
    await box.settle()
    assert seen == [2]


async def test_plaintexts_are_padded(box):
    box.core.card_decoded("s0", CPS, 0)
    await box.settle()
    records, _ = await box.service.collect("ws-a")
    # version + scheme + point (65) + nonce (12) + tag (16) around a padded plaintext
    assert (len(records[0].envelope) - 2 - 65 - 12 - 16) % PAD_TO == 0


async def test_revoked_and_certificate_less_workstations_get_nothing(box):
    box.clients.add(client_id="ws-old", name="old", serial=1, admin=False,
                    not_after="2030-01-01T00:00:00+00:00", fingerprint_sha256="00")
    box.core.card_decoded("s0", CPS, 0)
    await box.settle()
    assert box.service.waiting == 1
    box.clients.revoke("ws-b")
    box.bus.publish(ClientRevoked(client_id="ws-b"))
    await box.settle()
    assert box.events("journal.purged") == [JournalPurged(records=1, waiting=1)]  # still ws-a's
    assert await box.opened("ws-b") == [] and len(await box.opened("ws-a")) == 1
    box.core.card_decoded("s0", VITALE, 0)
    await box.settle()
    assert [r.header.kind for r in await box.opened("ws-a")] == ["cps", "vitale"]
    assert await box.opened("ws-b") == [] and await box.opened("ws-old") == []


async def test_only_the_configured_kinds(tmp_path):
    made = Box(tmp_path, kinds=["vitale"])
    await made.service.start()
    made.core.card_decoded("s0", CPS, 0)
    made.core.card_decoded("s0", VITALE, 0)
    await made.settle()
    assert [r.header.kind for r in await made.opened("ws-a")] == ["vitale"]
    await made.service.stop()


async def test_an_apcv_presentation_is_journaled_and_still_fetched_once(box):
    payload = b"\x01apcv" * 20
    box.apcv.payload_captured("qr_camera", payload, 0)
    box.apcv.payload_captured("qr_scanner", b"01S2TBPZ2JCNZZYGHZ", 0)
    await box.settle()
    apcv, prescription = await box.opened("ws-b")
    assert apcv.header.kind == "apcv" and apcv.body["channel"] == "qr_camera"
    import base64
    assert base64.b64decode(apcv.body["payload_b64"]) == payload
    assert prescription.body["number"] == "01S2TBPZ2JCNZZYGHZ"
    fetched = box.apcv.fetch(apcv.body["presentation_id"], "apcv", "ws-a")
    assert fetched.payload == payload  # the journal looked, it did not fetch


async def test_reads_made_before_the_service_started_are_caught_up(tmp_path):
    made = Box(tmp_path)
    made.core.card_decoded("s0", CPS, 0)        # replaced by the next read: not journaled
    made.core.card_decoded("s0", VITALE, 0)
    made.core.reader_attached(SlotInfo("s1", "Reader 00 01", "contact", "sim"))
    made.core.card_decoded("s1", CPS, 0)
    made.core.card_removed("s1", 0)             # gone before the journal listened
    await made.service.start()
    await made.settle()
    assert [r.body["card"]["type"] for r in await made.opened("ws-a")] == ["vitale"]
    await made.service.stop()


async def test_acknowledgement_deletes_and_announces(box):
    box.core.card_decoded("s0", VITALE, 0)
    box.core.card_decoded("s0", CPS, 0)
    await box.settle()
    assert box.service.waiting == 2
    with pytest.raises(JournalError) as caught:
        await box.service.ack("ws-a", seqs=[1, 2])   # 2 is ws-b's
    assert caught.value.code == "journal_record_unknown"
    assert box.events("journal.collected") == []
    assert await box.service.ack("ws-a", seqs=[1, 3]) == {"acked": 2, "already_acked": 0,
                                                          "waiting": 0}
    assert box.events("journal.collected") == [JournalCollected(client_id="ws-a", acked=2,
                                                                 waiting=2)]
    assert await box.service.ack("ws-b", up_to=4) == {"acked": 2, "already_acked": 0, "waiting": 0}
    assert box.service.waiting == 0


async def test_retention_warns_then_purges(tmp_path):
    made = Box(tmp_path, retention_days=7, warn_before_s=DAY)
    await made.service.start()
    made.core.card_decoded("s0", VITALE, 0)
    await made.settle()
    made.clock.unix += 3 * DAY
    made.core.card_decoded("s0", CPS, 0)
    await made.settle()
    delay = await made.service.retention_tick()
    assert made.events("journal.retention_warning") == [] and made.events("journal.purged") == []
    assert delay == 3600.0                      # at least hourly
    made.clock.unix += 3 * DAY - 10             # 10 s before the warning window
    assert await made.service.retention_tick() == 10
    made.clock.unix += 11                       # the vitale read is 6 days + 1 s old
    await made.service.retention_tick()
    # one read, sealed for two workstations: two records
    assert made.events("journal.retention_warning") == [
        JournalRetentionWarning(records=2, purge_in_s=DAY - 1)]
    await made.service.retention_tick()         # nothing new to warn about: said once
    assert len(made.events("journal.retention_warning")) == 1
    made.clock.unix += DAY                      # 7 days + 1 s: gone (both workstations' records)
    await made.service.retention_tick()
    assert made.events("journal.purged") == [JournalPurged(records=2, waiting=1)]  # the cps read
    assert [r.header.kind for r in await made.opened("ws-a")] == ["cps"]
    assert made.service.waiting == 1
    await made.service.stop()


async def test_a_journal_that_cannot_open_degrades_its_device(tmp_path):
    (tmp_path / "journal.db").mkdir()
    made = Box(tmp_path)
    await made.service.start()
    assert made.core.devices["journal"]["state"] == "error"
    assert not made.service.available
    made.core.card_decoded("s0", VITALE, 0)  # no listener: nothing happens, nothing raised
    await made.service.stop()


async def test_a_corrupted_file_is_recovered_at_start_and_said(tmp_path):
    (tmp_path / "journal.db").write_bytes(b"not a database at all" * 300)
    made = Box(tmp_path)
    await made.service.start()
    (recovered,) = made.events("journal.recovered")
    assert recovered.set_aside.startswith("journal.corrupt-")
    assert (tmp_path / recovered.set_aside).read_bytes() == b"not a database at all" * 300
    assert made.core.devices["journal"]["state"] == "available"
    await made.service.stop()


def _on_disk(tmp_path) -> bytes:
    """Every byte of the journal's files: the database, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in sorted(tmp_path.glob("journal.db*")))


def _pieces(envelope: bytes) -> list[bytes]:
    """The envelope in 32-byte pieces (SQLite may split a long one over overflow pages)."""
    return [envelope[i:i + 32] for i in range(0, len(envelope) - 32, 32)]


async def test_an_apcv_payload_is_dropped_from_the_file_once_its_session_is_over(tmp_path):
    import os

    made = Box(tmp_path, payload_ttl_s=60)
    await made.service.start()
    payload = b"BORNE-SIM-APCV/1 " + os.urandom(3000)  # several pages: overflow pages too
    made.apcv.payload_captured("nfc", payload, 0)
    made.apcv.payload_captured("qr_scanner", b"01S2TBPZ2JCNZZYGHZ", 0)
    await made.settle()
    store = made.service._store
    before = {c: store.records(c) for c in ("ws-a", "ws-b")}
    pieces = [p for c in before for p in _pieces(before[c][0].envelope)]
    # The record's pages moved from the WAL into the database file (SQLite checkpoints every
    # 1000 pages, and the service at start): the drop must reach them there too.
    assert store.checkpoint()
    raw = _on_disk(tmp_path)
    assert sum(p in raw for p in pieces) > 0.8 * len(pieces)  # the test sees them while kept
    made.clock.mono += 59.9                                # within the session: kept
    assert 0.05 < await made.service.payload_tick() < 0.2
    assert [r.envelope for r in store.records("ws-a")] == [r.envelope for r in before["ws-a"]]
    made.clock.mono += 0.1                                 # the session's duration: dropped
    assert await made.service.payload_tick() is None
    raw = _on_disk(tmp_path)
    assert [p for p in pieces if p in raw] == []           # not hidden: gone from every file
    assert (tmp_path / "journal.db-wal").stat().st_size == 0
    for client_id in ("ws-a", "ws-b"):
        apcv, prescription = await made.opened(client_id)  # still listed, in place
        assert apcv.header.seq == before[client_id][0].header.seq
        assert apcv.body == {"kind": "apcv", "presentation_id": apcv.body["presentation_id"],
                             "channel": "nfc", "captured_at": "2026-01-01T00:00:00.000+00:00",
                             "payload_dropped": True}
        assert "payload_b64" in prescription.body          # only apCV payloads are dropped
    await made.service.stop()


async def test_payloads_left_by_another_boot_are_dropped_at_start(tmp_path):
    made = Box(tmp_path)
    await made.service.start()
    made.apcv.payload_captured("qr_camera", b"T" * 200, 0)
    await made.settle()
    (kept,) = await made.opened("ws-a")
    assert "payload_b64" in kept.body
    await made.service.stop()  # the box is switched off within the session
    # A new boot (a new daemon: nothing in memory): its monotonic clock starts again, so the
    # old record's time says nothing.
    made.bus = EventBus(made.clock)
    made.core = Core(made.bus, made.clock)
    made.service = JournalService(JournalConfig(), data_dir=tmp_path, bus=made.bus,
                                  clock=made.clock, core=made.core, clients=made.clients,
                                  apcv=ApcvService(made.bus, made.clock, made.core, ApcvConfig()),
                                  boot_id="boot-2")
    await made.service.start()
    assert await made.service.payload_tick() is None
    (record,) = await made.opened("ws-a")
    assert record.body["payload_dropped"] and "payload_b64" not in record.body
    await made.service.stop()
    made.clients.close()
