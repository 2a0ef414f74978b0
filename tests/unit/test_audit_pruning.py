"""The audit journal's size cap: the oldest entries go, the kept chain still verifies."""

from __future__ import annotations

import sqlite3
import time

from borne.audit.trail import AUDIT_DB_NAME, PRUNE_TO, AuditTrail
from borne.audit.verify import verify
from borne.runtime.clock import WallTime

CAP = 48 * 1024


class _Clock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> WallTime:
        return WallTime("2026-01-02T03:04:05.678+00:00", True)


def _fill(path, count: int, cap: int | None = CAP) -> AuditTrail:
    journal = AuditTrail(path, _Clock(), boot_id="boot-1", max_bytes=cap)
    journal._db.execute("PRAGMA synchronous=OFF")  # a unit test: no fsync per entry
    for i in range(count):
        journal.record(client_id="ws-fuzz", action="GET /v1/readers/{slot_id}",
                       resource=f"/v1/readers/{'x' * 200}{i}", status=404)
    return journal


def test_past_the_cap_the_oldest_go_and_the_chain_verifies_from_its_anchor(tmp_path):
    path = tmp_path / AUDIT_DB_NAME
    with _fill(path, 1500) as journal:
        kept = journal.entries(limit=1000)
        used = journal._used_bytes()
    assert used <= CAP and kept[0].seq > 1 and kept[-1].seq == 1500
    assert path.stat().st_size <= CAP * 1.3
    with sqlite3.connect(path) as db:
        up_to, anchor = db.execute("SELECT up_to, hash FROM audit_pruned").fetchone()
    assert up_to == kept[0].seq - 1 and anchor == kept[0].prev_hash
    result = verify(path)
    assert result.ok and result.pruned_up_to == up_to and result.checked == 1500 - up_to


def test_pruning_is_rare_and_keeps_a_fifth_of_headroom(tmp_path):
    path = tmp_path / AUDIT_DB_NAME
    with _fill(path, 1500) as journal:
        first = journal.entries(limit=1)[0].seq
        # The next entry does not prune again: the last pruning left room below the cap.
        journal.record(client_id="ws", action="GET /v1/status", resource="/v1/status",
                       status=200)
        assert journal.entries(limit=1)[0].seq == first
        assert journal._used_bytes() <= CAP * (PRUNE_TO + 0.2)


def test_without_a_cap_nothing_is_pruned_and_an_old_journal_still_verifies(tmp_path):
    path = tmp_path / AUDIT_DB_NAME
    with _fill(path, 300, cap=None) as journal:
        assert journal.entries(limit=1)[0].seq == 1
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE audit_pruned")  # a journal written before the cap existed
    result = verify(path)
    assert result.ok and result.checked == 300 and result.pruned_up_to is None


def test_a_moved_anchor_without_the_deletion_is_seen(tmp_path):
    path = tmp_path / AUDIT_DB_NAME
    _fill(path, 1500).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE audit_pruned SET up_to = up_to - 1")
    result = verify(path)
    assert not result.ok and result.problem == "missing"
