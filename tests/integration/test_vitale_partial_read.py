"""A carte Vitale with a padded template, a missing field and a missing NIR, read through the
real path (a virtual card process, the tests' pcscd, the daemon, the mTLS API): what is there
is served, with warnings, as the public readers (cardpeek, Rufus) would read it."""

from __future__ import annotations

import json

import pytest

from borne.client import BoxClient

from support.box import paired, running_box
from support.contract import check
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

SLOT0 = "borne-sim-00-00"


async def test_a_card_with_gaps_reads_with_warnings_through_the_api(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            events = client.events(after=(await client.status())["last_event_seq"])
            card_slots.insert(0, "vitale-gaps")
            decoded = await wait_event(events, "card.decoded")
            await events.aclose()
            assert decoded.data["beneficiaries"] == 2
            response = await client._http.get(f"/v1/readers/{SLOT0}/card")
            check("GET", "/v1/readers/{slot_id}/card", response)  # the documented contract
            card = response.json()
    first, second = card["beneficiaries"]
    assert (first["first_name"], first["nir"], first["nir_key_valid"]) == ("LUC", "162077505612383", True)
    assert (second["surname"], second["first_name"], second["birth_date"]) == ("GARNIER-TEST", None, "2019-03-00")
    assert (second["nir"], second["nir_key_valid"], second["nir_kind"]) == (None, None, None)
    assert card["warnings"] == [
        {"code": "beneficiary_count_mismatch", "beneficiary": None, "field": None},
        {"code": "field_missing", "beneficiary": 1, "field": "first_name"},
        {"code": "field_missing", "beneficiary": 1, "field": "nir"},
    ]
    # The event says how many beneficiaries, nothing read from the card.
    assert "GARNIER" not in json.dumps(decoded.data)
