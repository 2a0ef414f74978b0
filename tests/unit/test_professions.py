"""The ANS code tables (TRE_G15, TRE_G16, TRE_R87) as the box knows them."""

from __future__ import annotations

import re

import pytest

from borne.display import texts
from borne.readers.cards import cps, professions

#: Every code of TRE_G15-ProfessionSante, as the ANS lists them (CodeSystem 0.1.0,
#: ansforge/IG-NOS ig/allNos2/CodeSystem-TRE-G15-ProfessionSante.json).
ANS_TRE_G15 = ["10", "21", "26", "28", "31", "32", "35", "36", "37", "38", "39", "40", "50",
               "60", "69", "70", "80", "81", "82", "83", "84", "85", "86", "91", "92", "93",
               "94", "95", "96", "98"]


def test_the_table_is_the_ans_table_code_for_code() -> None:
    assert list(professions.PROFESSIONS) == ANS_TRE_G15


@pytest.mark.parametrize(("code", "key", "label"), [
    # The keys the box already used: never renamed (the quota table and the screen use them).
    ("10", "doctor", "Médecin"), ("21", "pharmacist", "Pharmacien"),
    ("26", "hearing_aid_specialist", "Audioprothésiste"), ("28", "optician", "Opticien-Lunetier"),
    ("40", "dentist", "Chirurgien-Dentiste"), ("50", "midwife", "Sage-Femme"),
    ("60", "nurse", "Infirmier"), ("70", "physiotherapist", "Masseur-Kinésithérapeute"),
    ("80", "podiatrist", "Pédicure-Podologue"), ("91", "speech_therapist", "Orthophoniste"),
    ("92", "orthoptist", "Orthoptiste"),
    # Codes the table lacked before.
    ("38", "hospital_pharmacy_technician", "Préparateur en pharmacie hospitalière"),
    ("39", "pharmacy_technician", "Préparateur en pharmacie"),
    ("69", "psychiatric_nurse", "Infirmier psychiatrique"),
    ("93", "psychologist", "Psychologue"), ("94", "occupational_therapist", "Ergothérapeute"),
    ("95", "dietitian", "Diététicien"), ("96", "psychomotor_therapist", "Psychomotricien"),
    ("98", "radiographer", "Manipulateur ERM"),
])
def test_codes(code: str, key: str, label: str) -> None:
    assert professions.profession_for(code) == (key, label)


@pytest.mark.parametrize("code", ["97", "99", "00", "", None, "021", " 21"])
def test_codes_not_in_tre_g15_are_unknown(code: str | None) -> None:
    # 97 is "Conseiller en génétique" in TRE_R95-UsagerTitre, not a TRE_G15 profession.
    assert professions.profession_for(code) == (None, None)


def test_cps_keeps_its_names_for_the_other_helpers() -> None:
    assert cps.profession_for is professions.profession_for
    assert cps.PROFESSIONS is professions.PROFESSIONS


def test_training_professions_are_apart() -> None:
    assert list(professions.TRAINING_PROFESSIONS) == ["10", "21", "40", "50"]
    assert professions.training_profession_for("21") == ("pharmacist_in_training",
                                                         "Pharmacien en formation")
    assert professions.training_profession_for("60") == (None, None)


def test_card_kinds_are_tre_r87() -> None:
    assert sorted(professions.CARD_KINDS) == ["CPA", "CPE", "CPF", "CPS"]


def test_keys_are_stable_words_unique_and_on_screen() -> None:
    keys = [key for key, _ in professions.PROFESSIONS.values()]
    keys += [key for key, _ in professions.TRAINING_PROFESSIONS.values()]
    assert len(keys) == len(set(keys))
    for key in keys:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", key), key
        for language in texts.LANGUAGES:
            assert texts.profession_label(key, language) != key, (key, language)
