"""The public profession and card-kind code tables of the ANS, as data.

Every table below is copied from the ANS's own machine-readable release of its
nomenclatures (the "NOS"), and each says where. Nothing here is read from a
card: :mod:`borne.readers.cards.cps` decodes a code where the card's layout is
known and looks it up here; the apCV quota and the site setting use the same keys.

============================  =====================================================
Table                         Source
============================  =====================================================
:data:`PROFESSIONS`           TRE_G15-ProfessionSante, OID ``1.2.250.1.71.1.2.7``
:data:`TRAINING_PROFESSIONS`  TRE_G16-ProfessionFormation, OID ``1.2.250.1.71.1.2.8``
:data:`CARD_KINDS`            TRE_R87-TypeCarte, OID ``1.2.250.1.213.1.6.1.106``
============================  =====================================================

The three come from the ANS repository ``ansforge/IG-NOS``, files
``ig/allNos2/CodeSystem-TRE-G15-ProfessionSante.json`` (CodeSystem version
0.1.0, dated 2021-12-17), ``...-TRE-G16-ProfessionFormation.json`` (0.1.0,
2020-04-24) and ``...-TRE-R87-TypeCarte.json`` (0.1.0, 2020-04-24), at commit
``b8b0cc32cc5e1471d417d6d3a3dd17bfb0fce3e9``; published as the "Nomenclatures des
objets de santé" FHIR guide, e.g.
``https://interop.esante.gouv.fr/ig/nos/1.2.0/CodeSystem-TRE-G15-ProfessionSante.html``
(release 1.2.0, 2023-12-15, same codes). The value set
``JDV_J229-ProfessionSante-ROR`` (OID ``1.2.250.1.213.3.4.61``, version
20230703120000) lists the same TRE_G15 codes but 93 (see below).

The labels are the ANS's own ``display`` texts. The stable keys are ours: plain
English, never renamed (the screen, the API and the apCV quota table use them).
TRE_G15 has no code 97: "97 Conseiller en génétique" belongs to another table
(TRE_R95-UsagerTitre, a non-health profession title) and is not a CPS profession.
"""

from __future__ import annotations

__all__ = ["CARD_KINDS", "PROFESSIONS", "TRAINING_PROFESSIONS", "profession_for",
           "training_profession_for"]

#: TRE_G15-ProfessionSante code → (stable key, ANS label), in the ANS's order.
PROFESSIONS: dict[str, tuple[str, str]] = {
    "10": ("doctor", "Médecin"),
    "21": ("pharmacist", "Pharmacien"),
    "26": ("hearing_aid_specialist", "Audioprothésiste"),
    "28": ("optician", "Opticien-Lunetier"),
    "31": ("dental_assistant", "Assistant dentaire"),
    "32": ("medical_physicist", "Physicien médical"),
    "35": ("nursing_assistant", "Aide-soignant"),
    "36": ("ambulance_technician", "Ambulancier"),
    "37": ("childcare_assistant", "Auxiliaire de puériculture"),
    "38": ("hospital_pharmacy_technician", "Préparateur en pharmacie hospitalière"),
    "39": ("pharmacy_technician", "Préparateur en pharmacie"),
    "40": ("dentist", "Chirurgien-Dentiste"),
    "50": ("midwife", "Sage-Femme"),
    "60": ("nurse", "Infirmier"),
    "69": ("psychiatric_nurse", "Infirmier psychiatrique"),
    "70": ("physiotherapist", "Masseur-Kinésithérapeute"),
    "80": ("podiatrist", "Pédicure-Podologue"),
    "81": ("prosthetist", "Orthoprothésiste"),
    "82": ("podiatric_orthotist", "Podo-Orthésiste"),
    "83": ("orthotist", "Orthopédiste-Orthésiste"),
    "84": ("ocularist", "Oculariste"),
    "85": ("epithesist", "Epithésiste"),
    "86": ("medical_laboratory_technician", "Technicien de labo médical"),
    "91": ("speech_therapist", "Orthophoniste"),
    "92": ("orthoptist", "Orthoptiste"),
    # Created in 2021 already closed (its dateFin is its creation date) so that the
    # applications' value sets leave it out, but "deversé dans la liste de codes
    # DICO ... comprise dans la distribution des cryptolibs" (the ANS's own note on
    # the code): psychologists' CPS cards can carry it.
    "93": ("psychologist", "Psychologue"),
    "94": ("occupational_therapist", "Ergothérapeute"),
    "95": ("dietitian", "Diététicien"),
    "96": ("psychomotor_therapist", "Psychomotricien"),
    "98": ("radiographer", "Manipulateur ERM"),
}

#: TRE_G16-ProfessionFormation ("Professions en formation (carte CPF)") code →
#: (stable key, ANS label). Its codes reuse TRE_G15's numbers: on a CPF, "21" is a
#: pharmacist in training, not a pharmacist.
TRAINING_PROFESSIONS: dict[str, tuple[str, str]] = {
    "10": ("doctor_in_training", "Médecin en formation"),
    "21": ("pharmacist_in_training", "Pharmacien en formation"),
    "40": ("dentist_in_training", "Chirurgien-Dentiste en formation"),
    "50": ("midwife_in_training", "Sage-Femme en formation"),
}

#: TRE_R87-TypeCarte: the kinds of CPx card, code → ANS label.
CARD_KINDS: dict[str, str] = {
    "CPA": "Carte de Personnel Autorisé (CDA/CPA)",
    "CPE": "Carte de Personnel d'Etablissement de santé (CDE/CPE)",
    "CPF": "Carte de Professionnel de Santé en Formation (CPF)",
    "CPS": "Carte de Professionnel de Santé (CPS)",
}


def profession_for(code: str | None) -> tuple[str | None, str | None]:
    """(stable key, label) of a TRE_G15 profession code; (None, None) if unknown."""
    return PROFESSIONS.get(code or "", (None, None))


def training_profession_for(code: str | None) -> tuple[str | None, str | None]:
    """(stable key, label) of a TRE_G16 code (a CPF's profession); (None, None) if unknown."""
    return TRAINING_PROFESSIONS.get(code or "", (None, None))
