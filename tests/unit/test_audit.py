"""The audit journal: hash chain, durability settings, tamper detection, no health data."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from borne.audit.trail import (
    AUDIT_DB_NAME, COLUMNS, GENESIS_HASH, MAX_DETAIL_BYTES, AuditTrail, entry_hash,
)
from borne.audit.verify import verify
from borne.runtime.clock import WallTime
from borne.errors import BorneError

# Fictitious values that must never reach the file (the NIR is shaped like one, key included).
FAKE_NIR = "184127645108946"
FAKE_SURNAME = "ZORGLUBINSKI"
FAKE_PAIRING_CODE = "918273"


class FakeClock:
    """A clock that ticks 1 ms per reading and notes which thread read it."""

    def __init__(self, synchronised: bool = True) -> None:
        self.now = 1000.0
        self.synchronised = synchronised
        self.threads: list[str] = []

    def monotonic(self) -> float:
        self.now += 0.001
        return self.now

    def wall(self) -> WallTime:
        self.threads.append(threading.current_thread().name)
        return WallTime("2026-01-02T03:04:05.678+00:00", self.synchronised)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / AUDIT_DB_NAME


def fill(path: Path, count: int, **extra) -> list:
    with AuditTrail(path, FakeClock(), boot_id="boot-1") as journal:
        return [journal.record(client_id=f"client-{i % 3}", action="GET /v1/readers",
                               resource="/v1/readers", status=200, **extra) for i in range(count)]


def sql(path: Path, statement: str, *args) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute(statement, args)
    db.close()


# The chain


def test_a_chain_of_a_thousand_entries_verifies(db_path):
    entries = fill(db_path, 1000, detail={"client_name": "Comptoir 2"})
    assert [e.seq for e in entries] == list(range(1, 1001))
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    result = verify(db_path)
    assert (result.ok, result.checked, result.broken_at, result.reason) == (True, 1000, None, None)
    assert result.last_hash == entries[-1].hash


def test_hash_follows_the_documented_encoding(db_path):
    entry = fill(db_path, 1, detail={"slot": 0, "client_name": "Poste é"})[0]
    stored = {"seq": 1, "mono": entry.mono, "boot_id": "boot-1", "wall": entry.wall,
              "wall_synced": 1, "client_id": "client-0", "action": "GET /v1/readers",
              "resource": "/v1/readers", "status": 200,
              "detail": '{"client_name":"Poste é","slot":0}', "prev_hash": GENESIS_HASH}
    # Written out by hand, so an outside verifier can follow the docstring alone.
    text = json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert entry_hash({**stored, "hash": "ignored"}) == entry.hash


def test_reopening_continues_the_chain(db_path):
    first = fill(db_path, 3)
    with AuditTrail(db_path, FakeClock(), boot_id="boot-2") as journal:
        more = journal.record(client_id="client-9", action="POST /v1/pair", resource="/v1/pair",
                              status=201)
    assert (more.seq, more.prev_hash, more.boot_id) == (4, first[-1].hash, "boot-2")
    assert verify(db_path).checked == 4


def test_two_journals_on_one_file_do_not_fork_the_chain(db_path):
    one, two = AuditTrail(db_path, FakeClock()), AuditTrail(db_path, FakeClock())
    for i in range(20):
        (one if i % 2 else two).record(client_id=None, action="GET /", resource="/", status=404)
    one.close()
    two.close()
    assert verify(db_path).checked == 20


def test_boot_id_defaults_to_the_kernels(db_path):
    with AuditTrail(db_path, FakeClock()) as journal:
        entry = journal.record(client_id=None, action="GET /", resource="/", status=401)
    assert entry.boot_id == Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def test_wal_and_full_sync(db_path):
    with AuditTrail(db_path, FakeClock()) as journal:
        # synchronous is a per-connection setting: only the journal's own connection can show it.
        assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        other = sqlite3.connect(db_path)
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
    assert db_path.stat().st_mode & 0o777 == 0o640


def test_unsynchronised_wall_clock_is_recorded_as_such(db_path):
    with AuditTrail(db_path, FakeClock(synchronised=False)) as journal:
        entry = journal.record(client_id="c", action="GET /", resource="/", status=200)
    assert entry.wall_synced is False
    assert verify(db_path).ok


# Tampering, reported where the chain breaks


def test_a_modified_field_is_reported_at_its_entry(db_path):
    fill(db_path, 100)
    sql(db_path, "UPDATE audit SET status = 403 WHERE seq = 42")
    result = verify(db_path)
    assert (result.ok, result.broken_at, result.problem) == (False, 42, "modified")
    assert result.reason == "entry 42 was modified"
    assert result.checked == 41


def test_a_deleted_entry_is_reported_missing(db_path):
    fill(db_path, 100)
    sql(db_path, "DELETE FROM audit WHERE seq = 42")
    result = verify(db_path)
    assert (result.broken_at, result.problem, result.reason) == (42, "missing", "entry 42 is missing")


def test_a_deleted_first_entry_is_reported_missing(db_path):
    fill(db_path, 10)
    sql(db_path, "DELETE FROM audit WHERE seq = 1")
    assert (verify(db_path).broken_at, verify(db_path).checked) == (1, 0)


def test_two_swapped_entries_are_reported_at_the_first(db_path):
    fill(db_path, 50)
    db = sqlite3.connect(db_path)
    with db:
        rows = {seq: row for seq, *row in db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM audit WHERE seq IN (10, 11)")}
        setters = ", ".join(f"{name} = ?" for name in COLUMNS[1:])
        db.execute(f"UPDATE audit SET {setters} WHERE seq = 10", rows[11])
        db.execute(f"UPDATE audit SET {setters} WHERE seq = 11", rows[10])
    db.close()
    result = verify(db_path)
    assert (result.ok, result.broken_at) == (False, 10)


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_link_to_the_next(db_path):
    fill(db_path, 50)
    db = sqlite3.connect(db_path)
    with db:
        row = dict(zip(COLUMNS, db.execute(f"SELECT {', '.join(COLUMNS)} FROM audit "
                                           "WHERE seq = 42").fetchone()))
        row["status"] = 200 if row["status"] != 200 else 500
        db.execute("UPDATE audit SET status = ?, hash = ? WHERE seq = 42",
                   (row["status"], entry_hash(row)))
    db.close()
    result = verify(db_path)
    assert (result.broken_at, result.problem) == (43, "out_of_order")
    assert result.reason.startswith("entry 43 does not follow entry 42")


def test_an_appended_forged_entry_is_reported(db_path):
    fill(db_path, 20)
    forged = {"seq": 21, "mono": 1.0, "boot_id": "x", "wall": "2026-01-01T00:00:00+00:00",
              "wall_synced": 1, "client_id": "intruder", "action": "GET /", "resource": "/",
              "status": 200, "detail": None, "prev_hash": "f" * 64}
    forged["hash"] = entry_hash(forged)
    sql(db_path, f"INSERT INTO audit ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 12)})",
        *(forged[name] for name in COLUMNS))
    assert (verify(db_path).broken_at, verify(db_path).problem) == (21, "out_of_order")


def test_an_entry_numbered_before_the_first_is_reported(db_path):
    fill(db_path, 5)
    sql(db_path, "INSERT INTO audit (seq, action) VALUES (0, 'GET /')")
    assert (verify(db_path).broken_at, verify(db_path).problem) == (0, "out_of_order")


def test_a_value_json_cannot_hold_is_a_modification(db_path):
    fill(db_path, 5)
    sql(db_path, "UPDATE audit SET resource = x'00ff' WHERE seq = 3")
    assert (verify(db_path).broken_at, verify(db_path).problem) == (3, "modified")


def test_a_cut_tail_goes_unnoticed_by_the_chain_alone(db_path):
    entries = fill(db_path, 30)
    sql(db_path, "DELETE FROM audit WHERE seq = 30")
    result = verify(db_path)
    # Documented limit: only the count, and the last hash kept elsewhere, show it.
    assert (result.ok, result.checked) == (True, 29)
    assert result.last_hash == entries[28].hash != entries[29].hash


def test_an_empty_journal_is_intact(db_path):
    AuditTrail(db_path, FakeClock()).close()
    assert verify(db_path) == verify(db_path) and verify(db_path).ok
    assert verify(db_path).checked == 0


def test_verify_does_not_write(db_path):
    fill(db_path, 10)
    before = {p.name: p.read_bytes() for p in db_path.parent.iterdir()}
    verify(db_path)
    after = {p.name: p.read_bytes() for p in db_path.parent.iterdir() if p.name in before}
    assert after == before


def test_verify_of_a_missing_or_foreign_file_is_an_error(tmp_path):
    with pytest.raises(BorneError) as missing:
        verify(tmp_path / "absent.db")
    assert missing.value.code == "audit_unavailable"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(BorneError, match="junk.db"):
        verify(junk)


# No health data


@pytest.mark.parametrize("detail", [
    {"nir": FAKE_NIR}, {"surname": FAKE_SURNAME}, {"first_name": "Jean"},
    {"birth_date": "1984-12-01"}, {"code": FAKE_PAIRING_CODE}, {"pin": "1234"},
    {"apdu": "00A4040C"}, {"data": "..."}, {"name": FAKE_SURNAME}, {"pairing_code": "1"},
    {"FirstName": "Jean"}, {"date-of-birth": "x"}, {"card_data": "x"}, {"NIR": "x"},
    {"card": {"beneficiary": {"surname": FAKE_SURNAME}}}, {"items": [{"pin": "0000"}]},
    {"note": f"patient {FAKE_NIR}"}, {"note": "1 84 12 76 451 089 46"},
    {"big": "x" * MAX_DETAIL_BYTES}, {"when": {1, 2}}, {1: "int key"}, ["not", "a", "dict"],
])
def test_detail_that_may_not_be_journalled_is_refused(db_path, detail):
    with AuditTrail(db_path, FakeClock()) as journal:
        with pytest.raises(ValueError):
            journal.record(client_id="c", action="GET /", resource="/", status=200, detail=detail)
        assert journal.entries() == []


def test_allowed_detail(db_path):
    detail = {"client_name": "Comptoir 2", "error": "card_removed", "slot": 0, "reason": "x" * 500}
    with AuditTrail(db_path, FakeClock()) as journal:
        entry = journal.record(client_id="c", action="GET /", resource="/", status=200,
                               detail=detail)
        assert journal.entries()[0].detail == entry.detail == detail


def test_text_fields_are_cut_and_nir_shaped_text_masked_but_still_recorded(db_path):
    with AuditTrail(db_path, FakeClock()) as journal:
        entry = journal.record(client_id="c", action="GET /v1/x", resource=f"/v1/{FAKE_NIR}/"
                               + "y" * 2000, status=404)
    assert entry.resource.startswith("/v1/[NIR]/") and len(entry.resource) < 520
    assert verify(db_path).ok


def test_the_file_never_holds_a_denied_value(db_path):
    denied = [{"nir": FAKE_NIR}, {"surname": FAKE_SURNAME}, {"code": FAKE_PAIRING_CODE},
              {"note": FAKE_NIR}]
    with AuditTrail(db_path, FakeClock()) as journal:
        for detail in denied:
            with pytest.raises(ValueError):
                journal.record(client_id="c", action="POST /v1/pair", resource="/v1/pair",
                               status=201, detail=detail)
        journal.record(client_id="c", action="GET /v1/cards", resource=f"/v1/cards/{FAKE_NIR}",
                       status=404)
        raw = b"".join(p.read_bytes() for p in db_path.parent.iterdir())  # db, -wal, -shm
    for secret in (FAKE_NIR, FAKE_SURNAME, FAKE_PAIRING_CODE):
        assert secret.encode() not in raw


# Concurrency


async def test_arecord_keeps_call_order_and_runs_off_the_loop(db_path):
    clock = FakeClock()
    with AuditTrail(db_path, clock) as journal:
        entries = await asyncio.gather(*(
            journal.arecord(client_id=f"c{i % 5}", action="GET /v1/status",
                            resource=f"/v1/status/{i}", status=200) for i in range(200)))
        assert [e.resource for e in entries] == [f"/v1/status/{i}" for i in range(200)]
        stored = journal.entries(limit=1000)
    assert [e.seq for e in stored] == list(range(1, 201))
    assert [e.resource for e in stored] == [f"/v1/status/{i}" for i in range(200)]
    assert set(clock.threads) == {clock.threads[0]} and clock.threads[0].startswith("audit")
    assert verify(db_path).checked == 200


async def test_a_cancelled_caller_still_gets_its_entry_written(db_path):
    with AuditTrail(db_path, FakeClock()) as journal:
        tasks = [asyncio.create_task(journal.arecord(client_id="c", action="GET /", resource=f"/{i}",
                                                     status=499)) for i in range(20)]
        await asyncio.sleep(0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert verify(db_path).checked == 20


def test_record_is_thread_safe(db_path):
    with AuditTrail(db_path, FakeClock()) as journal:
        def work(n: int) -> None:
            for i in range(50):
                journal.record(client_id=f"t{n}", action="GET /", resource=f"/{i}", status=200)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert verify(db_path).checked == 400


# Reading and closing


def test_entries_pages_and_filters(db_path):
    fill(db_path, 30)
    with AuditTrail(db_path, FakeClock()) as journal:
        assert [e.seq for e in journal.entries(after=10, limit=5)] == [11, 12, 13, 14, 15]
        mine = journal.entries(client_id="client-1", limit=1000)
        assert [e.seq for e in mine] == list(range(2, 31, 3))
        assert journal.entries(after=30) == []
        for limit in (0, 1001):
            with pytest.raises(ValueError):
                journal.entries(limit=limit)
        first = journal.entries(limit=1)[0].to_dict()
    assert list(first) == list(COLUMNS)
    assert json.loads(json.dumps(first)) == first


def test_a_closed_journal_refuses_politely(db_path):
    journal = AuditTrail(db_path, FakeClock())
    journal.close()
    journal.close()
    with pytest.raises(BorneError) as error:
        journal.record(client_id="c", action="GET /", resource="/", status=200)
    assert error.value.code == "audit_write_failed"
    with pytest.raises(BorneError):
        asyncio.run(journal.arecord(client_id="c", action="GET /", resource="/", status=200))


def test_an_unusable_path_is_an_error(tmp_path):
    with pytest.raises(BorneError) as error:
        AuditTrail(tmp_path / "no" / "such" / "dir" / AUDIT_DB_NAME, FakeClock())
    assert error.value.code == "audit_unavailable"


async def test_arecord_refuses_a_denied_detail_on_the_callers_stack(db_path):
    with AuditTrail(db_path, FakeClock()) as journal:
        with pytest.raises(ValueError, match="denied"):
            await journal.arecord(client_id="c", action="GET /", resource="/", status=200,
                                  detail={"pin": "0000"})
        assert journal.entries() == []


def test_importing_the_package_is_free():
    code = "import sys, borne.audit; print('sqlite3' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"
