"""What the new refusals of issue 15 tell a paired workstation gone bad, and what they do not.

- ``presentation_taken``: another workstation fetched the presentation; never which one (no
  id, no name in the details or the words).
- ``slot_leased_by_you`` gives the lease id to its holder only: another workstation asking
  for the slot gets ``slot_busy``, never the lease id (which would let it try the lease).
- An event stream's language is chosen by ``Accept-Language`` from two; whatever the header
  holds, an event's message is the catalogue's words, never text from the request.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``); the
presentation is captured through the service, as an input would.
"""

from __future__ import annotations

import time

import pytest

from borne.client import BoxClient, BoxError
from borne.error_catalogue import MESSAGES
from borne.readers.base import SlotInfo

from support.box import paired, running_box
from support.waiting import wait_event

TOKEN = b"BORNE-SIM-APCV/1 " + bytes(range(80))


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        daemon.core.reader_attached(SlotInfo("sec-0", "Security reader 0", "contact", "sim"))
        yield daemon


async def test_presentation_taken_does_not_say_who_took_it(box, tmp_path):
    first = await paired(box, tmp_path / "a", "Comptoir Secret")
    await paired(box, tmp_path / "b", "Comptoir 2")
    async with BoxClient.from_directory(tmp_path / "a") as a, \
            BoxClient.from_directory(tmp_path / "b") as b:
        events = b.events(after=box.bus.last_seq)
        box.apcv.payload_captured("qr_camera", TOKEN, time.monotonic_ns())
        presented = (await wait_event(events, "apcv.presented")).data["presentation_id"]
        await events.aclose()
        await a.presentation(presented)
        for call in (b.presentation(presented), b.open_session(presented)):
            with pytest.raises(BoxError) as refused:
                await call
            assert (refused.value.status, refused.value.code) == (409, "presentation_taken")
            assert refused.value.details == {}
            assert refused.value.message == MESSAGES["presentation_taken"].fr
            assert first.client_id not in refused.value.message
            assert "Secret" not in refused.value.message


async def test_only_the_holder_learns_its_lease_id(box, tmp_path):
    await paired(box, tmp_path / "a", "Comptoir 1")
    await paired(box, tmp_path / "b", "Comptoir 2")
    async with BoxClient.from_directory(tmp_path / "a") as a, \
            BoxClient.from_directory(tmp_path / "b") as b:
        lease = (await a._http.post("/v1/slots/sec-0/lease", json={"seconds": 30})).json()
        mine = await a._http.post("/v1/slots/sec-0/lease", json={"seconds": 30})
        assert mine.json()["details"]["lease_id"] == lease["lease_id"]
        theirs = await b._http.post("/v1/slots/sec-0/lease", json={"seconds": 30})
        assert (theirs.status_code, theirs.json()["error"]) == (409, "slot_busy")
        assert lease["lease_id"] not in theirs.text
        assert "lease_id" not in theirs.json()["details"]


@pytest.mark.parametrize("header", ["<script>alert(1)</script>", "en;q=abc, ** ,fr",
                                    "x" * 4000, "de-DE", ""])
async def test_a_streams_language_header_only_ever_picks_french_or_english(box, tmp_path,
                                                                           header):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        client._http.headers["Accept-Language"] = header
        events = client.events(after=box.bus.last_seq)
        box.core.card_error("sec-0", "card_unresponsive", time.monotonic_ns())
        failed = await wait_event(events, "card.error")
        await events.aclose()
    assert failed.data["message"] in (MESSAGES["card_unresponsive"].fr,
                                      MESSAGES["card_unresponsive"].en)
