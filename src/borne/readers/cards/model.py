"""What a decoded card is, as plain immutable data.

These are the shapes that ``borne status --json`` prints and that the API will
serve (``GET /v1/readers/{id}/card``). ``to_dict()`` is the one place that
decides those JSON shapes; change it only with the API level.

Identity data (names, birth dates, NIR) live only in these objects, in memory,
while the card is in its slot. They are never put into events, logs or files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

__all__ = [
    "Beneficiary",
    "Card",
    "CardKind",
    "CpsCard",
    "CpsHolder",
    "UnknownCard",
    "Vitale1Card",
    "VitaleCard",
    "VitaleWarning",
]


@dataclass(frozen=True)
class Beneficiary:
    """One beneficiary on a carte Vitale 2 (the insured person or a dependant).

    ``birth_date`` is ``YYYY-MM-DD`` built from the card's digits without any
    calendar check: a "lunar" birth date (day or month unknown, written as 00 or
    above 31 by the Assurance Maladie) stays as the card has it, and
    ``birth_date_lunar`` says so.

    A field the card does not hold, or holds in a form that cannot be read, is
    ``None``, and the card's ``warnings`` say which; so are the facts drawn from
    it (``nir_key_valid`` and ``nir_kind`` without a NIR, ``birth_date_lunar``
    without a birth date).
    """

    surname: str | None
    first_name: str | None
    birth_date: str | None
    nir: str | None
    nir_key_valid: bool | None
    nir_kind: Literal["nir", "nia", "unknown"] | None = "nir"
    birth_date_lunar: bool | None = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "surname": self.surname,
            "first_name": self.first_name,
            "birth_date": self.birth_date,
            "birth_date_lunar": self.birth_date_lunar,
            "nir": self.nir,
            "nir_key_valid": self.nir_key_valid,
            "nir_kind": self.nir_kind,
        }


#: What a :class:`VitaleWarning` can say (stable codes, documented in docs/api.md).
VitaleWarningCode = Literal["field_missing", "field_invalid", "beneficiary_count_mismatch",
                            "data_malformed"]


@dataclass(frozen=True)
class VitaleWarning:
    """Something on a carte Vitale that could not be read; the rest of the card was.

    Never identity data: a code, the index of the beneficiary in ``beneficiaries``
    (``None``: the card as a whole) and the name of the field (``None``: no one field).
    """

    code: VitaleWarningCode
    beneficiary: int | None = None
    field: Literal["surname", "first_name", "birth_date", "nir"] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "beneficiary": self.beneficiary, "field": self.field}


@dataclass(frozen=True)
class VitaleCard:
    """A carte Vitale 2, decoded from its public layout (see ``vitale.py``)."""

    atr: bytes
    beneficiaries: tuple[Beneficiary, ...]
    #: What could not be read (see :class:`VitaleWarning`); empty for a whole card.
    warnings: tuple[VitaleWarning, ...] = ()
    type: Literal["vitale"] = "vitale"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "generation": 2,
            "atr": self.atr.hex(" ").upper(),
            "beneficiaries": [b.to_dict() for b in self.beneficiaries],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def summary(self) -> dict[str, Any]:
        """What may appear in events and logs: no identity data."""
        return {"type": self.type, "beneficiaries": len(self.beneficiaries)}


@dataclass(frozen=True)
class Vitale1Card:
    """A carte Vitale 1: proprietary commands, not decodable on the box.

    The billing software can still drive it through the APDU channel.
    """

    atr: bytes
    type: Literal["vitale1"] = "vitale1"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "atr": self.atr.hex(" ").upper(),
            "decodable": False,
            "reason": "Vitale 1 uses proprietary commands; use the APDU channel",
        }

    def summary(self) -> dict[str, Any]:
        return {"type": self.type}


@dataclass(frozen=True)
class CpsHolder:
    """Who holds a CPS, as its authentication certificate says (no PIN needed)."""

    surname: str
    first_name: str
    #: National identifier of the professional (RPPS/ADELI based), if the certificate carries one.
    identifier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"surname": self.surname, "first_name": self.first_name, "identifier": self.identifier}


#: A CPx card's kind: the codes of the ANS table TRE_R87-TypeCarte.
CardKind = Literal["CPS", "CPE", "CPF", "CPA"]


@dataclass(frozen=True)
class CpsCard:
    """A card of the CPS family (CPS3 or CPS4 chip): CPS, CPE, CPF or CPA.

    ``kind`` is what the card says it is (a TRE_R87 code), ``None`` where it is
    not read (see ``cps.py``: where real cards say it is not public); never
    guessed. ``profession`` is a stable English key (``pharmacist``, ``nurse``,
    ``doctor``...) used by the apCV invoice-quota policy; ``profession_code``
    is the code of the public profession table it came from.
    """

    atr: bytes
    generation: Literal["CPS3", "CPS4"]
    serial: str | None
    holder: CpsHolder | None
    profession: str | None
    profession_code: str | None = None
    profession_label: str | None = None
    kind: CardKind | None = None
    type: Literal["cps"] = "cps"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "kind": self.kind,
            "generation": self.generation,
            "atr": self.atr.hex(" ").upper(),
            "serial": self.serial,
            "holder": self.holder.to_dict() if self.holder else None,
            "profession": self.profession,
            "profession_code": self.profession_code,
            "profession_label": self.profession_label,
        }

    def summary(self) -> dict[str, Any]:
        return {"type": self.type, "generation": self.generation, "profession": self.profession}


@dataclass(frozen=True)
class UnknownCard:
    """Any other card: only its ATR, and a name from a public ATR list if known."""

    atr: bytes
    names: tuple[str, ...] = field(default_factory=tuple)
    type: Literal["unknown"] = "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "atr": self.atr.hex(" ").upper(), "names": list(self.names)}

    def summary(self) -> dict[str, Any]:
        return {"type": self.type}


Card = Union[VitaleCard, Vitale1Card, CpsCard, UnknownCard]
