"""The apCV over a contactless PC/SC slot: pcscd + vpcd + a virtual phone card process."""

from __future__ import annotations

import pytest

from borne.client import BoxClient
from borne.readers.nfc.apcv_script import split_presentation

from support.box import paired, running_box
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

CONTACTLESS = 2  # "Borne Sim CL 00 00"
TOKEN = b"BORNE-SIM-APCV/1 " + bytes(range(256)) + bytes(range(100))  # over one 256-byte chunk


@pytest.fixture
async def box(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def test_a_phone_on_the_contactless_slot_is_an_apcv_presentation(box, tmp_path,
                                                                       card_slots):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        events = client.events(after=box.bus.last_seq)
        card_slots.insert_factory(CONTACTLESS, "borne.sim.phone_card:PhoneCard",
                                  payload_hex=TOKEN.hex())
        presented = await wait_event(events, "apcv.presented")
        assert presented.data["channel"] == "pcsc_contactless"
        fetched = await client.presentation(presented.data["presentation_id"])
        # The framed answers of the configured script: one command, one answer.
        assert split_presentation(fetched["payload"]) == [TOKEN]
        slot = [r for r in await client.readers() if r["kind"] == "contactless"][0]
        assert (slot["state"], slot["card"]) == ("phone", None)


async def test_a_phone_taken_away_mid_exchange_is_a_clean_error(box, tmp_path, card_slots):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        events = client.events(after=box.bus.last_seq)
        card_slots.insert_factory(CONTACTLESS, "borne.sim.phone_card:PhoneCard",
                                  payload_hex=TOKEN.hex(), behaviour="leave_mid_exchange")
        error = await wait_event(events, "card.error")
        assert error.data["code"] == "nfc_target_lost"
        card_slots.remove(CONTACTLESS, wait=True)
        card_slots.insert_factory(CONTACTLESS, "borne.sim.phone_card:PhoneCard",
                                  payload_hex=TOKEN.hex())
        assert (await wait_event(events, "apcv.presented")).data["channel"] == "pcsc_contactless"


async def test_a_card_without_the_apcv_application_is_read_as_a_card(box, tmp_path, card_slots):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        events = client.events(after=box.bus.last_seq)
        card_slots.insert_factory(CONTACTLESS, "borne.sim.phone_card:PhoneCard",
                                  payload_hex=TOKEN.hex(), behaviour="wrong_aid")
        decoded = await wait_event(events, "card.decoded")
        assert decoded.data["type"] == "unknown"
        assert box.apcv.presentations.waiting() == 0
