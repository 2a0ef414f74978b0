"""A workstation on the USB port gets no more of the cards than a paired client (issue 18).

The USB host is a client of the box's APDU channel: a PC/SC program on the workstation (or
malware on it) must not spend a CPS's last PIN try without the person at the box, nor send a
PIN at all where ``[apdu] allow_pin_verification = false``; every command is journaled as the
USB host's, without its data. Its program sees status words (``6985``: kept try; ``6982``:
PIN commands forbidden), as through the bridge.

Everything is real: the daemon, a private pcscd with vpcd and the simulator's CPS (a card
process with a persistent try counter), a serial cable to a workstation's pcscd with
libccidtwin, and a PC/SC program there.
"""

from __future__ import annotations

import logging

import pytest

from borne.readers.base import slot_id_for

from support.usb_host import ask, decoded, usb_box
from support.waiting import until

pytestmark = pytest.mark.pcscd

WRONG = "002000010839393939FFFFFFFF"
ASK = "00200001"  # VERIFY without data: the tries left, none spent
PIN_BYTES = "39393939"


async def connected_to_the_cps(box, program, card_slots, sim_pcscd, *, insert: bool = True) -> str:
    if insert:
        card_slots.insert(0, "cps-pharmacist")
    slot_id = slot_id_for(sim_pcscd.slots[0].reader)
    await decoded(box, slot_id)
    await ask(program, "readers")
    assert (await ask(program, "wait", reader=0, present=True))["present"]
    assert "error" not in await ask(program, "connect", reader=0)
    return slot_id


def journal(box) -> list:
    return box.api_context.audit.entries(limit=1000, client_id="usb-host")


async def test_the_last_try_is_kept_for_the_person_at_the_box(tmp_path, sim_pcscd, card_slots,
                                                              caplog):
    caplog.set_level(logging.DEBUG)
    async with usb_box(tmp_path) as (box, host, program):
        await connected_to_the_cps(box, program, card_slots, sim_pcscd)
        answers = (await ask(program, "transmit", apdus=[ASK, WRONG, WRONG, WRONG, ASK]))["answers"]
        # 3 tries, two spent; the third wrong PIN never reaches the card.
        assert answers == ["63C3", "63C2", "63C1", "6985", "63C1"], answers
        await until(lambda: sum(e.action == "APDU" for e in journal(box)) >= 5)
        lines = [e.resource for e in journal(box)]
        assert any("pin_last_try_protected" in line or "ins=20" in line for line in lines)
        assert not any(PIN_BYTES in line.upper() for line in lines)
    assert PIN_BYTES not in caplog.text.upper().replace(" ", "")


async def test_no_pin_at_all_when_the_policy_forbids_it(tmp_path, sim_pcscd, card_slots):
    async with usb_box(tmp_path, apdu={"allow_pin_verification": False}) as (box, host, program):
        await connected_to_the_cps(box, program, card_slots, sim_pcscd)
        answers = (await ask(program, "transmit", apdus=[WRONG, "00A40000023F00"]))["answers"]
        assert answers == ["6982", "9000"]
        await until(lambda: sum(e.action == "APDU" for e in journal(box)) >= 2)
        refused = [e for e in journal(box) if e.action == "APDU" and "ins=20" in e.resource]
        assert refused and all(e.status != 200 for e in refused)
    async with usb_box(tmp_path / "again") as (box, host, program):
        # The card's counter was never touched: still 3 tries.
        await connected_to_the_cps(box, program, card_slots, sim_pcscd, insert=False)
        assert (await ask(program, "transmit", apdus=[ASK]))["answers"] == ["63C3"]
