"""Reading the identity block of a carte Vitale 2, from its public layout.

Public sources:

- cardpeek, repository L1L1/cardpeek, ``dot_cardpeek_dir/scripts/vitale_2.lua``:
  AIDs ``D250000002564954414C45`` ("VITALE") and ``D2500000024D465F564954414C45``
  (MF), the tag tree ``65`` = beneficiary with ``65/80`` surname, ``65/81``
  first name, ``65/82`` birth date (ASCII ``YYYYMMDD``, see its
  ``ui_parse_asciidate``), ``65/90`` nationality and ``65/93`` NIR; files may be
  longer than 256 bytes, so it reads in 256-byte steps (``read_bin``);
- Rufus ``lecteurvitale.cpp`` (functions ``lire``/``pourChaquePorteur``): the
  exact commands ``00 A4 00 00 02 3F00``, ``00 B0 82 00 00`` (SFI 2) for the
  names, then ``00 A4 04 00 0B D250000002564954414C45`` and ``00 B0 82 00 00``
  for the NIRs, which it matches to the beneficiaries by order, and the
  zero-byte padding at the end of the files.

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
from borne.readers.cards.model import Beneficiary, VitaleCard
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


def _text(value: bytes, what: str) -> str:
    """Card text: ASCII/latin-1 letters, padding (00, FF, spaces) stripped."""
    value = value.rstrip(b"\x00\xff").strip(b" ")
    if not value:
        raise _invalid(f"empty {what}")
    if any(b < 0x20 or 0x7F <= b < 0xC0 for b in value):
        raise _invalid(f"{what} is not text")
    return value.decode("latin-1")


def decode_birth_date(value: bytes) -> tuple[str, bool]:
    """``YYYYMMDD`` → (``YYYY-MM-DD``, lunar).

    "Lunar" dates (day or month unknown, written 00 or out of range) are kept
    as the card has them and flagged, never adjusted.
    """
    text = _text(value, "birth date")
    if len(text) != 8 or not text.isdigit():
        raise _invalid("birth date is not YYYYMMDD")
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    try:
        _dt.date(year, month, day)
        lunar = False
    except ValueError:
        lunar = True
    return f"{text[:4]}-{text[4:6]}-{text[6:]}", lunar


def _beneficiary_templates(data: bytes) -> list[tlv.Tlv]:
    objects = tlv.parse(data, skip_padding=True)
    templates = tlv.find_all(objects, TAG_BENEFICIARY)
    if not templates:
        raise _invalid("no beneficiary template")
    return templates


def decode_beneficiaries(identity: bytes, nirs: bytes) -> tuple[Beneficiary, ...]:
    """Pair the names file and the NIR file (same order) into beneficiaries."""
    people = _beneficiary_templates(identity)
    numbers = _beneficiary_templates(nirs)
    if len(people) != len(numbers):
        raise _invalid(f"{len(people)} names for {len(numbers)} NIRs")
    out: list[Beneficiary] = []
    for person, number in zip(people, numbers):
        fields = person.children()
        surname = tlv.find(fields, TAG_SURNAME)
        first_name = tlv.find(fields, TAG_FIRST_NAME)
        birth = tlv.find(fields, TAG_BIRTH_DATE)
        nir_obj = tlv.find(number.children(), TAG_NIR)
        if surname is None or first_name is None or birth is None or nir_obj is None:
            raise _invalid("beneficiary lacks a mandatory field")
        birth_date, lunar = decode_birth_date(birth.value)
        nir = nir_rules.normalize(_text(nir_obj.value, "NIR"))
        checked = nir_rules.check(nir)
        if not checked.valid_format:
            raise _invalid("NIR is not 15 NIR characters")
        out.append(
            Beneficiary(
                surname=_text(surname.value, "surname"),
                first_name=_text(first_name.value, "first name"),
                birth_date=birth_date,
                birth_date_lunar=lunar,
                nir=nir,
                nir_key_valid=checked.key_valid,  # reported, never corrected
                nir_kind=checked.kind,
            )
        )
    return tuple(out)


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
    return VitaleCard(atr=bytes(atr), beneficiaries=decode_beneficiaries(identity.data, nirs.data))
