"""The core state: observations in, state and identity-free events out."""

from __future__ import annotations

import asyncio
import json

from borne.cli.status_view import render_status
from borne.runtime.clock import Clock
from borne.core import Core
from borne.events import EventBus
from borne.readers.base import SlotInfo, slot_id_for
from borne.readers.cards.model import (Beneficiary, CpsCard, CpsHolder, UnknownCard, VitaleCard)

VITALE = VitaleCard(
    atr=bytes.fromhex("3B7513000047 09EA9000".replace(" ", "")),
    beneficiaries=(
        Beneficiary("MARTIN-TEST", "JEANNE", "1980-02-01", "280027512345613", True),
        Beneficiary("MARTIN-TEST", "PAUL", "2012-00-00", "112092A00100199", False,
                    birth_date_lunar=True),
    ),
)
CPS = CpsCard(atr=b"\x3b\xac", generation="CPS3", serial="8025000001000123",
              holder=CpsHolder("DUPONT-TEST", "ALICE", "810000000001"), profession="pharmacist",
              profession_code="21", profession_label="Pharmacien")


def make_core() -> tuple[Core, list]:
    bus = EventBus(Clock())
    seen: list = []
    bus.add_listener(seen.append)
    return Core(bus, Clock()), seen


def test_slot_ids_are_stable_slugs():
    assert slot_id_for("Borne Sim 00 00") == "borne-sim-00-00"
    assert slot_id_for("Kapelse KAP-Move (0123) 00 02") == "kapelse-kap-move-0123-00-02"


def test_a_card_lifecycle_and_events_without_identity():
    core, seen = make_core()
    slot = SlotInfo("borne-sim-00-00", "Borne Sim 00 00", "contact", "pcsc")
    core.device_state("pcsc", "available")
    core.reader_attached(slot)
    core.card_inserted(slot.id, VITALE.atr, 1)
    assert core.snapshot(identity=True)["readers"][0]["state"] == "reading"
    core.card_decoded(slot.id, VITALE, 1)
    full = core.snapshot(identity=True)["readers"][0]
    assert full["state"] == "decoded"
    assert full["card"]["beneficiaries"][1]["nir_key_valid"] is False
    assert core.snapshot(identity=False)["readers"][0]["card"] == {"type": "vitale", "beneficiaries": 2}
    core.card_removed(slot.id, 2)
    assert core.card(slot.id) is None
    assert [e.type for e in seen] == ["device.state", "reader.attached", "card.inserted",
                                      "card.decoded", "card.removed"]
    dumped = json.dumps([e.to_dict() for e in seen])
    for secret in ("MARTIN", "JEANNE", "2800275", "1980-02-01"):
        assert secret not in dumped


def test_device_state_published_only_on_change():
    core, seen = make_core()
    core.device_state("pcsc", "unavailable", "x")
    core.device_state("pcsc", "unavailable", "y")
    core.device_state("pcsc", "available")
    assert [e.data.state for e in seen] == ["unavailable", "available"]


def test_errors_are_kept_with_their_code_and_message():
    core, _ = make_core()
    slot = SlotInfo("s", "S", "contact", "pcsc")
    core.reader_attached(slot)
    core.card_inserted("s", b"\x3b", 1)
    core.card_error("s", "card_removed", 2)
    reader = core.snapshot(identity=True)["readers"][0]
    assert reader["state"] == "error"
    assert reader["error"] == {"code": "card_removed", "message": "Carte retirée pendant la lecture"}


async def test_grace_keeps_the_card_briefly_after_removal():
    bus = EventBus(Clock())
    core = Core(bus, Clock(), card_grace_s=0.05)
    core.reader_attached(SlotInfo("s", "S", "contact", "pcsc"))
    core.card_inserted("s", b"\x3b", 1)
    core.card_decoded("s", VITALE, 1)
    core.card_removed("s", 2)
    assert core.card("s") is VITALE
    await asyncio.sleep(0.1)
    assert core.card("s") is None


def test_events_for_unknown_slots_are_ignored():
    core, seen = make_core()
    core.card_inserted("ghost", b"\x3b", 1)
    core.card_decoded("ghost", VITALE, 1)
    core.reader_detached("ghost")
    assert seen == []


def test_status_table_shows_cards_and_invalid_keys():
    core, _ = make_core()
    for name, card in (("Borne Sim 00 00", VITALE), ("Borne Sim 00 01", CPS),
                       ("Borne Sim CL 00 00", UnknownCard(b"\x3b\x00", ("Some card",)))):
        slot = SlotInfo(slot_id_for(name), name, "contact", "pcsc")
        core.reader_attached(slot)
        core.card_inserted(slot.id, card.atr, 1)
        core.card_decoded(slot.id, card, 1)
    text = render_status(core.snapshot(identity=True), "fr")
    assert "carte Vitale 2: 2 bénéficiaire(s)" in text
    assert "NIR 112092A00100199 [NIR, CLÉ INVALIDE]" in text
    assert "date lunaire" in text
    assert "CPS3 Pharmacien" in text and "DUPONT-TEST ALICE" in text
    assert "carte inconnue ATR 3B 00" in text
    english = render_status(core.snapshot(identity=True), "en")
    assert "INVALID KEY" in english and "beneficiary(ies)" in english
