"""Reading who holds a CPS (CPS3 / CPS4), without the PIN.

What is public, and where it comes from:

- EF.SN.ICC at ``3F00 D003``, 12 bytes: tag ``5A`` (APPLICATION 26), length
  ``0A``, a 10-byte BCD number starting with the issuer prefix
  ``80 25 00 00 01``; the serial is the part after the prefix without the last
  byte (Luhn digit and ``F`` filler). Source: ANS Cryptolib CPS, repository
  ansforge/dops-cryptolib, ``.../libopensc/card-cps.h`` (``CPS_EF_SN_PATH``,
  ``PREFIX_SN``), ``card-cps.c`` (``_cps_read_efsnicc``: size 12, prefix at
  offset 2) and ``pkcs15.c`` (``c_asn1_efsnicc``, ``sc_pkcs15_parse_efsnicc``).
- The authentication certificate is readable without PIN (it is what
  PKCS#11 middleware lists before login).
- Profession codes: the ANS table TRE_G15-ProfessionSante, kept with its
  source in :mod:`borne.readers.cards.professions` (``profession_for`` and
  ``PROFESSIONS`` are re-exported here for their existing users).

What is NOT public (or we could not find it), and is therefore isolated in
:class:`CpsLayout`, which a deployment overrides:

- the file path of the authentication certificate on a real CPx card (the
  middleware finds it through the PKCS#15 directory of the CPx application,
  AIDs ``E828BD080F8025000001FF0010``/``...0020``); the default path below is
  the one **our simulator** uses, not a real card's;
- which subject attributes of IGC-Santé certificates carry the profession code
  and the national identifier; the defaults (``title`` and ``serialNumber``)
  are again **our simulator's** choice;
- where a card says its kind (CPS, CPE for a health establishment's staff, CPF
  for a professional in training, CPA; the codes of TRE_R87-TypeCarte). The
  CryptoLib's public external specification (dops-cryptolib
  ``_documentation/SpecificationsExternes_PKCS11_CryptoLib_CPS3_240913_v2.0.0``)
  lists a free-access object ``CPS_ID_CARD`` ("Identification carte") but
  leaves its ASN.1 format to "ASIP_CPS3_Données-métier_v1.0.2", which is not
  public; the ATR is the same for every kind (smartcard_list.txt, CPS_ATR_LIST);
  the ANS's certificate profiles ("IGC-Santé, gabarits des certificats ...
  embarqués dans les cartes CPx") are published as a document we could not
  read. So the kind is read only from the subject attribute
  ``CpsLayout.kind_oid`` (the default, ``businessCategory``, is **our
  simulator's** choice), only when it holds one of the four TRE_R87 codes;
  anything else is ``kind=None``, never a guess. On a CPF the profession code is
  a TRE_G16 one (a pharmacist *in training*), read with its own table.

On a real card whose certificate is not at ``CpsLayout.cert_path`` the
selection fails and the result simply has ``holder=None``: the box still knows
it is a CPS, its generation and serial. CPS4 cards also expect their ChipDoc
applet (``80 25 00 00 01 FF 01 00``) on logical channel 1 for PKI work
(dops-cryptolib ``card-cps4.c``); this reader only reads transparent files on
the basic channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from borne.errors import CardError
from borne.readers.cards import tlv
from borne.readers.cards.apdu import read_binary, select_path, transmit
from borne.readers.cards.model import CardKind, CpsCard, CpsHolder
from borne.readers.cards.professions import (
    CARD_KINDS,
    PROFESSIONS,
    profession_for,
    training_profession_for,
)
from borne.readers.cards.script import CardScript

__all__ = [
    "EF_SN_ICC_PATH",
    "PROFESSIONS",
    "CertificateSubject",
    "CpsLayout",
    "decode_certificate",
    "decode_serial",
    "decode_subject",
    "profession_for",
    "read_cps",
]

#: dops-cryptolib card-cps.h CPS_EF_SN_PATH "3F00D003".
EF_SN_ICC_PATH = bytes.fromhex("3F00D003")
#: dops-cryptolib card-cps.h PREFIX_SN "8025000001" (ASIP Santé / ANS issuer).
ISSUER_PREFIX = bytes.fromhex("8025000001")

_MAX_CERT = 8192


@dataclass(frozen=True)
class CpsLayout:
    """Where the authentication certificate lives and how its subject is read.

    Every default here is the SIMULATOR's layout (see the module docstring):
    not documented publicly for real CPx cards. Override per deployment.
    """

    #: Path from the MF (``3F00`` optional) of the certificate EF. Simulator choice.
    cert_path: bytes = bytes.fromhex("3F00B02EC001")
    #: Subject attribute holding the TRE_G15 profession code. Simulator choice (title).
    profession_oid: str = "2.5.4.12"
    #: Subject attribute holding the national identifier. Simulator choice (serialNumber).
    identifier_oid: str = "2.5.4.5"
    #: X.520 surname and givenName: the standard attributes for a person's names.
    surname_oid: str = "2.5.4.4"
    given_name_oid: str = "2.5.4.42"
    #: Subject attribute holding the card's kind (a TRE_R87 code). Simulator choice
    #: (businessCategory); empty: the kind is not read (always ``None``).
    kind_oid: str = "2.5.4.15"


@dataclass(frozen=True)
class CertificateSubject:
    """What the authentication certificate's subject says, read with a :class:`CpsLayout`."""

    holder: CpsHolder
    #: The profession code as the certificate has it (TRE_G15, or TRE_G16 on a CPF).
    profession_code: str | None
    #: A TRE_R87 code (``CPS``, ``CPE``, ``CPF``, ``CPA``), or None.
    kind: CardKind | None


def _invalid(detail: str) -> CardError:
    return CardError(detail, code="card_data_invalid")


def decode_serial(data: bytes) -> str:
    """The card serial from the bytes of EF.SN.ICC."""
    objects = tlv.parse(data, skip_padding=True)
    pan = tlv.find(objects, 0x5A)
    if pan is None or len(pan.value) < len(ISSUER_PREFIX) + 2:
        raise _invalid("EF.SN.ICC has no serial number")
    if not pan.value.startswith(ISSUER_PREFIX):
        raise _invalid("EF.SN.ICC issuer is not the ANS")
    # The last byte holds the Luhn digit and an F filler (sc_pkcs15_parse_efsnicc).
    serial = pan.value[len(ISSUER_PREFIX) : -1].hex().upper()
    if not serial.isdigit():
        raise _invalid("EF.SN.ICC serial is not BCD")
    return serial


def _one(subject, oid: str) -> str | None:  # type: ignore[no-untyped-def]
    from cryptography.x509 import ObjectIdentifier

    values = subject.get_attributes_for_oid(ObjectIdentifier(oid))
    if not values:
        return None
    value = values[0].value
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def decode_subject(der: bytes, layout: CpsLayout | None = None) -> CertificateSubject:
    """The holder, profession code and card kind a DER certificate's subject gives."""
    from cryptography import x509  # heavy: imported only when a CPS is read

    layout = layout or CpsLayout()
    try:
        cert = x509.load_der_x509_certificate(bytes(der))
        subject = cert.subject
        surname = _one(subject, layout.surname_oid)
        given = _one(subject, layout.given_name_oid)
        identifier = _one(subject, layout.identifier_oid)
        profession = _one(subject, layout.profession_oid)
        kind = _one(subject, layout.kind_oid) if layout.kind_oid else None
    except ValueError as exc:
        raise _invalid("authentication certificate unreadable") from exc
    if not surname or not given:
        raise _invalid("certificate subject lacks the holder's names")
    code = profession.strip() if profession else None
    # Only a TRE_R87 code is a kind: another value in that attribute says nothing.
    kind = kind.strip() if kind else None
    return CertificateSubject(
        holder=CpsHolder(surname=surname, first_name=given, identifier=identifier),
        profession_code=code,
        kind=kind if kind in CARD_KINDS else None,  # type: ignore[arg-type]
    )


def decode_certificate(der: bytes, layout: CpsLayout | None = None) -> tuple[CpsHolder, str | None]:
    """(holder, profession code) from a DER certificate, read with ``layout``."""
    subject = decode_subject(der, layout)
    return subject.holder, subject.profession_code


def _der_total(header: bytes) -> int:
    if len(header) < 2 or header[0] != 0x30:
        raise _invalid("certificate file does not hold a DER certificate")
    first = header[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count not in (1, 2) or len(header) < 2 + count:
        raise _invalid("certificate length form")
    return 2 + count + int.from_bytes(header[2 : 2 + count], "big")


def _read_certificate(layout: CpsLayout) -> CardScript[bytes | None]:
    selected = yield from transmit(select_path(layout.cert_path))
    if selected.sw != 0x9000:
        return None  # not at this layout's path: see the module docstring
    first = yield from transmit(read_binary(0))
    if not first.ok:
        return None
    total = _der_total(first.data)
    if total > _MAX_CERT:
        raise _invalid("certificate larger than any CPS certificate")
    data = bytearray(first.data)
    while len(data) < total:
        more = yield from transmit(read_binary(len(data), min(256, total - len(data))))
        if not more.ok or not more.data:
            raise _invalid("certificate file shorter than its DER length")
        data += more.data
    return bytes(data[:total])


def read_cps(
    atr: bytes, generation: Literal["CPS3", "CPS4"], layout: CpsLayout | None = None
) -> CardScript[CpsCard]:
    """Card script: serial from EF.SN.ICC, holder and profession from the certificate."""
    layout = layout or CpsLayout()
    serial: str | None = None
    selected = yield from transmit(select_path(EF_SN_ICC_PATH))
    if selected.sw == 0x9000:
        response = yield from transmit(read_binary(0, 12))
        if response.ok:
            serial = decode_serial(response.data)
    der = yield from _read_certificate(layout)
    subject = decode_subject(der, layout) if der is not None else None
    code = subject.profession_code if subject else None
    kind = subject.kind if subject else None
    # A CPF's code is a TRE_G16 one: "21" is a pharmacist in training there.
    profession, label = (training_profession_for if kind == "CPF" else profession_for)(code)
    return CpsCard(
        atr=bytes(atr),
        generation=generation,
        kind=kind,
        serial=serial,
        holder=subject.holder if subject else None,
        profession=profession,
        profession_code=code,
        profession_label=label,
    )
