"""NIR / NIA (the matricule INS) format and key rules.

The matricule INS is a NIR (numéro d'inscription au répertoire) or a NIA
(numéro identifiant d'attente, "constitué comme un NIR"): 13 characters and a
2-digit key. Key = 97 − (the 13-digit number mod 97), where the Corsican
département codes count as numbers: ``2A`` → 19, ``2B`` → 18. Keys therefore
run from 01 to 97.

Reference implementation: python-stdnum, ``stdnum/fr/nir.py``
(repository arthurdejong/python-stdnum, ``calc_check_digits``); its doctest
vectors are our test vectors. We do not import it: the rule is three lines and
the box stays small.

A wrong key is *reported*, never "corrected": sample numbers printed in public
slides often have wrong keys, and silently fixing one would turn a typo into
someone else's identity.

``kind``:

- ``"nir"``: first digit 1 or 2 (sex: 1 man, 2 woman; service-public.fr
  "Que signifie le numéro de sécurité sociale ?");
- ``"nia"``: first digit 7 or 8. This is the commonly stated convention for
  numéros d'attente; we could NOT confirm it in an official public source
  while writing this module (public pages only say a NIA "is constituted like a
  NIR"), so treat ``"nia"`` as a hint, not a certification;
- ``"unknown"``: anything else (including a malformed number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "OID_INS_NIA",
    "OID_INS_NIR",
    "OID_INS_NIR_DEMO",
    "OID_INS_NIR_TEST",
    "NirCheck",
    "check",
    "compute_key",
    "normalize",
]

#: OIDs of the matricule INS (ANS, Référentiel INS).
OID_INS_NIR = "1.2.250.1.213.1.4.8"
OID_INS_NIA = "1.2.250.1.213.1.4.9"
OID_INS_NIR_TEST = "1.2.250.1.213.1.4.10"
OID_INS_NIR_DEMO = "1.2.250.1.213.1.4.11"

NirKind = Literal["nir", "nia", "unknown"]

_CORSICA = {"2A": "19", "2B": "18"}


@dataclass(frozen=True)
class NirCheck:
    """What :func:`check` found: format, key, and the kind of number."""

    valid_format: bool
    key_valid: bool
    kind: NirKind


def normalize(nir: str) -> str:
    """Upper-case, without spaces or dots (the separators used in print)."""
    return "".join(ch for ch in nir if ch not in " .").upper()


def _well_formed(nir: str) -> bool:
    if len(nir) != 15 or not nir.isascii():
        return False
    head, dept, tail = nir[:5], nir[5:7], nir[7:]
    return head.isdigit() and tail.isdigit() and (dept.isdigit() or dept in _CORSICA)


def compute_key(number: str) -> int:
    """The key (1..97) of the 13 first characters of ``number``.

    Raises ValueError if those characters are not a NIR body.
    """
    body = normalize(number)[:13]
    if len(body) != 13 or not _well_formed(body + "00"):
        raise ValueError("not a NIR body")
    dept = body[5:7]
    if dept in _CORSICA:
        body = body[:5] + _CORSICA[dept] + body[7:]
    return 97 - int(body) % 97


def check(nir: str) -> NirCheck:
    """Check ``nir`` (15 characters, spaces allowed); never alters it."""
    value = normalize(nir)
    if not _well_formed(value):
        return NirCheck(valid_format=False, key_valid=False, kind="unknown")
    key_valid = compute_key(value) == int(value[13:])
    first = value[0]
    kind: NirKind = "nir" if first in "12" else "nia" if first in "78" else "unknown"
    return NirCheck(valid_format=True, key_valid=key_valid, kind=kind)
