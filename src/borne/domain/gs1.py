"""GS1 element strings, as the DataMatrix on a medicine box carries them: recognised, not read.

A pharmacy's scanner reads the GS1 DataMatrix of every box it handles: the GTIN
(AI 01; in France ``034009`` + the rest of the CIP13), the expiry date (17), the
batch (10) and the serial number (21), 30 to 90 characters. The box has no use
for them; it only needs to know one when it sees one, so that a medicine box is
neither taken for an apCV nor shown as an unreadable code. :func:`parse` says
whether a payload is such an element string; nothing here keeps or logs it.

What makes a payload a GS1 element string here, all of:

- an optional AIM symbology identifier (ISO/IEC 15424) of a symbol in GS1 mode,
  as scanners send it when told to: ``]d2`` GS1 DataMatrix, ``]C1`` GS1-128,
  ``]Q3`` GS1 QR Code, ``]e0`` GS1 DataBar (another identifier, such as ``]Q1``
  for a plain QR code, means the symbol is not in GS1 mode: not GS1). The list
  is GS1's own Syntax Engine's (``gs1/gs1-syntax-engine``, ``src/c-lib/scandata.c``,
  ``symIdTable``), which also shows the conventions read here: FNC1 in first
  position is implied by the identifier, a later FNC1 is transmitted as GS
  (0x1D), a trailing one may be dropped;
- then Application Identifiers and their data, only from :data:`AIS` (the ones
  a medicine box carries), each as the GS1 General Specifications define it:
  AI (01) GTIN §3.3.2, (10) batch §3.4.1, (11) production date §3.4.2, (15)
  best before §3.4.5, (17) expiry §3.4.7, (21) serial §3.5.2. Element strings
  are separated by FNC1, transmitted as GS, "unless they have a predefined
  length" (§7.8.4 and its Figure 7.8.4-2 in release 18, which list 01, 11, 15
  and 17): a variable-length field (10, 21) ends at GS or at the end. A leading
  GS (FNC1 in first position sent as a character) and a GS after a
  predefined-length field (which "SHOULD NOT" be there) are tolerated;
- an AI (01) whose GTIN has a valid check digit (§7.9: weights 3 and 1 from the
  right, mod 10). A code that looks like GS1 but fails this is NOT one here: it
  goes through the recognition rules like any other payload.

Variable fields hold only the characters of GS1 AI encodable character set 82
(§7.11, Figure 7.11-1); dates are YYMMDD with a month of 01-12 and a day of
00-31 (00: no day given, §3.4.2). A payload with an AI outside :data:`AIS` is
not recognised (the table is kept to what medicine boxes carry), nor is one that
gives an AI twice. Sections as numbered in the releases read (18 and later; the
GS1 "gs1" Ruby gem quotes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["AIS", "GS", "SYMBOLOGY_IDENTIFIERS", "ElementString", "check_digit", "gtin_valid",
           "parse"]

#: The group separator: FNC1 as a scanner transmits it between fields.
GS = "\x1d"

#: AIM symbology identifiers (ISO/IEC 15424) of symbols in GS1 mode.
SYMBOLOGY_IDENTIFIERS: dict[str, str] = {
    "]d2": "GS1 DataMatrix", "]C1": "GS1-128", "]Q3": "GS1 QR Code", "]e0": "GS1 DataBar"}


@dataclass(frozen=True)
class _Ai:
    """An Application Identifier's data: its length (min, max) and what it may hold."""

    min_len: int
    max_len: int
    form: str  # "gtin", "date" or "cset82"

    @property
    def fixed(self) -> bool:
        return self.min_len == self.max_len


#: The Application Identifiers recognised, with their GS1 General Specifications format.
AIS: dict[str, _Ai] = {
    "01": _Ai(14, 14, "gtin"),    # N2+N14, GTIN
    "10": _Ai(1, 20, "cset82"),   # N2+X..20, batch or lot number
    "11": _Ai(6, 6, "date"),      # N2+N6, production date YYMMDD
    "15": _Ai(6, 6, "date"),      # N2+N6, best before date YYMMDD
    "17": _Ai(6, 6, "date"),      # N2+N6, expiration date YYMMDD
    "21": _Ai(1, 20, "cset82"),   # N2+X..20, serial number
}

_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_DATE = re.compile(r"[0-9]{2}(0[1-9]|1[0-2])(0[0-9]|[12][0-9]|3[01])")


@dataclass(frozen=True)
class ElementString:
    """A recognised GS1 element string: the symbology (when the scanner said it) and its
    fields in order. The values (GTIN, batch, serial...) are kept out of the repr."""

    symbology: str | None
    elements: tuple[tuple[str, str], ...] = field(repr=False)

    @property
    def ais(self) -> tuple[str, ...]:
        """The Application Identifiers, in order."""
        return tuple(ai for ai, _ in self.elements)


def check_digit(digits: str) -> int:
    """The GS1 check digit of ``digits`` (the number without it): §7.9."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gtin_valid(gtin: str) -> bool:
    """Whether ``gtin`` is 8, 12, 13 or 14 digits whose last is the right check digit."""
    return (len(gtin) in (8, 12, 13, 14) and gtin.isascii() and gtin.isdigit()
            and check_digit(gtin[:-1]) == int(gtin[-1]))


def _valid(ai: _Ai, value: str) -> bool:
    if not ai.min_len <= len(value) <= ai.max_len:
        return False
    if ai.form == "gtin":
        return gtin_valid(value)
    if ai.form == "date":
        return _DATE.fullmatch(value) is not None
    return _CSET82.fullmatch(value) is not None


def _elements(data: str) -> list[tuple[str, str]] | None:
    elements: list[tuple[str, str]] = []
    position = 0
    while position < len(data):
        ai = AIS.get(data[position:position + 2])
        if ai is None or any(data[position:position + 2] == seen for seen, _ in elements):
            return None  # unknown, or said twice: not what a medicine box carries
        start = position + 2
        if ai.fixed:
            end = start + ai.max_len
            after = end + 1 if data[end:end + 1] == GS else end
        else:
            separator = data.find(GS, start)
            end = len(data) if separator < 0 else separator
            after = end + 1
        value = data[start:end]
        if not _valid(ai, value):
            return None
        elements.append((data[position:start], value))
        position = after
    return elements


def parse(payload: bytes) -> ElementString | None:
    """The GS1 element string ``payload`` is, or None (module docstring: what counts).

    Pure and cheap: a payload that does not start like one is refused after a
    few characters, so every captured code can go through it first.
    """
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        return None
    symbology = None
    if text.startswith("]"):
        symbology = text[:3]
        if symbology not in SYMBOLOGY_IDENTIFIERS:
            return None
        text = text[3:]
    if text.startswith(GS):
        text = text[1:]
    if not text or text[:2] not in AIS:
        return None
    elements = _elements(text)
    if not elements or "01" not in (ai for ai, _ in elements):
        return None
    return ElementString(symbology, tuple(elements))
