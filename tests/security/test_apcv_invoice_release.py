"""What releasing and confirming apCV invoices lets a paired workstation gone bad try.

- It cannot see, release nor confirm another workstation's session: the answer is the one an
  unknown session gets (``404 session_not_found``), so it learns nothing by guessing.
- It cannot write text of its choosing to the audit journal through the release's reason: the
  reason is one of a closed list; free text, a NIR, a name, a long string, a field more are
  refused (``400 bad_request``) before anything is journaled or changed.
- Invoice numbers from the path are numbers a session gives (1 to 16: else ``400 bad_request``
  naming ``invoice``), and ones this session gave out (else ``invoice_not_found``).

The real daemon runs in the test process on loopback (``tests/security/conftest.py``); a CPS
is put in the box through the core, as a reader backend would (no pcscd needed).
"""

from __future__ import annotations

import pytest

from borne.client import BoxClient, BoxError
from borne.readers.base import SlotInfo
from borne.readers.cards.model import CpsCard

from support.apcv_session import open_apcv_session
from support.box import paired, running_box

NIR = "2 39 08 75 056 016 18"  # a seed sample (wrong key): NIR-shaped all the same


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        daemon.core.reader_attached(SlotInfo("sec-0", "Security reader 0", "contact", "sim"))
        daemon.core.card_decoded("sec-0", CpsCard(atr=b"\x3b", generation="CPS4", serial="1",
                                                  holder=None, profession="nurse"), 0)
        yield daemon


async def claimed_session(box, client: BoxClient) -> str:
    """A session of ``client`` with invoice 1 claimed (a nurse's: 2 allowed)."""
    session = await open_apcv_session(box, client)
    assert await client.claim_invoice(session["id"]) == 1
    return session["id"]


async def error_of(call) -> dict:
    with pytest.raises(BoxError) as refused:
        await call
    return {"status": refused.value.status, "code": refused.value.code,
            "message": refused.value.message}


async def test_another_workstation_cannot_release_nor_confirm_nor_tell_it_exists(box, tmp_path):
    await paired(box, tmp_path / "a", "Comptoir 1")
    await paired(box, tmp_path / "b", "Comptoir 2")
    async with BoxClient.from_directory(tmp_path / "a") as owner, \
            BoxClient.from_directory(tmp_path / "b") as other:
        sid = await claimed_session(box, owner)
        unknown = await error_of(other.release_invoice("se-0000000000000000", 1))
        assert (unknown["status"], unknown["code"]) == (404, "session_not_found")
        for number in (1, 2, 3):
            assert await error_of(other.release_invoice(sid, number, "cancelled")) == unknown
            assert await error_of(other.confirm_invoice(sid, number)) == unknown
        view = await owner.session(sid)
        assert (view["invoices_used"], view["invoices"]) == (
            1, [{"invoice": 1, "state": "claimed", "reason": None}])


@pytest.mark.parametrize("body", [
    {"reason": "La patiente Mme MARTIN-TEST a changé d'avis"},
    {"reason": NIR},
    {"reason": "x" * 100_000},
    {"reason": 3},
    {"reason": None},
    {},
    {"reason": "other", "comment": "MARTIN-TEST"},
    ["other"],
])
async def test_a_release_reason_is_one_of_a_closed_list_and_nothing_else_is_journaled(
        box, tmp_path, body):
    await paired(box, tmp_path / "a")
    async with BoxClient.from_directory(tmp_path / "a") as client:
        sid = await claimed_session(box, client)
        answer = await client._http.post(f"/v1/apcv/sessions/{sid}/invoices/1/release",
                                         json=body)
        assert (answer.status_code, answer.json()["error"]) in {(400, "bad_request"),
                                                                (413, "payload_too_large")}
        assert (await client.session(sid))["invoices"][0]["state"] == "claimed"
        entries = await client.audit(limit=1000)
        release = [e for e in entries if e["action"].endswith("/release")]
        assert [(e["status"], e["detail"]) for e in release] == [(answer.status_code, None)]
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("audit.db*"))
    for text in (b"MARTIN", NIR.encode(), b"x" * 64):
        assert text not in stored


@pytest.mark.parametrize("number", ["0", "-1", "17", "1e3", "01x", "99999999999999999999",
                                    "%E2%91%A0", "%EF%BC%92", "+1", " 1"])
async def test_an_invoice_number_is_one_the_session_gave_out(box, tmp_path, number):
    await paired(box, tmp_path / "a")
    async with BoxClient.from_directory(tmp_path / "a") as client:
        sid = await claimed_session(box, client)
        for action, body in (("release", {"reason": "other"}), ("confirm", {})):
            answer = await client._http.post(f"/v1/apcv/sessions/{sid}/invoices/{number}/{action}",
                                             json=body)
            # Not a number a session gives (1 to 16): refused, naming the parameter.
            assert answer.status_code == 400, number
            assert answer.json()["error"] == "bad_request"
            assert answer.json()["details"] == {"parameter": "invoice", "type": "integer",
                                                "minimum": 1, "maximum": 16}
            # One it could give, but did not: not found.
            answer = await client._http.post(f"/v1/apcv/sessions/{sid}/invoices/2/{action}",
                                             json=body)
            assert (answer.status_code, answer.json()["error"]) == (404, "invoice_not_found")
        assert (await client.session(sid))["invoices"][0]["state"] == "claimed"
