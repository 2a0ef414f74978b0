"""Reading the identity block of a carte Vitale 2, from its public layout.

Public sources:

- cardpeek, repository L1L1/cardpeek, ``dot_cardpeek_dir/scripts/vitale_2.lua``:
  AIDs ``D250000002564954414C45`` ("VITALE") and ``D2500000024D465F564954414C45``
  (MF), the tag tree ``65`` = beneficiary with ``65/80`` surname, ``65/81``
  first name, ``65/82`` birth date (ASCII ``YYYYMMDD``, see its
  ``ui_parse_asciidate``), ``65/90`` nationality and ``65/93`` NIR; files may be
  longer than 256 bytes, so it reads in 256-byte steps (``read_bin``);
- Rufus, repository ukinoki/Rufus, ``lecteurvitale.cpp`` (functions
  ``lire``/``pourChaquePorteur``/``sousTag``): the exact commands
  ``00 A4 00 00 02 3F00``, ``00 B0 82 00 00`` (SFI 2) for the names, then
  ``00 A4 04 00 0B D250000002564954414C45`` and ``00 B0 82 00 00`` for the
  NIRs, and the zero-byte padding at the end of the files.

How much the decoder tolerates is theirs too. Both read what is there: Rufus
makes one beneficiary per ``65`` template of the names file, fills the fields
it finds (a missing one stays empty), gives the i-th NIR template's ``93`` to
the i-th beneficiary (one without a NIR keeps none; NIRs beyond the names are
dropped) and stops at the first ``00`` tag; cardpeek's ``tlv_parse`` shows the
objects up to tag 0 and checks no field. So here:

- a beneficiary is a ``65`` template of the names file, paired with the NIR
  template at the same position; a field missing or unreadable is ``None``,
  with a :class:`~borne.readers.cards.model.VitaleWarning` (stable code, index,
  field name; never the data);
- files and templates are read with :func:`~borne.readers.cards.tlv.parse_prefix`:
  ``00``/``FF`` padding ends them cleanly; a malformed object ends them with a
  ``data_malformed`` warning, what came before it is kept;
- a card with no beneficiary, or none with one readable field, has no
  identity to give: ``card_data_invalid``, as before.

Where they differ from the project's domain notes, we follow cardpeek:

- the NIR tag ``93`` is *nested in* a ``65`` template (``65/93``), one ``65``
  per beneficiary in the VITALE application, not a bare ``93`` list;
- cardpeek reaches the files through the pointer file ``2001`` and selects
  them by FID; it does not give the FIDs of the files read here, so we use the
  SFI form of the domain notes and Rufus, and continue past 256 bytes with
  offset reads as cardpeek does.

Identity data never leave this module except inside the returned model; no log
call here receives them.
"""

from __future__ import annotations

import datetime as _dt

from borne.domain import nir as nir_rules
from borne.errors import CardError
from borne.readers.cards import tlv
from borne.readers.cards.apdu import (
    Response,
    read_binary,
    read_binary_sfi,
    select_aid,
    select_fid,
    transmit,
)
from borne.readers.cards.model import Beneficiary, VitaleCard, VitaleWarning
from borne.readers.cards.script import CardScript

__all__ = [
    "AID_VITALE",
    "AID_VITALE_MF",
    "decode_beneficiaries",
    "decode_birth_date",
    "probe_vitale",
]

AID_VITALE = bytes.fromhex("D250000002564954414C45")
AID_VITALE_MF = bytes.fromhex("D2500000024D465F564954414C45")
#: SFI of the file read under the MF (names) and under VITALE (NIRs).
SFI_IDENTITY = 2

TAG_BENEFICIARY = 0x65
TAG_SURNAME = 0x80
TAG_FIRST_NAME = 0x81
TAG_BIRTH_DATE = 0x82
TAG_NIR = 0x93

#: 32 chunks of 256 bytes: far more than any Vitale identity file.
_MAX_CHUNKS = 32


def _invalid(detail: str) -> CardError:
    return CardError(detail, code="card_data_invalid")


class _Unreadable(ValueError):
    """A field present but not in the form the public layout gives it."""


def _text(value: bytes) -> str | None:
    """Card text: ASCII/latin-1 letters, padding (00, FF, spaces) stripped; None if empty."""
    value = value.rstrip(b"\x00\xff").strip(b" ")
    if not value:
        return None
    if any(b < 0x20 or 0x7F <= b < 0xC0 for b in value):
        raise _Unreadable("not text")
    return value.decode("latin-1")


def decode_birth_date(value: bytes) -> tuple[str, bool]:
    """``YYYYMMDD`` → (``YYYY-MM-DD``, lunar).

    "Lunar" dates (day or month unknown, written 00 or out of range) are kept
    as the card has them and flagged, never adjusted. Raises ``CardError``
    (``card_data_invalid``) if the value is not eight digits.
    """
    try:
        text = _text(value)
    except _Unreadable:
        text = None
    if text is None or len(text) != 8 or not text.isdigit():
        raise _invalid("birth date is not YYYYMMDD")
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    try:
        _dt.date(year, month, day)
        lunar = False
    except ValueError:
        lunar = True
    return f"{text[:4]}-{text[4:6]}-{text[6:]}", lunar


class _Reading:
    """The warnings of one card's decoding, collected in the order they arise."""

    def __init__(self) -> None:
        self.warnings: list[VitaleWarning] = []

    def warn(self, what: str, index: int | None = None, field: str | None = None) -> None:
        # ``what`` is a warning's code, not an error code (error_catalogue.py): the
        # card is still read. Warning codes are listed in model.VitaleWarningCode.
        self.warnings.append(VitaleWarning(what, index, field))  # type: ignore[arg-type]

    def templates(self, data: bytes) -> list[tlv.Tlv]:
        """The ``65`` templates of a file; any other top-level object is not ours."""
        prefix = tlv.parse_prefix(data)
        if prefix.stopped == "malformed":
            self.warn("data_malformed")
        return [o for o in prefix.objects if o.tag == TAG_BENEFICIARY and o.constructed]

    def fields(self, template: tlv.Tlv | None, index: int) -> dict[int, bytes]:
        """Tag → value of a template's fields (the first of a repeated tag)."""
        if template is None:
            return {}
        prefix = tlv.parse_prefix(template.value)
        if prefix.stopped == "malformed":
            self.warn("data_malformed", index)
        found: dict[int, bytes] = {}
        for obj in prefix.objects:
            found.setdefault(obj.tag, obj.value)
        return found

    def text(self, fields: dict[int, bytes], tag: int, index: int, name: str) -> str | None:
        """A text field, or None with a warning."""
        if tag not in fields:
            self.warn("field_missing", index, name)
            return None
        try:
            value = _text(fields[tag])
        except _Unreadable:
            self.warn("field_invalid", index, name)
            return None
        if value is None:
            self.warn("field_missing", index, name)
        return value


def _beneficiary(reading: _Reading, index: int, person: dict[int, bytes],
                 number: dict[int, bytes]) -> Beneficiary:
    surname = reading.text(person, TAG_SURNAME, index, "surname")
    first_name = reading.text(person, TAG_FIRST_NAME, index, "first_name")
    birth_date: str | None = None
    lunar: bool | None = None
    raw_date = reading.text(person, TAG_BIRTH_DATE, index, "birth_date")
    if raw_date is not None:
        try:
            birth_date, lunar = decode_birth_date(person[TAG_BIRTH_DATE])
        except CardError:
            reading.warn("field_invalid", index, "birth_date")
    nir: str | None = None
    checked = None
    raw_nir = reading.text(number, TAG_NIR, index, "nir")
    if raw_nir is not None:
        candidate = nir_rules.normalize(raw_nir)
        checked = nir_rules.check(candidate)
        if checked.valid_format:
            nir = candidate
        else:
            reading.warn("field_invalid", index, "nir")
            checked = None
    return Beneficiary(
        surname=surname,
        first_name=first_name,
        birth_date=birth_date,
        birth_date_lunar=lunar,
        nir=nir,
        nir_key_valid=checked.key_valid if checked else None,  # reported, never corrected
        nir_kind=checked.kind if checked else None,
    )


def decode_beneficiaries(identity: bytes, nirs: bytes) -> tuple[tuple[Beneficiary, ...],
                                                                 tuple[VitaleWarning, ...]]:
    """Pair the names file and the NIR file by position: (beneficiaries, warnings).

    Raises ``CardError`` (``card_data_invalid``) only when no identity can be
    read at all; see the module docstring for what is tolerated.
    """
    reading = _Reading()
    people = reading.templates(identity)
    numbers = reading.templates(nirs)
    if not people:
        raise _invalid("no beneficiary template")
    if len(people) != len(numbers):
        reading.warn("beneficiary_count_mismatch")
    out = []
    for index, person in enumerate(people):
        number = numbers[index] if index < len(numbers) else None
        out.append(_beneficiary(reading, index, reading.fields(person, index),
                                reading.fields(number, index)))
    if all(value is None for b in out for value in (b.surname, b.first_name, b.birth_date, b.nir)):
        raise _invalid("no beneficiary field readable")
    return tuple(out), tuple(reading.warnings)


def _read_whole(first: bytes) -> CardScript[Response]:
    """Send ``first`` (a READ BINARY at offset 0), then continue by offset while full."""
    response = yield from transmit(first)
    if not response.ok:
        return response
    data = bytearray(response.data)
    chunk = response.data
    for _ in range(_MAX_CHUNKS):
        if len(chunk) < 256:
            break
        # After a READ BINARY with an SFI the EF is the current file (ISO 7816-4).
        more = yield from transmit(read_binary(len(data)))
        if not more.ok or not more.data:
            break  # 6B00 / 6282 past the end: the file ended on a chunk boundary
        chunk = more.data
        data += chunk
    return Response(bytes(data), 0x90, 0x00)


def probe_vitale(atr: bytes) -> CardScript[VitaleCard | None]:
    """Try the public Vitale 2 selections; None if the card refuses them.

    The card counts as a Vitale once it accepts the VITALE application; from
    then on anything unusable is a :class:`CardError` (``card_data_invalid`` for
    bad data, ``card_protocol_error`` for refused reads).
    """
    mf = yield from transmit(select_fid(0x3F00))
    if mf.sw != 0x9000:
        return None  # a CPS and most other cards refuse this MF selection
    identity = yield from _read_whole(read_binary_sfi(SFI_IDENTITY))
    app = yield from transmit(select_aid(AID_VITALE))
    if app.sw != 0x9000:
        return None
    if not identity.ok:
        raise CardError(f"identity read refused ({identity.sw:04X})", code="card_protocol_error")
    nirs = yield from _read_whole(read_binary_sfi(SFI_IDENTITY))
    if not nirs.ok:
        raise CardError(f"NIR read refused ({nirs.sw:04X})", code="card_protocol_error")
    beneficiaries, warnings = decode_beneficiaries(identity.data, nirs.data)
    return VitaleCard(atr=bytes(atr), beneficiaries=beneficiaries, warnings=warnings)
