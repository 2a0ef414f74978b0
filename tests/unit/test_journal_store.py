"""The journal's SQLite file, on real files: durability settings, seqs, acknowledgements, corruption."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from borne.journal.crypto import open_record
from borne.journal.errors import JournalError
from borne.journal.store import JournalStore, Recipient, Stamp

STAMP = Stamp(mono_ns=5_000_000_000, wall="2026-01-01T00:00:00.000+00:00", wall_synced=False,
              wall_source="none", created=1_767_225_600)
KEY_A = ec.generate_private_key(ec.SECP256R1())
KEY_B = ec.generate_private_key(ec.SECP256R1())
A = Recipient("ws-a", KEY_A.public_key())
B = Recipient("ws-b", KEY_B.public_key())


@pytest.fixture
def store(tmp_path):
    journal = JournalStore(tmp_path / "journal.db")
    yield journal
    journal.close()


def test_file_modes_and_durability_settings(store, tmp_path):
    store.append("vitale", [A], b"x", STAMP, "boot-1")
    for name in ("journal.db", "journal.db-wal", "journal.db-shm"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
    db = sqlite3.connect(tmp_path / "journal.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._db.execute("PRAGMA secure_delete").fetchone()[0] == 1  # freed bytes zeroed


def test_one_record_per_recipient_each_for_its_key_only(store):
    stored = store.append("vitale", [A, B], b"secret", STAMP, "boot-1")
    assert [r.header.seq for r in stored] == [1, 2]
    assert {r.header.read_id for r in stored} == {1}
    assert store.waiting() == 1 and store.waiting("ws-a") == 1 and store.waiting("ws-b") == 1
    (mine,) = store.records("ws-a")
    assert mine.header.client_id == "ws-a" and mine.header.boot_id == "boot-1"
    assert mine.header.mono_ns == STAMP.mono_ns and mine.header.wall_synced is False
    assert open_record(KEY_A, mine.header_bytes, mine.envelope, client_id="ws-a") == b"secret"
    with pytest.raises(JournalError):
        open_record(KEY_B, mine.header_bytes, mine.envelope, client_id="ws-b")


def test_records_page_oldest_first_and_resume_after(store):
    for _ in range(5):
        store.append("cps", [A, B], b"x", STAMP, "boot")
    seqs = [r.header.seq for r in store.records("ws-a", limit=2)]
    assert seqs == [1, 3]
    assert [r.header.seq for r in store.records("ws-a", after=3, limit=10)] == [5, 7, 9]
    assert [r.header.seq for r in store.records("ws-b", after=0, limit=10)] == [2, 4, 6, 8, 10]


def test_seqs_are_never_reused_even_after_deleting_the_last_and_reopening(tmp_path):
    store = JournalStore(tmp_path / "journal.db")
    store.append("vitale", [A], b"x", STAMP, "boot")
    store.append("vitale", [A], b"x", STAMP, "boot")
    assert store.ack("ws-a", [1, 2], now=0) == (2, 0)
    store.close()
    store = JournalStore(tmp_path / "journal.db")
    assert store.last_seq() == 2
    (again,) = store.append("vitale", [A], b"x", STAMP, "boot")
    assert again.header.seq == 3
    store.close()


def test_ack_is_all_or_nothing_and_foreign_records_are_unknown(store):
    store.append("vitale", [A, B], b"x", STAMP, "boot")   # 1 for a, 2 for b
    store.append("vitale", [A, B], b"x", STAMP, "boot")   # 3 for a, 4 for b
    for seqs, unknown in (([1, 2], [2]), ([3, 99], [99]), ([1, 3, 4, 5], [4, 5])):
        with pytest.raises(JournalError) as caught:
            store.ack("ws-a", seqs, now=0)
        assert caught.value.code == "journal_record_unknown"
        assert caught.value.details["unknown"] == unknown
    assert [r.header.seq for r in store.records("ws-a")] == [1, 3]   # nothing deleted
    assert [r.header.seq for r in store.records("ws-b")] == [2, 4]
    assert store.ack("ws-a", [1, 3], now=0) == (2, 0)
    assert store.ack("ws-a", [1, 3], now=0) == (0, 2)  # repeated after a lost answer: fine
    with pytest.raises(JournalError):
        store.ack("ws-b", [1], now=0)  # another workstation's acknowledged record: still unknown
    assert store.waiting() == 2  # ws-b's two records keep both reads waiting


def test_ack_up_to(store):
    for _ in range(3):
        store.append("vitale", [A, B], b"x", STAMP, "boot")
    assert store.ack_up_to("ws-a", 3, now=0) == 2     # seqs 1 and 3, not b's 2
    assert [r.header.seq for r in store.records("ws-a")] == [5]
    with pytest.raises(JournalError) as caught:
        store.ack_up_to("ws-a", 7, now=0)             # never given out
    assert caught.value.code == "journal_record_unknown"
    assert [r.header.seq for r in store.records("ws-a")] == [5]


def test_purge_and_drop_client(store):
    old = Stamp(**{**STAMP.__dict__, "created": 1000})
    store.append("vitale", [A, B], b"x", old, "boot")
    store.append("vitale", [A, B], b"x", STAMP, "boot")
    rows = store.retention_rows()
    assert [(r.seq, r.created, r.boot_id) for r in rows] == [(1, 1000, "boot"), (2, 1000, "boot"),
                                                            (3, STAMP.created, "boot"),
                                                            (4, STAMP.created, "boot")]
    assert not any(r.ntp for r in rows)  # a clock of the kernel alone vouches for nothing
    assert store.purge([1, 2], acked_before=2000) == 2
    assert store.waiting() == 1
    assert store.drop_client("ws-b") == 1
    assert [r.header.client_id for r in store.records("ws-a")] == ["ws-a"]
    assert store.records("ws-b") == []


def _fill(path, records=20):
    store = JournalStore(path)
    for _ in range(records):
        store.append("vitale", [A], b"y" * 300, STAMP, "boot")
    store.close()


def _aside(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name)


def test_garbage_in_the_file_is_set_aside_intact_and_a_fresh_journal_started(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path)
    data = bytearray(path.read_bytes())
    data[0:100] = os.urandom(100)  # the header page: "file is not a database"
    path.write_bytes(bytes(data))
    store = JournalStore(path)
    assert store.set_aside is not None and store.set_aside.exists()
    assert store.set_aside.read_bytes() == bytes(data)      # moved, not rewritten
    assert store.waiting() == 0 and store.integrity_check() == ["ok"]
    (first,) = store.append("vitale", [A], b"x", STAMP, "boot")
    assert first.header.seq == 1
    store.close()


def test_a_truncated_file_is_set_aside(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path, records=200)
    size = path.stat().st_size
    assert size > 8 * 4096
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    store = JournalStore(path)
    assert store.set_aside is not None
    assert store.set_aside.name in _aside(tmp_path)
    assert all(name.startswith(store.set_aside.name) for name in _aside(tmp_path))
    assert store.waiting() == 0
    store.close()


def test_damage_inside_a_page_is_caught_by_the_check(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path, records=200)
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // 4096):  # keep page 1 (header, schema) sound
        data[page * 4096 + 8: page * 4096 + 64] = os.urandom(56)
    path.write_bytes(bytes(data))
    store = JournalStore(path)
    assert store.set_aside is not None
    store.close()


def test_the_wal_and_shm_go_aside_with_their_database(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path, records=200)
    store = JournalStore(path)
    store.append("vitale", [A], b"x", STAMP, "boot")
    # A process killed here leaves its -wal and -shm: copy them as they are.
    wal, shm = (tmp_path / "journal.db-wal").read_bytes(), (tmp_path / "journal.db-shm").read_bytes()
    store.close()
    with open(path, "r+b") as handle:  # pages the WAL does not hold are lost
        handle.truncate(path.stat().st_size // 2)
    (tmp_path / "journal.db-wal").write_bytes(wal)
    (tmp_path / "journal.db-shm").write_bytes(shm)
    fresh = JournalStore(path)
    aside = fresh.set_aside
    assert {p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name} == {
        aside.name, aside.name + "-wal", aside.name + "-shm"}
    assert (tmp_path / (aside.name + "-wal")).read_bytes() == wal
    fresh.close()


def test_a_wal_without_its_database_is_not_replayed_into_a_fresh_one(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path, records=3)
    store = JournalStore(path)
    store.append("vitale", [A], b"x", STAMP, "boot")
    wal = (tmp_path / "journal.db-wal").read_bytes()
    store.close()
    path.unlink()
    (tmp_path / "journal.db-wal").write_bytes(wal)
    fresh = JournalStore(path)
    assert fresh.set_aside is not None and fresh.waiting() == 0
    assert fresh.integrity_check() == ["ok"]
    fresh.close()


def test_a_foreign_database_is_set_aside_not_modified(tmp_path):
    path = tmp_path / "journal.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE patients (name TEXT)")
    db.commit()
    db.close()
    store = JournalStore(path)
    assert store.set_aside is not None
    check = sqlite3.connect(store.set_aside)
    assert check.execute("SELECT name FROM sqlite_master").fetchall() == [("patients",)]
    check.close()
    store.close()


def test_sound_files_are_reopened_not_set_aside(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path, records=5)
    store = JournalStore(path)
    assert store.set_aside is None and store.waiting() == 5
    store.close()
    assert _aside(tmp_path) == []


def test_a_file_that_cannot_be_opened_is_unavailable_and_nothing_is_moved(tmp_path):
    with pytest.raises(JournalError) as caught:
        JournalStore(tmp_path / "missing-dir" / "journal.db")
    assert caught.value.code == "journal_unavailable"
    path = tmp_path / "journal.db"
    path.mkdir()  # a directory where the file should be: an OS error, not corruption
    with pytest.raises(JournalError) as caught:
        JournalStore(path)
    assert caught.value.code == "journal_unavailable"
    assert path.is_dir() and _aside(tmp_path) == []


def test_a_payload_is_dropped_when_past_use_by_the_monotonic_clock_of_its_boot(store):
    at = [Stamp(mono_ns=n * 1_000_000_000, wall=STAMP.wall, wall_synced=False,
                wall_source="none", created=STAMP.created) for n in (10, 20)]
    store.append("apcv", [A], b"payload 1", at[0], "boot-2", redacted=b"dropped 1")
    store.append("apcv", [A], b"payload 2", at[1], "boot-2", redacted=b"dropped 2")
    store.append("apcv", [A], b"payload 0", at[1], "boot-1", redacted=b"dropped 0")
    store.append("prescription", [A], b"kept", at[0], "boot-2")
    assert store.next_payload_due("boot-2") == 10_000_000_000

    def bodies() -> list[bytes]:
        return [open_record(KEY_A, r.header_bytes, r.envelope, client_id="ws-a")
                for r in store.records("ws-a")]

    # In boot 2 at 15 s with a 5 s session: the record of 10 s, and boot 1's, whatever its time.
    assert store.drop_payloads("boot-2", 10_000_000_000) == 2
    assert bodies() == [b"dropped 1", b"payload 2", b"dropped 0", b"kept"]
    assert store.next_payload_due("boot-2") == 20_000_000_000
    assert store.drop_payloads("boot-2", 10_000_000_000) == 0  # done once
    store.ack("ws-a", [2], now=0)  # an acknowledged record: nothing left to drop for it
    assert store.drop_payloads("boot-2", 99_000_000_000) == 0
    assert store.next_payload_due("boot-2") is None
    assert store._db.execute("SELECT COUNT(*) FROM redacted").fetchone()[0] == 0


def test_a_journal_of_the_previous_version_is_upgraded_in_place(tmp_path):
    path = tmp_path / "journal.db"
    _fill(path, records=2)
    db = sqlite3.connect(path)  # as version 1 wrote it: no table of payload-free envelopes
    db.executescript("DROP TRIGGER signatures_follow_deletes; "
                     "DROP TRIGGER signatures_follow_redaction; DROP TABLE signatures; "
                     "DROP TABLE redacted; PRAGMA user_version = 1;")
    db.close()
    store = JournalStore(path)
    assert store.set_aside is None and store.waiting() == 2
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == 3
    store.append("apcv", [A], b"p", STAMP, "boot-1", redacted=b"d")
    assert store.drop_payloads("boot-2", 0) == 1
    store.close()
