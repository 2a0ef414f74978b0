"""The tally of refusals without a certificate: bounded memory, bounded summary."""

from __future__ import annotations

import json

from borne.api.refusals import OTHER, SUMMARY_ACTION, RefusalTally
from borne.audit.trail import MAX_DETAIL_BYTES


class _Audit:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    async def arecord(self, **entry: object) -> None:
        self.entries.append(entry)


async def test_counts_by_address_and_reason_and_names_the_largest():
    audit = _Audit()
    tally = RefusalTally(audit, max_addresses=4, max_rows=3)
    assert tally.count("10.0.0.1", "unauthenticated") is True
    assert tally.count("10.0.0.1", "unauthenticated") is False
    for _ in range(5):
        tally.count("10.0.0.2", "pairing_closed")
    for i in range(100):
        tally.count(f"10.1.0.{i}", "unauthenticated")
    detail = await tally.flush()
    assert detail["total"] == 107 and detail["addresses"] == 5  # four, and "other"
    assert detail["refused"][0] == {"address": OTHER, "reason": "unauthenticated", "count": 98}
    assert detail["refused"][1] == {"address": "10.0.0.2", "reason": "pairing_closed",
                                    "count": 5}
    assert sum(r["count"] for r in detail["refused"]) + detail["others"] == 107
    [entry] = audit.entries
    assert entry["action"] == SUMMARY_ACTION and entry["client_id"] is None
    assert entry["status"] == 0 and entry["detail"] == detail
    assert await tally.flush() is None and len(audit.entries) == 1  # nothing new: no entry
    assert tally.describe()["total"] == 107 and tally.describe()["summaries"] == 1


async def test_the_worst_summary_fits_the_audit_detail_limit():
    tally = RefusalTally(_Audit())
    for i in range(2000):
        tally.count(f"fe80:ffff:ffff:ffff:ffff:ffff:ffff:{i:04x}%" + "x" * 60, "r" * 100 + str(i))
    assert len(tally.describe()["by_reason"]) <= 16
    detail = await tally.flush()
    assert len(json.dumps(detail, separators=(",", ":")).encode()) <= MAX_DETAIL_BYTES


async def test_one_log_line_per_address_and_interval():
    tally = RefusalTally(_Audit())
    assert [tally.handshake_refused("10.0.0.9", "tls_certificate") for _ in range(3)] == [
        True, False, False]
    assert tally.handshake_refused("10.0.0.8", "tls_handshake") is True
    await tally.flush()
    assert tally.handshake_refused("10.0.0.9", "tls_certificate") is True  # a new interval


async def test_past_its_burst_an_address_waits_and_others_do_not():
    tally = RefusalTally(_Audit(), burst=3, delay_s=0.5)
    assert [tally.refused("10.0.0.1", "unauthenticated") for _ in range(5)] == [
        0, 0, 0, 0.5, 0.5]
    assert tally.refused("10.0.0.2", "unauthenticated") == 0
    await tally.flush()
    assert tally.refused("10.0.0.1", "unauthenticated") == 0  # a new interval, a new burst
