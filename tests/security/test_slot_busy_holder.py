"""``slot_busy`` names the slot's holder to admin workstations only (issue 16, 8).

Who holds a slot is useful at the counter ("the back office has the CPS"), but a paired
workstation gone bad would learn from it which other workstations use the box and when,
and their client ids (the key to their offline journal records). Admins already see every
client (``GET /v1/clients``): they get the holder's name and id; any other workstation gets
the slot and how long until it is free, nothing about who holds it.

The real daemon in the test process, on loopback, with real mutual TLS; the slot is put in
the box through the core, as a reader backend would (no pcscd needed).
"""

from __future__ import annotations

import pytest

from borne.client import BoxClient
from borne.error_catalogue import MESSAGES
from borne.readers.base import SlotInfo

from support.box import paired, running_box


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        daemon.core.reader_attached(SlotInfo("sec-0", "Security reader 0", "contact", "sim"))
        yield daemon


async def test_slot_busy_names_the_holder_to_admins_only(box, tmp_path):
    holder = await paired(box, tmp_path / "holder", "Comptoir Secret")
    await paired(box, tmp_path / "other", "Comptoir 2")
    await paired(box, tmp_path / "admin", "Poste admin", admin=True)
    async with BoxClient.from_directory(tmp_path / "holder") as one, \
            BoxClient.from_directory(tmp_path / "other") as other, \
            BoxClient.from_directory(tmp_path / "admin") as admin:
        taken = await one._http.post("/v1/slots/sec-0/lease", json={"seconds": 30})
        assert taken.status_code == 201
        refused = await other._http.post("/v1/slots/sec-0/lease", json={"seconds": 30})
        assert (refused.status_code, refused.json()["error"]) == (409, "slot_busy")
        assert set(refused.json()["details"]) == {"slot", "until_s"}
        assert 0 < refused.json()["details"]["until_s"] <= 30
        assert refused.json()["message"] == MESSAGES["slot_busy"].fr
        assert "Secret" not in refused.text and holder.client_id not in refused.text
        told = await admin._http.post("/v1/slots/sec-0/lease", json={"seconds": 30})
        assert (told.status_code, told.json()["error"]) == (409, "slot_busy")
        assert told.json()["details"]["holder"] == "Comptoir Secret"
        assert told.json()["details"]["client_id"] == holder.client_id
