"""The journal against real faults: a full partition (a real tmpfs) and repeated SIGKILLs mid-write."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from borne.journal.crypto import open_record
from support.journal_writer import PATH as JOURNAL_WRITER
from borne.journal.errors import JournalError
from borne.journal.store import JournalStore, Recipient, Stamp

KILLS = 20
KEY = ec.generate_private_key(ec.SECP256R1())
A = Recipient("ws-a", KEY.public_key())
STAMP = Stamp(mono_ns=1, wall="2026-01-01T00:00:00.000+00:00", wall_synced=True,
              wall_source="ntp", created=1_767_225_600)


def _fill_until_full(store: JournalStore, body: bytes) -> tuple[list[int], JournalError]:
    stored = []
    for _ in range(10_000):
        try:
            (record,) = store.append("vitale", [A], body, STAMP, "boot")
        except JournalError as error:
            return stored, error
        stored.append(record.header.seq)
    pytest.fail("the tmpfs never filled up")


def _fill_disk(path: Path) -> None:
    """Take every free byte of the partition ``path`` is on."""
    try:
        with open(path, "wb") as out:
            while True:
                out.write(b"\0" * 4096)
                out.flush()
    except OSError:
        pass


def test_a_full_partition_refuses_new_records_and_harms_none(tmp_path, mount_tmpfs):
    with mount_tmpfs(tmp_path / "data", "size=2m,mode=0700") as data:
        reserve = data / "reserve"
        reserve.write_bytes(b"\0" * 256 * 1024)   # what "freeing space" gives back later
        store = JournalStore(data / "journal.db")
        body = os.urandom(8 * 1024)
        stored, error = _fill_until_full(store, body)
        assert error.code == "journal_full" and "full" in error.message("en").lower()
        assert len(stored) > 20
        with pytest.raises(JournalError) as again:   # refused again, cleanly
            store.append("vitale", [A], body, STAMP, "boot")
        assert again.value.code == "journal_full"
        records = store.records("ws-a", limit=1000)
        assert [r.header.seq for r in records] == stored
        for record in records:
            assert open_record(KEY, record.header_bytes, record.envelope, client_id="ws-a") == body
        assert store.integrity_check() == ["ok"]
        store.close()
        # Reopened on the still-full partition: sound, nothing set aside, nothing lost.
        store = JournalStore(data / "journal.db")
        assert store.set_aside is None
        assert [r.header.seq for r in store.records("ws-a", limit=1000)] == stored
        reserve.unlink()                             # space comes back: appends work again
        (after,) = store.append("vitale", [A], body, STAMP, "boot")
        assert after.header.seq > stored[-1]
        assert store.integrity_check() == ["ok"]
        store.close()


class _Storage:
    """Stands in for the StorageWatch: counts how often a failed write was reported."""

    #: The real one would now refuse reads (and the service skip them): this test is about
    #: the write failing under the service, so it keeps accepting.
    refusing = False

    def __init__(self) -> None:
        self.told = 0

    def write_failed(self) -> None:
        self.told += 1


async def test_the_service_says_full_and_tells_the_storage_watch(tmp_path, mount_tmpfs):
    from borne.client.pairing import make_key_and_csr
    from borne.runtime.clock import Clock
    from borne.config import JournalConfig
    from borne.core import Core
    from borne.events import EventBus
    from borne.journal.service import JournalService
    from borne.readers.base import SlotInfo
    from borne.readers.cards.model import CpsCard
    from borne.secure_channel.ca import BoxCA
    from borne.secure_channel.clients import ClientRegistry

    clock = Clock()
    bus = EventBus(clock)
    core = Core(bus, clock)
    core.reader_attached(SlotInfo("s0", "R", "contact", "sim"))
    clients = ClientRegistry(tmp_path / "clients.db")
    _, csr = make_key_and_csr("ws")
    ca = BoxCA.load_or_create(tmp_path)
    clients.add_certificate(ca.issue_client_cert(csr, client_id="ws-a", name="ws"),
                            client_id="ws-a", name="ws")
    storage = _Storage()
    card = CpsCard(atr=b"\x3b", generation="CPS4", serial="1", holder=None, profession="nurse")

    def stored() -> int:
        return len([e for e in bus.history() if e.type == "journal.stored"])

    async def read_card() -> None:
        core.card_decoded("s0", card, 0)
        while service._pending:
            await asyncio.gather(*list(service._pending))

    with mount_tmpfs(tmp_path / "data", "size=1m,mode=0700") as data:
        service = JournalService(JournalConfig(), data_dir=data, bus=bus, clock=clock, core=core,
                                 clients=clients, storage=storage)
        await service.start()
        await read_card()
        assert stored() == 1
        _fill_disk(data / "filler")
        await read_card()
        assert core.devices["journal"] == {"state": "full", "detail": "journal_full"}
        assert storage.told == 1 and stored() == 1
        (data / "filler").unlink()
        await read_card()
        assert core.devices["journal"]["state"] == "available" and stored() == 2
        records, waiting = await service.collect("ws-a")
        assert [r.header.seq for r in records] == [1, 2] and waiting == 2
        await service.stop()
    clients.close()


def test_sigkill_mid_write_loses_no_announced_record_and_corrupts_nothing(tmp_path):
    public = tmp_path / "public.pem"
    public.write_bytes(KEY.public_key().public_bytes(Encoding.PEM,
                                                     PublicFormat.SubjectPublicKeyInfo))
    db = tmp_path / "journal.db"
    rng = random.Random(8)
    stored: list[int] = []
    acked: set[int] = set()
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, JOURNAL_WRITER, str(db),
                                  str(public)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        run = []
        for line in child.stdout.read().splitlines():
            what, _, seq = line.partition(" ")
            if what == "stored":
                run.append(int(seq))
            elif what == "acking":  # deleted, or not yet: both are right
                acked.add(int(seq))
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        if run and stored:
            assert run[0] > stored[-1]   # seqs never reused, across crashes too
        stored += run
    assert len(stored) > 20, "the writer hardly wrote: the test proves nothing"
    store = JournalStore(db)
    assert store.set_aside is None
    assert store.integrity_check() == ["ok"]
    present = {r.header.seq: r for r in store.records("ws-a", limit=1000)}
    while len(present) % 1000 == 0 and present:
        more = store.records("ws-a", after=max(present), limit=1000)
        if not more:
            break
        present.update({r.header.seq: r for r in more})
    missing = [seq for seq in stored if seq not in acked and seq not in present]
    assert missing == []
    # A kill between a commit and its line leaves a record nobody was told of: one per kill at most.
    assert len(set(present) - set(stored)) <= KILLS
    for record in present.values():   # every envelope still opens
        open_record(KEY, record.header_bytes, record.envelope, client_id="ws-a")
    store.close()
    assert not list(tmp_path.glob("*.corrupt-*"))


async def test_no_read_is_journaled_while_the_storage_refuses(tmp_path):
    """The partition's last space (the released reserve) is for acknowledgements, not new reads."""
    from borne.runtime.clock import Clock
    from borne.config import JournalConfig
    from borne.core import Core
    from borne.events import EventBus
    from borne.journal.service import JournalService
    from borne.readers.base import SlotInfo
    from borne.readers.cards.model import CpsCard
    from borne.secure_channel.clients import ClientRegistry

    class Refusing(_Storage):
        refusing = True

    clock = Clock()
    bus = EventBus(clock)
    core = Core(bus, clock)
    core.reader_attached(SlotInfo("s0", "R", "contact", "sim"))
    service = JournalService(JournalConfig(), data_dir=tmp_path, bus=bus, clock=clock, core=core,
                             clients=ClientRegistry(tmp_path / "clients.db"), storage=Refusing())
    await service.start()
    try:
        core.card_decoded("s0", CpsCard(atr=b"\x3b", generation="CPS4", serial="1", holder=None,
                                        profession="nurse"), 0)
        assert not service._pending
        assert [e for e in bus.history() if e.type == "journal.stored"] == []
    finally:
        await service.stop()
