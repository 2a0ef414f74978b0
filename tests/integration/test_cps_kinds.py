"""A CPE, a CPF and a card that does not say its kind, read through the real path (virtual
card processes, the tests' pcscd, the daemon, the mTLS API): each is served with the kind it
gives, and the one that gives none with ``kind: null``, not "CPS"."""

from __future__ import annotations

import pytest

from borne.client import BoxClient

from support.box import paired, running_box
from support.contract import check
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd


async def test_each_card_kind_through_the_api(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            events = client.events(after=(await client.status())["last_event_seq"])
            for slot, name in ((0, "cps-establishment"), (1, "cps-student"), (3, "cps-doctor")):
                card_slots.insert(slot, name)
            slots = [(await wait_event(events, "card.decoded")).data["slot"] for _ in range(3)]
            await events.aclose()
            cards = {}
            for slot in slots:
                response = await client._http.get(f"/v1/readers/{slot}/card")
                check("GET", "/v1/readers/{slot_id}/card", response)
                card = response.json()
                cards[card["holder"]["surname"]] = card
    seen = {surname: (c["type"], c["kind"], c["profession"], c["profession_code"])
            for surname, c in cards.items()}
    assert seen == {
        "BLANC-TEST": ("cps", "CPE", None, None),
        "MOREAU-TEST": ("cps", "CPF", "pharmacist_in_training", "21"),  # TRE_G16's 21, not a pharmacist
        "ROUX-TEST": ("cps", None, "doctor", "10"),
    }
