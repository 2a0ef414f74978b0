"""The audit journal's size is bounded (issue 16, finding 1): a fuzzer cannot fill the card.

A paired workstation gone bad (or a fuzzer) added 70,000 entries (23 MB) in one run, and the
journal was never pruned. ``[audit] max_mb`` caps it: past the cap, the oldest entries are
deleted, the anchor of the kept chain is recorded, and ``borne audit verify`` still checks
every kept entry (and would still see one deleted in the middle).

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from borne.audit.trail import AUDIT_DB_NAME
from borne.audit.verify import verify
from borne.cli.audit import audit_verify

from support.box import paired_http, running_box

CAP_MB = 0.1
REQUESTS = 900


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path, audit={"max_mb": CAP_MB}) as daemon:
        yield daemon


async def test_many_paired_requests_stay_under_the_cap_and_the_chain_verifies(box, tmp_path,
                                                                              capsys):
    db = Path(box.config.daemon.data_dir) / AUDIT_DB_NAME
    async with paired_http(box, tmp_path / "ws") as http:
        for _ in range(REQUESTS):
            assert (await http.get("/v1/clients/me")).status_code == 200
    entries = box.api_context.audit.entries(limit=1000)
    assert entries[-1].seq >= REQUESTS  # every request was journaled...
    assert entries[0].seq > 1 and len(entries) < REQUESTS  # ...and the oldest were pruned
    cap = CAP_MB * 1024 * 1024
    assert db.stat().st_size <= cap * 1.25, db.stat().st_size
    wal = db.with_name(AUDIT_DB_NAME + "-wal")
    assert not wal.exists() or wal.stat().st_size <= 4 * 1024 * 1024

    result = verify(db)
    assert result.ok and result.checked == len(entries), result
    assert result.last_hash == entries[-1].hash
    assert audit_verify(db, language="en") == 0
    out = capsys.readouterr().out
    assert f"Audit journal intact: {len(entries)} entries checked" in out
    assert f"Entries 1 to {entries[0].seq - 1} were pruned" in out


async def test_a_pruned_journal_still_shows_a_deletion_in_the_middle(box, tmp_path):
    db = Path(box.config.daemon.data_dir) / AUDIT_DB_NAME
    async with paired_http(box, tmp_path / "ws") as http:
        for _ in range(REQUESTS):
            await http.get("/v1/clients/me")
    first = box.api_context.audit.entries(limit=1)[0].seq
    assert first > 1
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM audit WHERE seq = ?", [first + 5])
    result = verify(db)
    assert not result.ok and (result.problem, result.broken_at) == ("missing", first + 5)
    # And deleting the first kept entries (past the recorded anchor) is seen too.
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM audit WHERE seq < ?", [first + 5])
    result = verify(db)
    assert not result.ok and (result.problem, result.broken_at) == ("missing", first)
