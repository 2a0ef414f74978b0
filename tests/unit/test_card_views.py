"""Cards read in part or of another kind: their JSON contract, and the words the CLI prints for them."""

from __future__ import annotations

import typing

import jsonschema

from borne.api.card_schemas import CARD_SCHEMAS
from borne.cli.client_journal import describe
from borne.cli.status_view import _card_lines
from borne.readers.cards.model import Beneficiary, VitaleCard, VitaleWarning, VitaleWarningCode

PARTIAL = VitaleCard(atr=b"\x3b\x75", beneficiaries=(
    Beneficiary("GARNIER-TEST", "LUC", "1962-07-09", "162077505612383", True),
    Beneficiary("GARNIER-TEST", None, "2019-03-00", None, None, None, True),
), warnings=(VitaleWarning("beneficiary_count_mismatch"), VitaleWarning("field_missing", 1, "first_name"),
             VitaleWarning("field_missing", 1, "nir")))


def _validate(name: str, body: object) -> None:
    # The refs are "#/components/schemas/...": resolved against a document holding them.
    schema = {"components": {"schemas": CARD_SCHEMAS}, **CARD_SCHEMAS[name]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_the_schema_knows_every_warning_code() -> None:
    assert CARD_SCHEMAS["VitaleWarning"]["properties"]["code"]["enum"] == list(typing.get_args(VitaleWarningCode))


def test_a_partial_card_matches_the_schema_and_a_strict_one_still_does() -> None:
    _validate("VitaleCard", PARTIAL.to_dict())
    whole = VitaleCard(atr=b"\x3b", beneficiaries=(PARTIAL.beneficiaries[0],))
    assert whole.to_dict()["warnings"] == []
    _validate("VitaleCard", whole.to_dict())


def test_the_status_table_says_what_was_not_read() -> None:
    title, lines = _card_lines(PARTIAL.to_dict(), {
        "benef": "beneficiary(ies)", "key_ok": "key OK", "key_bad": "INVALID KEY", "lunar": "lunar date",
        "no_nir": "NIR not read", "warnings": "{n} field(s) not read"})
    assert title == "carte Vitale 2: 2 beneficiary(ies) (3 field(s) not read)"
    assert lines[1] == "GARNIER-TEST ?  2019-03-00 (lunar date)  NIR ? [?, NIR not read]"
    assert "None" not in " ".join(lines)


def test_the_journal_printout_says_none_of_none() -> None:
    record = {"seq": 7, "wall": "2026-01-01T00:00:00Z", "wall_synced": True, "kind": "vitale",
              "body": {"card": PARTIAL.to_dict()}}
    line = describe(record, "en")
    assert "GARNIER-TEST ?, born 2019-03-00, NIR ?" in line and "None" not in line


def test_the_status_table_names_a_cpe() -> None:
    from borne.readers.cards.model import CpsCard, CpsHolder

    card = CpsCard(atr=b"\x3b", generation="CPS4", serial="10000035", kind="CPE",
                   holder=CpsHolder("BLANC-TEST", "CLAIRE"), profession=None)
    assert _card_lines(card.to_dict(), {})[0] == "CPS4 CPE ?"
    assert _card_lines({**card.to_dict(), "kind": None, "profession_label": "Médecin"}, {})[0] == "CPS4 Médecin"
