"""Turn a test-card description (TOML) into a :class:`VirtualChip`.

The files are written with the same public layouts the decoders read, encoded
here independently (this module does not import the decoders):

- carte Vitale 2 (cardpeek ``vitale_2.lua``, Rufus ``lecteurvitale.cpp``): MF
  with an SFI-2 file of ``65 {80 surname, 81 first name, 82 YYYYMMDD}``
  templates, the VITALE application (``D250000002564954414C45``) with an SFI-2
  file of ``65 {93 NIR}`` templates, same order, zero padding at the end. A
  field left out of a beneficiary is left out of its template, and one without
  ``nir`` has no template in the NIR file (the files then disagree, as on a
  damaged card); ``padding = N`` ends its template with N zero bytes;
- CPS (ansforge/dops-cryptolib): a PIN ("1234" unless ``options.pin``, see
  :mod:`borne.sim.chip`: a simulator choice); EF.SN.ICC ``3F00/D003`` = ``5A 0A`` + issuer
  prefix ``80 25 00 00 01`` + BCD serial + Luhn digit and ``F``;
- the CPS authentication certificate at ``3F00/B02E/C001`` with the profession
  in ``title``, the identifier in ``serialNumber`` and the card's kind (a
  TRE_R87 code, ``kind`` in the holder table; left out if not given) in
  ``businessCategory``: a SIMULATOR layout (the real one is not public), equal
  to ``CpsLayout``'s defaults. A holder without ``profession_code`` (a CPE's
  staff member) has no ``title``.

Certificates are issued by a clearly labelled test CA ("borne TEST CA - not an
IGC-Santé certificate") with EC P-256 keys, cached in-process.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from typing import Any

from borne.errors import ConfigError
from borne.sim.chip import DF, EF, VirtualChip

__all__ = ["SIM_CERT_PATH", "SIM_CPS_PIN", "TEST_CA_NAME", "build_chip", "holder_certificate"]

AID_VITALE = bytes.fromhex("D250000002564954414C45")
AID_VITALE_MF = bytes.fromhex("D2500000024D465F564954414C45")
EF_SN_ICC = bytes.fromhex("D003")
#: Simulator choice, NOT a real CPx file: must equal CpsLayout().cert_path.
SIM_CERT_PATH = bytes.fromhex("3F00B02EC001")
TEST_CA_NAME = "borne TEST CA - not an IGC-Santé certificate"

_KINDS = {"vitale", "vitale1", "cps", "unknown", "garbage"}
_TOP = {"kind", "description", "atr", "options", "beneficiaries", "holder"}
#: Chip behaviours a card file (or ``load_card(..., **overrides)``) may set.
_OPTIONS = {"max_response", "exact_le", "pull_after", "mute", "delay_ms", "pin", "pin_tries",
            "tries_left"}
#: A simulated CPS's PIN unless its file says otherwise (``options.pin``): a test value.
SIM_CPS_PIN = "1234"
_BENEFICIARY = {"surname", "first_name", "birth_date", "nir", "padding"}
_NAME_TAGS = (("surname", 0x80), ("first_name", 0x81), ("birth_date", 0x82))
_HOLDER = {"surname", "first_name", "identifier", "profession_code", "serial", "kind"}


def _tlv(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag_bytes + length + value


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, source: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"unknown key in {where}", file=source, key=key)


def _vitale_tree(people: list[dict[str, Any]], source: str) -> DF:
    names = b""
    nirs = b""
    for person in people:
        _check_keys(person, _BENEFICIARY, "beneficiaries", source)
        enc = lambda k: str(person[k]).encode("latin-1")  # noqa: E731
        fields = b"".join(_tlv(tag, enc(key)) for key, tag in _NAME_TAGS if key in person)
        names += _tlv(0x65, fields + b"\x00" * int(person.get("padding", 0)))
        if "nir" in person:
            nirs += _tlv(0x65, _tlv(0x93, enc("nir")))
    app = DF(fid=bytes.fromhex("2000"), aid=AID_VITALE, children=[EF(nirs + b"\x00" * 6, fid=bytes.fromhex("2004"), sfi=2)])
    return DF(
        fid=b"\x3f\x00",
        aid=AID_VITALE_MF,
        children=[EF(names + b"\x00" * 6, fid=bytes.fromhex("2002"), sfi=2), app],
    )


def _luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


@lru_cache(maxsize=1)
def _test_ca() -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "borne TEST"),
            x509.NameAttribute(NameOID.COMMON_NAME, TEST_CA_NAME),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(_dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc))
        .not_valid_after(_dt.datetime(2034, 1, 1, tzinfo=_dt.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@lru_cache(maxsize=32)
def holder_certificate(surname: str, first_name: str, identifier: str, profession_code: str | None,
                       kind: str | None = None) -> bytes:
    """A DER test certificate for a fictitious CPS holder, signed by the test CA.

    ``profession_code`` and ``kind`` go into ``title`` and ``businessCategory``
    (the simulator's layout); None leaves the attribute out.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_key, ca_cert = _test_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    optional = [(NameOID.TITLE, profession_code), (NameOID.BUSINESS_CATEGORY, kind)]
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "borne TEST - fictitious holder"),
            *(x509.NameAttribute(oid, value) for oid, value in optional if value is not None),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, identifier),
            x509.NameAttribute(NameOID.SURNAME, surname),
            x509.NameAttribute(NameOID.GIVEN_NAME, first_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{first_name} {surname} (TEST)"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(identifier.encode(), "big") % (1 << 63) or 2)
        .not_valid_before(_dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc))
        .not_valid_after(_dt.datetime(2030, 1, 1, tzinfo=_dt.timezone.utc))
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _cps_tree(holder: dict[str, Any], source: str) -> DF:
    _check_keys(holder, _HOLDER, "holder", source)
    serial = str(holder["serial"])
    if len(serial) != 8 or not serial.isdigit():
        raise ConfigError("serial must be 8 digits", file=source, key="holder.serial")
    digits = "8025000001" + serial
    pan = bytes.fromhex(digits) + bytes([(_luhn_digit(digits) << 4) | 0x0F])
    optional = {key: str(holder[key]) if key in holder else None for key in ("profession_code", "kind")}
    der = holder_certificate(
        str(holder["surname"]), str(holder["first_name"]), str(holder["identifier"]),
        optional["profession_code"], optional["kind"],
    )
    cert_df = DF(fid=SIM_CERT_PATH[2:4], children=[EF(der, fid=SIM_CERT_PATH[4:6])])
    return DF(fid=b"\x3f\x00", children=[EF(_tlv(0x5A, pan), fid=EF_SN_ICC), cert_df])


def build_chip(spec: dict[str, Any], *, source: str = "<card>") -> VirtualChip:
    """The virtual chip a parsed card file describes; ConfigError names a bad key."""
    _check_keys(spec, _TOP, "card", source)
    kind = spec.get("kind")
    if kind not in _KINDS:
        raise ConfigError(f"kind must be one of {sorted(_KINDS)}", file=source, key="kind")
    try:
        atr = bytes.fromhex(str(spec["atr"]))
    except (KeyError, ValueError):
        raise ConfigError("atr missing or not hex", file=source, key="atr") from None
    options = dict(spec.get("options", {}))
    _check_keys(options, _OPTIONS, "options", source)
    try:
        if kind == "vitale":
            tree = _vitale_tree(list(spec["beneficiaries"]), source)
        elif kind == "cps":
            tree = _cps_tree(dict(spec["holder"]), source)
        else:
            tree = DF(fid=b"\x3f\x00")
    except KeyError as exc:
        raise ConfigError("missing field", file=source, key=str(exc.args[0])) from None
    return VirtualChip(
        atr,
        tree,
        max_response=options.get("max_response"),
        exact_le=bool(options.get("exact_le", False)),
        pull_after=options.get("pull_after"),
        mute=bool(options.get("mute", False)),
        delay_ms=float(options.get("delay_ms", 0.0)),
        garbage=kind == "garbage",
        # Only the CPS answers VERIFY (with a try counter: borne.sim.chip).
        pin=str(options.get("pin", SIM_CPS_PIN)) if kind == "cps" else None,
        pin_tries=int(options.get("pin_tries", 3)),
        tries_left=options.get("tries_left"),
    )
