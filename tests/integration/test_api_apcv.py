"""apCV presentations, sessions and invoice claims through the API, over mutual TLS.

Captures enter through the service's capture interface (what every input backend
calls); the QR and NFC inputs themselves are tested through their real decoders
and drivers in test_camera_images.py, test_nfc_udp.py and test_apcv_inputs.py.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from borne.client import BoxClient, BoxError
from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles

from support.box import paired, running_box, url
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

TOKEN = b"BORNE-SIM-APCV/1 " + bytes(range(80))  # the simulator's own token, binary inside


@pytest.fixture
async def box(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as daemon:
        yield daemon


def present(box, payload: bytes = TOKEN, channel: str = "qr_camera") -> None:
    box.apcv.payload_captured(channel, payload, time.monotonic_ns())


async def presented(box, client: BoxClient, payload: bytes = TOKEN) -> str:
    events = client.events(after=box.bus.last_seq)
    present(box, payload)
    event = await wait_event(events, "apcv.presented")
    await events.aclose()
    return event.data["presentation_id"]


async def insert_and_wait(box, card_slots, slot: int, card: str, client: BoxClient) -> None:
    events = client.events(after=box.bus.last_seq)
    card_slots.insert(slot, card)
    await wait_event(events, "card.decoded")
    await events.aclose()


@pytest.mark.parametrize(("cps", "answers"), [
    ("cps-pharmacist", [201, 201, 409]),
    ("cps-doctor", [201, 409]),
])
async def test_done_when_flow_quota_by_profession(box, tmp_path, card_slots, cps, answers):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        await insert_and_wait(box, card_slots, 1, cps, client)
        presentation_id = await presented(box, client)
        fetched = await client.presentation(presentation_id)
        assert fetched["payload"] == TOKEN and fetched["channel"] == "qr_camera"
        with pytest.raises(BoxError) as again:
            await client.presentation(presentation_id)
        assert (again.value.status, again.value.code) == (409, "presentation_already_fetched")
        session = await client.open_session(presentation_id)
        profession = "pharmacist" if cps == "cps-pharmacist" else "doctor"
        assert (session["profession"], session["invoices_allowed"]) == (profession,
                                                                       len(answers) - 1)
        http = client._http
        got = [(await http.post(f"/v1/apcv/sessions/{session['id']}/invoices")).status_code
               for _ in answers]
        assert got == answers
        last = await http.post(f"/v1/apcv/sessions/{session['id']}/invoices")
        assert last.json()["error"] == "reauthentication_required"
        view = await client.session(session["id"])
        assert (view["state"], view["invoices_used"]) == ("exhausted", len(answers) - 1)


async def insert_real_like_cps(box, card_slots, client: BoxClient) -> None:
    """A CPS that does not give its profession (its certificate is where a real card keeps
    it, not public): decoded as a CPS with ``profession`` null."""
    events = client.events(after=box.bus.last_seq)
    await asyncio.to_thread(card_slots.insert_factory, 1,
                            "support.faulty_cards:cps_without_certificate")
    decoded = await wait_event(events, "card.decoded")
    await events.aclose()
    assert (decoded.data["type"], decoded.data["profession"]) == ("cps", None)


async def claims(client: BoxClient, session_id: str, count: int) -> list[int]:
    return [(await client._http.post(f"/v1/apcv/sessions/{session_id}/invoices")).status_code
            for _ in range(count)]


@pytest.mark.parametrize(("site", "answers", "source", "profession"), [
    ("21", [201, 201, 409], "site", "pharmacist"),   # the pharmacy's box says pharmacist
    (None, [201, 409, 409], "default", None),        # nobody says: 1 invoice
])
async def test_a_cps_without_its_profession_takes_the_sites(tmp_path, sim_pcscd, card_slots,
                                                            site, answers, source, profession):
    policy = {"site_profession": site} if site else {}
    async with running_box(tmp_path, apcv=policy) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            await insert_real_like_cps(box, card_slots, client)
            presentation_id = await presented(box, client)
            await client.presentation(presentation_id)
            events = client.events(after=box.bus.last_seq)
            session = await client.open_session(presentation_id)
            opened = await wait_event(events, "apcv.session.opened")
            await events.aclose()
            assert (opened.data["quota_source"], opened.data["profession"]) == (source, profession)
            assert (session["quota_source"], session["profession"]) == (source, profession)
            assert await claims(client, session["id"], 3) == answers
            view = await client.session(session["id"])
            assert (view["quota_source"], view["invoices_used"]) == (source, answers.count(201))


async def test_a_cps_that_says_its_profession_wins_over_the_site(tmp_path, sim_pcscd,
                                                                 card_slots):
    async with running_box(tmp_path, apcv={"site_profession": "21"}) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            await insert_and_wait(box, card_slots, 1, "cps-doctor", client)
            presentation_id = await presented(box, client)
            await client.presentation(presentation_id)
            session = await client.open_session(presentation_id)
            assert (session["quota_source"], session["profession"]) == ("card", "doctor")
            assert await claims(client, session["id"], 2) == [201, 409]


async def test_a_second_client_cannot_fetch_nor_use_anothers_presentation(box, tmp_path,
                                                                          card_slots):
    await paired(box, tmp_path / "a", "Comptoir 1")
    await paired(box, tmp_path / "b", "Comptoir 2")
    async with BoxClient.from_directory(tmp_path / "a") as first, \
            BoxClient.from_directory(tmp_path / "b") as second:
        await insert_and_wait(box, card_slots, 1, "cps-nurse", first)
        presentation_id = await presented(box, first)
        await first.presentation(presentation_id)
        with pytest.raises(BoxError) as refused:
            await second.presentation(presentation_id)
        assert (refused.value.status, refused.value.code) == (409, "presentation_taken")
        with pytest.raises(BoxError) as refused:
            await second.open_session(presentation_id)
        # The truth, as the docs say it: another workstation fetched it (not which one).
        assert (refused.value.status, refused.value.code) == (409, "presentation_taken")
        assert refused.value.details == {}
        assert "autre poste" in refused.value.message
        with pytest.raises(BoxError) as refused:
            await first.presentation(presentation_id)
        assert (refused.value.status, refused.value.code) == (409, "presentation_already_fetched")
        session = await first.open_session(presentation_id)
        with pytest.raises(BoxError) as refused:
            await first.open_session(presentation_id)
        assert (refused.value.status, refused.value.code) == (409, "presentation_used")
        with pytest.raises(BoxError) as refused:
            await second.claim_invoice(session["id"])
        assert (refused.value.status, refused.value.code) == (404, "session_not_found")
        assert await first.claim_invoice(session["id"]) == 1


async def test_no_cps_no_session(box, tmp_path):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        presentation_id = await presented(box, client)
        with pytest.raises(BoxError) as refused:
            await client.open_session(presentation_id)
        assert refused.value.code == "presentation_not_fetched"
        await client.presentation(presentation_id)
        response = await client._http.post("/v1/apcv/sessions",
                                            json={"presentation_id": presentation_id},
                                            headers={"Accept-Language": "en"})
        assert response.status_code == 409
        assert response.json() == {"error": "no_cps", "message": "Insert your CPS card",
                                   "details": {}}


async def test_racing_claims_for_the_last_invoice_exactly_one_wins(box, tmp_path, card_slots):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        await insert_and_wait(box, card_slots, 1, "cps-doctor", client)
        presentation_id = await presented(box, client)
        await client.presentation(presentation_id)
        session = await client.open_session(presentation_id)
        context = mtls_context(WorkstationFiles(tmp_path / "ws"))
        clients = [httpx.AsyncClient(verify=context, base_url=url(box)) for _ in range(8)]
        try:
            answers = await asyncio.gather(*(
                c.post(f"/v1/apcv/sessions/{session['id']}/invoices") for c in clients))
        finally:
            for c in clients:
                await c.aclose()
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * 7
        assert [a.json()["invoice"] for a in answers if a.status_code == 201] == [1]


async def test_bad_requests_get_stable_codes(box, tmp_path):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        http = client._http
        for body, code in ((b"not json", "bad_request"), (b"[]", "bad_request"),
                           (b'{"presentation_id": 5}', "bad_request"),
                           (b'{"presentation_id": "' + b"x" * 100 + b'"}', "bad_request"),
                           (b'{"presentation_id": "ap-nope"}', "presentation_not_found")):
            response = await http.post("/v1/apcv/sessions", content=body,
                                       headers={"Content-Type": "application/json"})
            assert response.json()["error"] == code, body
        assert (await http.get("/v1/apcv/presentations/ap-nope")).status_code == 404
        assert (await http.post("/v1/apcv/sessions/se-nope/invoices")).status_code == 404


async def test_unfetched_presentation_is_forgotten_with_an_event(tmp_path, sim_pcscd,
                                                                 card_slots):
    async with running_box(tmp_path, apcv={"presentation_ttl_s": 0.5}) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            events = client.events(after=box.bus.last_seq)
            present(box)
            first = await wait_event(events, "apcv.presented")
            forgotten = await wait_event(events, "apcv.presentation.expired")
            assert forgotten.data["presentation_id"] == first.data["presentation_id"]
            with pytest.raises(BoxError) as refused:
                await client.presentation(first.data["presentation_id"])
            assert refused.value.code == "presentation_not_found"


async def test_claim_after_the_session_time_is_410_and_the_expiry_is_announced(
        tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path, apcv={"session_seconds": 1.0}) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            await insert_and_wait(box, card_slots, 1, "cps-pharmacist", client)
            presentation_id = await presented(box, client)
            await client.presentation(presentation_id)
            events = client.events(after=box.bus.last_seq)
            session = await client.open_session(presentation_id)
            assert (await wait_event(events, "apcv.session.opened")).data["session_id"] \
                == session["id"]
            assert await client.claim_invoice(session["id"]) == 1
            expired = await wait_event(events, "apcv.session.expired")
            assert expired.data == {"session_id": session["id"], "invoices_used": 1}
            response = await client._http.post(f"/v1/apcv/sessions/{session['id']}/invoices")
            assert (response.status_code, response.json()["error"]) == (410, "session_expired")
            assert (await client.session(session["id"]))["state"] == "expired"


async def test_camera_scan_on_demand_through_the_api(tmp_path, sim_pcscd, card_slots):
    from borne.sim.presenter import sim_apcv_token
    from borne.sim.qr_frames import render_qr_frame

    camera = tmp_path / "camera"
    camera.mkdir()
    async with running_box(tmp_path, readers={"camera": f"images:{camera}"},
                           camera={"scan": "on_demand", "fps": 20.0}) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            events = client.events(after=box.bus.last_seq)
            frame = render_qr_frame(sim_apcv_token())
            frame.save(camera / "phone.png")
            await asyncio.sleep(0.5)
            assert box.apcv.presentations.waiting() == 0  # not scanning: nothing seen
            response = await client._http.post("/v1/camera/scan", json={"on": True})
            assert response.json() == {"scanning": True}
            presented = await wait_event(events, "apcv.presented")
            assert presented.data["channel"] == "qr_camera"
            bad = await client._http.post("/v1/camera/scan", json={"on": "yes"})
            assert bad.json()["error"] == "bad_request"


async def test_camera_scan_without_a_camera_is_404(box, tmp_path):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        response = await client._http.post("/v1/camera/scan", json={"on": True})
        assert (response.status_code, response.json()["error"]) == (404, "no_camera")
