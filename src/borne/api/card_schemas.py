"""The schemas of a decoded card's content (``GET /v1/readers/{slot_id}/card``), by hand.

Declared here rather than generated because no struct of the API holds a card: its
JSON is the card model's own (``borne.readers.cards.model``'s ``to_dict``, "the one
place that decides those JSON shapes", also what ``borne status --json`` prints), and
that model is plain dataclasses outside the API. One place, in the document's forms.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CARD_SCHEMAS"]

_NULLABLE_STR = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


#: The card schemas, by component name (``Card`` is the body of .../card).
CARD_SCHEMAS: dict[str, Any] = {
    "Beneficiary": {
        "type": "object",
        "description": "A field the card does not hold, or holds unreadably, is null (and "
                       "the card's warnings say which); so are the facts drawn from it.",
        "required": ["surname", "first_name", "birth_date", "birth_date_lunar", "nir",
                     "nir_key_valid", "nir_kind"],
        "properties": {"surname": _NULLABLE_STR, "first_name": _NULLABLE_STR,
                       "birth_date": {"oneOf": [{"type": "null"}, {
                           "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}]},
                       "birth_date_lunar": {"type": ["boolean", "null"]}, "nir": _NULLABLE_STR,
                       "nir_key_valid": {"type": ["boolean", "null"]},
                       "nir_kind": {"enum": ["nir", "nia", "unknown", None]}},
    },
    "VitaleWarning": {
        "type": "object",
        "description": "Something on the card that could not be read; never identity data.",
        "required": ["code", "beneficiary", "field"],
        "properties": {
            "code": {"type": "string", "enum": ["field_missing", "field_invalid",
                                                "beneficiary_count_mismatch", "data_malformed"]},
            "beneficiary": {"type": ["integer", "null"], "minimum": 0},
            "field": {"enum": ["surname", "first_name", "birth_date", "nir", None]},
        },
    },
    "VitaleCard": {"type": "object",
                   "required": ["type", "generation", "atr", "beneficiaries", "warnings"],
                   "properties": {"type": {"const": "vitale"}, "generation": {"const": 2},
                                  "atr": {"type": "string"},
                                  "beneficiaries": {"type": "array", "items": _ref("Beneficiary")},
                                  "warnings": {"type": "array", "items": _ref("VitaleWarning")}}},
    "Vitale1Card": {"type": "object", "required": ["type", "atr", "decodable"],
                    "properties": {"type": {"const": "vitale1"}, "atr": {"type": "string"},
                                   "decodable": {"const": False}, "reason": {"type": "string"}}},
    "CpsCard": {
        "type": "object",
        "required": ["type", "kind", "generation", "atr", "serial", "holder", "profession"],
        "properties": {
            "type": {"const": "cps"},
            "kind": {"description": "TRE_R87-TypeCarte code the card gives; null where it is "
                                    "not read (never guessed)",
                     "enum": ["CPS", "CPE", "CPF", "CPA", None]},
            "generation": {"type": "string", "enum": ["CPS3", "CPS4"]},
            "atr": {"type": "string"}, "serial": _NULLABLE_STR,
            "holder": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["surname", "first_name", "identifier"],
                "properties": {"surname": {"type": "string"}, "first_name": {"type": "string"},
                               "identifier": _NULLABLE_STR}}]},
            "profession": _NULLABLE_STR, "profession_code": _NULLABLE_STR,
            "profession_label": _NULLABLE_STR,
        },
    },
    "UnknownCard": {"type": "object", "required": ["type", "atr", "names"],
                    "properties": {"type": {"const": "unknown"}, "atr": {"type": "string"},
                                   "names": {"type": "array", "items": {"type": "string"}}}},
    "Card": {"oneOf": [_ref("VitaleCard"), _ref("Vitale1Card"), _ref("CpsCard"),
                       _ref("UnknownCard")]},
}
