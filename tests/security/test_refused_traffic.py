"""What a LAN attacker without a certificate costs the box (issue 16, finding 1): memory only.

Every refused request used to be one synced audit entry holding the attacker's path: a loop
of ``GET /x`` wore the SD card and filled the data partition. Now:

- refused requests without an authorised certificate are counted in memory, per source
  address and reason, bounded (an attacker rotating addresses lands in one "other" bucket);
- the data directory does not grow while they arrive (no audit entry, no WAL frame);
- one summary entry is journaled per interval: counts and reasons, never a path or a header;
- a refused TLS handshake is one log line per address per interval, not one per handshake.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from pathlib import Path

import httpx
import pytest

from borne.audit.trail import AUDIT_DB_NAME

from support.box import paired_http, raw_tls, running_box, url

REFUSED = 300
MARK = "ZZattackerZZ"


def _journal_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in data.glob(f"{AUDIT_DB_NAME}*"))


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def test_refused_requests_cost_no_disk_write_and_are_summarised(box, tmp_path):
    data = Path(box.config.daemon.data_dir)
    before_entries = len(box.api_context.audit.entries(limit=1000))
    before_bytes = _journal_bytes(data)
    box.api_context.refusals.burst = REFUSED  # no slowing down here (the next test's)
    async with httpx.AsyncClient(verify=raw_tls(), base_url=url(box)) as http:
        for i in range(REFUSED):
            path = f"/{MARK}/{'A' * 300}/{i}" if i % 2 else "/v1/status"
            response = await http.get(path, headers={"X-Attacker": MARK * 20})
            assert response.status_code == 401
            assert response.json()["error"] == "unauthenticated"
    # Nothing journaled, nothing written, one by one.
    assert len(box.api_context.audit.entries(limit=1000)) == before_entries
    assert _journal_bytes(data) == before_bytes
    # The summary: one entry, counts and reasons only.
    await box.api_context.refusals.flush()
    entries = box.api_context.audit.entries(limit=1000)[before_entries:]
    assert len(entries) == 1, [e.action for e in entries]
    summary = entries[0]
    assert summary.action == "refused.summary" and summary.client_id is None
    assert summary.detail["total"] == REFUSED
    assert summary.detail["refused"] == [{"address": "127.0.0.1", "reason": "unauthenticated",
                                          "count": REFUSED}]
    assert MARK not in json.dumps(summary.to_dict()) and "AAAA" not in summary.resource
    # Nothing counted since: the next flush writes nothing.
    await box.api_context.refusals.flush()
    assert len(box.api_context.audit.entries(limit=1000)) == before_entries + 1


async def test_a_loop_of_refusals_is_slowed_down_past_a_burst_and_paired_ones_are_not(
        box, tmp_path):
    tally = box.api_context.refusals
    tally.burst, tally.delay_s = 5, 0.4
    async with httpx.AsyncClient(verify=raw_tls(), base_url=url(box)) as http:
        timings = []
        for _ in range(8):
            started = time.monotonic()
            assert (await http.get("/v1/status")).status_code == 401
            timings.append(time.monotonic() - started)
    assert all(t < 0.4 for t in timings[:5]) and all(t >= 0.4 for t in timings[5:]), timings
    async with paired_http(box, tmp_path / "ws") as http:  # the same address, paired
        started = time.monotonic()
        for _ in range(5):
            assert (await http.get("/v1/clients/me")).status_code == 200
        assert time.monotonic() - started < 2.0


async def test_a_paired_workstations_requests_are_still_journaled_one_by_one(box, tmp_path):
    async with paired_http(box, tmp_path / "ws") as http:
        before = len(box.api_context.audit.entries(limit=1000))
        for _ in range(3):
            assert (await http.get("/v1/clients/me")).status_code == 200
        assert (await http.get("/v1/nothing-here")).status_code == 404
    entries = box.api_context.audit.entries(limit=1000)[before:]
    assert [(e.action, e.status) for e in entries] == [("GET /v1/clients/me", 200)] * 3 + [
        ("GET /v1/nothing-here", 404)]
    assert all(e.client_id for e in entries)


async def test_rotating_addresses_cannot_grow_the_tally(box):
    tally = box.api_context.refusals
    for i in range(5000):
        tally.count(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "unauthenticated")
    described = tally.describe()
    assert described["total"] == 5000
    assert described["addresses_tracked"] <= tally.max_addresses + 1 < 5000  # + "other"
    detail = await tally.flush()
    assert detail["total"] == 5000 and len(detail["refused"]) <= tally.max_rows
    assert sum(row["count"] for row in detail["refused"]) + detail["others"] == 5000
    assert len(json.dumps(detail)) <= 2048


async def test_refused_handshakes_are_one_log_line_per_address(box, tmp_path, caplog):
    from borne.secure_channel.ca import BoxCA

    (tmp_path / "other").mkdir()
    other = BoxCA.load_or_create(tmp_path / "other")
    cert, key = other.ensure_server_cert(["localhost"], ["127.0.0.1"])
    context = raw_tls(cert=cert, key=key)
    caplog.set_level(logging.INFO, logger="borne.api")
    for _ in range(20):
        async with httpx.AsyncClient(verify=context, base_url=url(box)) as http:
            with pytest.raises((httpx.TransportError, ssl.SSLError)):
                await http.get("/v1/status")
    lines = [r for r in caplog.records if "TLS refused" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert box.api_context.refusals.describe()["total"] >= 20
