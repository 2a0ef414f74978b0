"""read_card end to end: every bundled test card, and the classification rules."""

from __future__ import annotations

import sys
import subprocess

import pytest

from borne.errors import CardError
from borne.readers.cards import read_card
from borne.readers.cards.model import CpsCard, UnknownCard, Vitale1Card, VitaleCard
from borne.readers.cards.script import drive
from borne.sim.cards import CARD_NAMES, load_card
from borne.vpcd.responder import CardPulled

H = bytes.fromhex


def read(name: str):  # type: ignore[no-untyped-def]
    chip = load_card(name)
    return drive(read_card(chip.atr, atr_names=lambda atr: ("named",)), chip.respond)


def test_every_card_is_bundled() -> None:
    assert set(CARD_NAMES) >= {
        "cps-pharmacist", "cps-nurse", "cps-doctor", "vitale-single", "vitale-family",
        "vitale-badkey", "vitale1", "unknown", "garbage",
    }


@pytest.mark.parametrize(
    ("name", "generation", "serial", "holder", "profession", "code"),
    [
        ("cps-pharmacist", "CPS3", "10000021", ("DURAND-TEST", "PAUL", "899900000021"), "pharmacist", "21"),
        ("cps-nurse", "CPS4", "10000060", ("PETIT-TEST", "SOPHIE", "899900000060"), "nurse", "60"),
        ("cps-doctor", "CPS3", "10000010", ("ROUX-TEST", "HELENE", "899900000010"), "doctor", "10"),
    ],
)
def test_cps_cards(name, generation, serial, holder, profession, code) -> None:  # type: ignore[no-untyped-def]
    card = read(name)
    assert isinstance(card, CpsCard)
    assert (card.generation, card.serial, card.profession, card.profession_code) == (generation, serial, profession, code)
    assert card.holder is not None
    assert (card.holder.surname, card.holder.first_name, card.holder.identifier) == holder


@pytest.mark.parametrize(("name", "kind", "profession"), [
    ("cps-pharmacist", "CPS", "pharmacist"),
    ("cps-establishment", "CPE", None),  # establishment staff: no TRE_G15 profession
    ("cps-student", "CPF", "pharmacist_in_training"),
    ("cps-doctor", None, "doctor"),  # the certificate does not say: null, not "CPS"
])
def test_cps_kinds(name, kind, profession) -> None:  # type: ignore[no-untyped-def]
    card = read(name)
    assert isinstance(card, CpsCard)
    assert (card.kind, card.profession) == (kind, profession)


def test_vitale_single() -> None:
    card = read("vitale-single")
    assert isinstance(card, VitaleCard)
    assert [b.to_dict() for b in card.beneficiaries] == [
        {"surname": "MARTIN-TEST", "first_name": "ALICE", "birth_date": "1985-04-12", "birth_date_lunar": False,
         "nir": "285047505612322", "nir_key_valid": True, "nir_kind": "nir"}
    ]


def test_vitale_family() -> None:
    card = read("vitale-family")
    assert isinstance(card, VitaleCard)
    got = [(b.first_name, b.birth_date, b.birth_date_lunar, b.nir, b.nir_key_valid, b.nir_kind) for b in card.beneficiaries]
    assert got == [
        ("JEAN", "1978-11-03", False, "178112B00401746", True, "nir"),  # born in Corsica (2B)
        ("LOUISE", "2015-06-00", True, "115061305532193", True, "nir"),
        ("MAI", "1985-10-14", False, "785109912604214", True, "nia"),
    ]


def test_vitale_gaps_reads_what_is_there_with_warnings() -> None:
    card = read("vitale-gaps")
    assert isinstance(card, VitaleCard)
    assert [(b.first_name, b.nir) for b in card.beneficiaries] == [("LUC", "162077505612383"), (None, None)]
    assert [w.to_dict() for w in card.warnings] == [
        {"code": "beneficiary_count_mismatch", "beneficiary": None, "field": None},
        {"code": "field_missing", "beneficiary": 1, "field": "first_name"},
        {"code": "field_missing", "beneficiary": 1, "field": "nir"},
    ]


def test_vitale_badkey_reported_not_corrected() -> None:
    card = read("vitale-badkey")
    assert isinstance(card, VitaleCard)
    (b,) = card.beneficiaries
    assert (b.nir, b.nir_key_valid) == ("295109912611199", False)


def test_vitale1_sends_no_apdu() -> None:
    chip = load_card("vitale1")
    card = drive(read_card(chip.atr), chip.respond)
    assert card == Vitale1Card(atr=H("3F65250052096A9000"))
    assert chip.apdus == []  # type: ignore[attr-defined]


def test_unknown_card_is_named() -> None:
    card = read("unknown")
    assert card == UnknownCard(atr=H("3B8F8001804F0CA000000306030001000000006A"), names=("named",))


def test_garbage_after_accepting_vitale_is_data_invalid() -> None:
    with pytest.raises(CardError) as err:
        read("garbage")
    assert err.value.code == "card_data_invalid"


def test_card_refusing_mf_is_unknown() -> None:
    card = drive(read_card(H("3B0200"), atr_names=lambda a: ()), lambda apdu: H("6A82"))
    assert card == UnknownCard(atr=H("3B0200"), names=())


def test_card_with_mf_but_no_vitale_app_is_unknown() -> None:
    answers = iter(["9000", "6A82", "6A82"])
    card = drive(read_card(H("3B0200"), atr_names=lambda a: ()), lambda apdu: H(next(answers)))
    assert isinstance(card, UnknownCard)


def test_one_byte_answer_is_protocol_error() -> None:
    with pytest.raises(CardError) as err:
        drive(read_card(H("3B0200")), lambda apdu: b"\x90")
    assert err.value.code == "card_protocol_error"


def test_pulled_card_propagates() -> None:
    chip = load_card("vitale-family")
    chip.pull_after = 3  # type: ignore[attr-defined]
    with pytest.raises(CardPulled):
        drive(read_card(chip.atr), chip.respond)


def test_import_is_cheap() -> None:
    code = "import sys, borne.readers.cards; print(sorted(m for m in sys.modules if m.startswith(('cryptography', 'smartcard'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
