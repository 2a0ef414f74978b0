"""ATR parsing, ATR matching and the table of card families the box knows.

Sources of the table (each entry repeats its own):

- OpenSC PR #2217 ("CPX" driver): CPS3 ATR and mask;
- ANS Cryptolib CPS, repository ansforge/dops-cryptolib,
  ``_sources/_old/Sources_PKCS11_Cryptolib_CPS_v5.2/pkcs11/opensc/src/libopensc/card-cps.c``
  (``CPS_ATR_LIST``): CPS3 contact/contactless and the three CPS4 ATRs;
- Debian pcsc-tools ``/usr/share/pcsc/smartcard_list.txt`` (Ludovic Rousseau):
  Vitale 1 (inverse convention, ``3F 65 25 00 ...``) and Vitale 2
  (``3B 75 13 00 00 4x 09 EA 90 00`` and ``3B 75 13 00 00 45 09 FA 90 00``) entries.

A Vitale 2 ATR is only a *hint*: the card is recognised by its answers to the
public selections (see ``vitale.py``). The same public list names unknown
cards: :func:`atr_names` parses it lazily and tolerates its absence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

__all__ = [
    "KNOWN_CARDS",
    "SMARTCARD_LIST",
    "AtrInfo",
    "AtrPattern",
    "KnownCard",
    "atr_names",
    "classify",
    "format_atr",
    "parse_atr",
]

#: Where Debian's pcsc-tools installs its public ATR list.
SMARTCARD_LIST = Path("/usr/share/pcsc/smartcard_list.txt")

CardFamily = Literal["cps3", "cps3_contactless", "cps4", "vitale1", "vitale2"]


def format_atr(atr: bytes) -> str:
    """``3B 75 13 ...``: the spelling used by smartcard_list.txt."""
    return bytes(atr).hex(" ").upper()


@dataclass(frozen=True)
class AtrInfo:
    """The parts of an ATR (ISO/IEC 7816-3 §8.2) needed to classify a card."""

    convention: Literal["direct", "inverse"]
    protocols: tuple[int, ...]
    historical: bytes
    has_tck: bool


def parse_atr(atr: bytes) -> AtrInfo:
    """Parse TS, T0, the interface bytes and the historical bytes.

    Raises ValueError on an ATR that is too short for what it announces.
    """
    atr = bytes(atr)
    if len(atr) < 2:
        raise ValueError("ATR too short")
    if atr[0] == 0x3B:
        convention: Literal["direct", "inverse"] = "direct"
    elif atr[0] == 0x3F:
        # pcsc-lite hands over inverse-convention ATRs already decoded, TS = 3F.
        convention = "inverse"
    else:
        raise ValueError(f"unknown TS byte {atr[0]:02X}")
    k = atr[1] & 0x0F
    y = atr[1] >> 4
    pos = 2
    protocols: list[int] = []
    while True:
        for bit in (0x1, 0x2, 0x4):  # TA, TB, TC
            if y & bit:
                pos += 1
        if not y & 0x8:
            break
        if pos >= len(atr):
            raise ValueError("ATR truncated in its interface bytes")
        td = atr[pos]
        pos += 1
        protocols.append(td & 0x0F)
        y = td >> 4
    if pos + k > len(atr):
        raise ValueError("ATR truncated in its historical bytes")
    historical = atr[pos : pos + k]
    # TCK is present as soon as a protocol other than T=0 is announced.
    has_tck = any(p != 0 for p in protocols)
    return AtrInfo(convention, tuple(protocols) or (0,), historical, has_tck)


@dataclass(frozen=True)
class AtrPattern:
    """An ATR with a mask (OpenSC style) or a smartcard_list.txt regular expression."""

    value: bytes = b""
    mask: bytes | None = None
    regex: str | None = None

    @classmethod
    def hex(cls, value: str, mask: str | None = None) -> AtrPattern:
        """Build from hex text; ``:`` and spaces are ignored."""
        clean = lambda s: bytes.fromhex(s.replace(":", " "))  # noqa: E731
        return cls(clean(value), clean(mask) if mask else None)

    def matches(self, atr: bytes) -> bool:
        """True if ``atr`` matches (same length, masked bytes equal, or the regex)."""
        if self.regex is not None:
            return re.fullmatch(self.regex, format_atr(atr), re.IGNORECASE) is not None
        if len(atr) != len(self.value):
            return False
        mask = self.mask or b"\xff" * len(self.value)
        return all((a & m) == (v & m) for a, v, m in zip(atr, self.value, mask))


@dataclass(frozen=True)
class KnownCard:
    """A card family the box recognises by ATR, and where that fact comes from."""

    family: CardFamily
    label: str
    pattern: AtrPattern
    source: str
    #: A hint only: the card must still prove what it is by its answers.
    hint: bool = field(default=False)


_DOPS = "ansforge/dops-cryptolib .../libopensc/card-cps.c CPS_ATR_LIST"
_PCSC = "pcsc-tools smartcard_list.txt"

KNOWN_CARDS: tuple[KnownCard, ...] = (
    # Exact CPS4 ATRs first: the CPS4 T=0 ATR also fits the CPS3 mask below
    # (dops-cryptolib compares exactly; OpenSC uses the mask).
    KnownCard("cps4", "CPS4 (ChipDoc)", AtrPattern.hex("3B9B188001001225006480040100009044"), _DOPS),
    KnownCard(
        "cps4", "CPS4 (ChipDoc, RC)", AtrPattern.hex("3B9B188001001225006480000401009044"), _DOPS
    ),
    KnownCard(
        "cps4", "CPS4 (ChipDoc, T=0)", AtrPattern.hex("3BDC18FF00001225006480000401009000"), _DOPS
    ),
    KnownCard(
        "cps3",
        "CPS3 (IAS-ECC)",
        # OpenSC PR #2217 (CPX); same ATR/mask as CPS3_C_ATR/CPS3_C_MASK in dops-cryptolib.
        AtrPattern.hex(
            "3B:AC:00:40:2A:00:12:25:00:64:80:00:03:10:00:90:00",
            "FF:00:00:00:00:FF:FF:FF:FF:FF:FF:00:00:00:FF:FF:FF",
        ),
        "OpenSC PR #2217; " + _DOPS,
    ),
    KnownCard(
        "cps3_contactless",
        "CPS3 contactless",
        AtrPattern.hex(
            "3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E",
            "FF FF FF FF FF FF FF FF 00 00 FF C0 FF FF FF FF FF FF FF FF",
        ),
        _DOPS + " (CPS3_CL_ATR/MASK); " + _PCSC,
    ),
    # Vitale 1, inverse convention: the smartcard_list.txt entries named "Sesam
    # Vitale"/"carte Vitale" (not every 3F 65 25 00 card: bank cards share the prefix).
    KnownCard("vitale1", "Carte Vitale 1", AtrPattern(regex=r"3F 65 25 00 2[2C] 09 [F6]9 90 00"), _PCSC),
    KnownCard("vitale1", "Carte Vitale 1", AtrPattern(regex=r"3F 65 25 00 52 09 6A 90 00"), _PCSC),
    KnownCard("vitale1", "Carte Vitale 1", AtrPattern(regex=r"3F 65 25 00 A[34] 09 6A 90 00"), _PCSC),
    KnownCard(
        "vitale2",
        "Carte Vitale 2",
        AtrPattern(regex=r"3B 75 13 00 00 4[0-9A-F] 09 EA 90 00"),
        _PCSC,
        hint=True,
    ),
    # The list's one Vitale 2 entry outside the pattern above: FA, not EA, in the 8th
    # byte, named "Carte VItate (HealthCare)" (sic) in smartcard_list.txt
    # (LudovicRousseau/pcsc-tools, commit 3e819c60, 2026-06-03).
    KnownCard(
        "vitale2",
        "Carte Vitale 2",
        AtrPattern(regex=r"3B 75 13 00 00 45 09 FA 90 00"),
        _PCSC,
        hint=True,
    ),
)


def classify(atr: bytes, table: tuple[KnownCard, ...] = KNOWN_CARDS) -> KnownCard | None:
    """The first family of ``table`` whose pattern matches ``atr``, or None."""
    for known in table:
        if known.pattern.matches(atr):
            return known
    return None


@lru_cache(maxsize=4)
def _load_list(path: str) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    entries: list[tuple[re.Pattern[str], tuple[str, ...]]] = []
    pattern: re.Pattern[str] | None = None
    names: list[str] = []

    def flush() -> None:
        if pattern is not None and names:
            entries.append((pattern, tuple(names)))

    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            flush()
            pattern, names = None, []
        elif line.startswith("\t"):
            if pattern is not None and not line.strip().startswith("http"):
                names.append(line.strip())
        else:
            flush()
            names = []
            try:
                pattern = re.compile(line.strip(), re.IGNORECASE)
            except re.error:
                pattern = None  # a malformed line names nothing
    flush()
    return tuple(entries)


def atr_names(atr: bytes, path: Path | str = SMARTCARD_LIST) -> tuple[str, ...]:
    """Names that smartcard_list.txt gives ``atr``; empty if unknown or no list."""
    spelled = format_atr(atr)
    found: list[str] = []
    for pattern, names in _load_list(str(path)):
        if pattern.fullmatch(spelled):
            found.extend(n for n in names if n not in found)
    return tuple(found)
