"""Invoices given back and kept for good, through the API over mutual TLS: release, confirm,
the audit journal, and the races (a release at the moment of expiry, releases and claims at
once, two workstations).

A signature or a transmission can fail after the billing software claimed an invoice; the
session's quota must not be lost to it (issue 14). These tests drive the real daemon on the
tests' private pcscd with a test CPS in slot 1.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from borne.client import BoxClient, BoxError
from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.runtime.clock import Clock

from support.box import paired, running_box, url
from support.apcv_session import session_on
from support.contract import check
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

RELEASE = "POST /v1/apcv/sessions/{session_id}/invoices/{invoice}/release"
CONFIRM = "/v1/apcv/sessions/{session_id}/invoices/{invoice}/confirm"


async def refused(call) -> tuple[int, str]:
    with pytest.raises(BoxError) as error:
        await call
    return error.value.status, error.value.code


async def test_a_failed_invoice_is_given_back_and_claimed_again(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            session = await session_on(box, card_slots, client, "cps-pharmacist")
            sid = session["id"]
            assert [await client.claim_invoice(sid) for _ in range(2)] == [1, 2]
            assert (await client.session(sid))["state"] == "exhausted"
            events = client.events(after=box.bus.last_seq)
            released = await client.release_invoice(sid, 2, "signature_failed")
            assert (released["invoice"], released["state"], released["reason"]) == (
                2, "released", "signature_failed")
            assert (released["session"]["state"], released["session"]["invoices_used"]) == (
                "open", 1)
            event = await wait_event(events, "apcv.invoice.released")
            await events.aclose()
            assert {k: event.data[k] for k in ("session_id", "invoice", "reason",
                                               "invoices_used", "invoices_allowed")} == {
                "session_id": sid, "invoice": 2, "reason": "signature_failed",
                "invoices_used": 1, "invoices_allowed": 2}
            assert await client.claim_invoice(sid) == 3  # the retry; numbers are not reused
            assert await refused(client.claim_invoice(sid)) == (409, "reauthentication_required")
            # Confirming is optional and final; a released invoice stays released.
            assert (await client.confirm_invoice(sid, 1))["state"] == "confirmed"
            assert (await client.confirm_invoice(sid, 1))["state"] == "confirmed"  # again: same
            assert await refused(client.release_invoice(sid, 1)) == (409, "invoice_confirmed")
            assert await refused(client.release_invoice(sid, 2)) == (409, "invoice_released")
            assert await refused(client.confirm_invoice(sid, 2)) == (409, "invoice_released")
            assert await refused(client.release_invoice(sid, 4)) == (404, "invoice_not_found")
            view = await client.session(sid)
            assert [(i["invoice"], i["state"], i["reason"]) for i in view["invoices"]] == [
                (1, "confirmed", None), (2, "released", "signature_failed"), (3, "claimed", None)]
            assert view["invoices_used"] == 2
            # The answers, granted and refused, are the documented ones.
            http, base = client._http, f"/v1/apcv/sessions/{sid}"
            for number, body in ((3, {"reason": "cancelled"}), (3, {"reason": "cancelled"}),
                                 (1, {"reason": "other"}), (9, {"reason": "other"}),
                                 (3, {"reason": "oops"})):
                check("POST", RELEASE.split(" ")[1],
                      await http.post(f"{base}/invoices/{number}/release", json=body))
            for number in (1, 2, 9):
                check("POST", CONFIRM, await http.post(f"{base}/invoices/{number}/confirm"))
            check("GET", "/v1/apcv/sessions/{session_id}", await http.get(base))
            # Each release, granted or refused, is in the audit journal with its reason.
            audit = [e for e in await client.audit(limit=1000) if e["action"] == RELEASE]
            assert [(e["status"], e["detail"]) for e in audit][:4] == [
                (200, {"invoice": 2, "reason": "signature_failed"}),
                (409, {"invoice": 1, "reason": "signature_failed"}),
                (409, {"invoice": 2, "reason": "signature_failed"}),
                (404, {"invoice": 4, "reason": "signature_failed"})]
            assert [(e["status"], e["detail"]) for e in audit][-1] == (400, None)  # "oops"


class Held:
    """A monotonic clock the test can hold still at a given time, then let run on from there
    (never backwards)."""

    def __init__(self) -> None:
        self.held: float | None = None
        self.skew = 0.0

    def __call__(self) -> float:
        return self.held if self.held is not None else time.monotonic() + self.skew

    def hold(self, at: float) -> None:
        self.held = at

    def run(self) -> None:
        if self.held is not None:
            self.skew, self.held = self.held - time.monotonic(), None


async def test_a_release_at_the_moment_of_expiry_is_refused(tmp_path, sim_pcscd, card_slots):
    monotonic = Held()
    clock = Clock(recheck_s=0.0, kernel_synced=lambda: False, monotonic=monotonic)
    async with running_box(tmp_path, clock=clock) as box:
        pair = await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            sid = (await session_on(box, card_slots, client, "cps-doctor"))["id"]  # quota 1
            assert await client.claim_invoice(sid) == 1
            end = box.apcv.session(sid, pair.client_id).expires_mono
            monotonic.hold(end - 0.001)  # just before the end: given back, claimed again
            assert (await client.release_invoice(sid, 1))["session"]["state"] == "open"
            assert await client.claim_invoice(sid) == 2
            events = client.events(after=box.bus.last_seq)
            monotonic.hold(end)  # the very moment of the end: too late
            assert await refused(client.release_invoice(sid, 2)) == (410, "session_expired")
            expired = await wait_event(events, "apcv.session.expired")
            await events.aclose()
            assert expired.data == {"session_id": sid, "invoices_used": 1}
            view = await client.session(sid)
            assert (view["state"], view["invoices_used"], view["invoices"][1]["state"]) == (
                "expired", 1, "claimed")
            monotonic.run()


async def test_racing_releases_give_back_once_and_racing_claims_keep_the_quota(
        tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            sid = (await session_on(box, card_slots, client, "cps-doctor"))["id"]  # quota 1
            assert await client.claim_invoice(sid) == 1
            context = mtls_context(WorkstationFiles(tmp_path / "ws"))
            clients = [httpx.AsyncClient(verify=context, base_url=url(box)) for _ in range(8)]
            base = f"/v1/apcv/sessions/{sid}/invoices"
            try:
                # The same release sent 8 times at once (a retry storm): given back once.
                answers = await asyncio.gather(*(
                    c.post(f"{base}/1/release", json={"reason": "transmission_failed"})
                    for c in clients))
                assert sorted(a.status_code for a in answers) == [200] + [409] * 7
                assert {a.json()["error"] for a in answers if a.status_code == 409} == {
                    "invoice_released"}
                # 8 claims at once for the one free place: exactly one wins.
                claims = await asyncio.gather(*(c.post(base) for c in clients))
                assert sorted(a.status_code for a in claims) == [201] + [409] * 7
                # A release and claims at once: whatever the order, never over the quota.
                won = [a.json()["invoice"] for a in claims if a.status_code == 201]
                mixed = await asyncio.gather(
                    clients[0].post(f"{base}/{won[0]}/release", json={"reason": "cancelled"}),
                    *(c.post(base) for c in clients[1:]))
            finally:
                for c in clients:
                    await c.aclose()
            assert mixed[0].status_code == 200
            granted = [a for a in mixed[1:] if a.status_code == 201]
            assert len(granted) <= 1
            view = await client.session(sid)
            assert view["invoices_used"] == len(granted) <= 1
            assert len(view["invoices"]) == 2 + len(granted)


async def test_another_workstation_cannot_see_claim_release_or_confirm(tmp_path, sim_pcscd,
                                                                       card_slots):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "a", "Comptoir 1")
        await paired(box, tmp_path / "b", "Comptoir 2")
        async with BoxClient.from_directory(tmp_path / "a") as first, \
                BoxClient.from_directory(tmp_path / "b") as second:
            sid = (await session_on(box, card_slots, first, "cps-nurse"))["id"]
            assert await first.claim_invoice(sid) == 1
            for call in (second.session(sid), second.claim_invoice(sid),
                         second.release_invoice(sid, 1), second.confirm_invoice(sid, 1)):
                assert await refused(call) == (404, "session_not_found")
            view = await first.session(sid)
            assert (view["invoices_used"], view["invoices"][0]["state"]) == (1, "claimed")
