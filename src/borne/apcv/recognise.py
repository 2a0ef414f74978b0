"""What a captured payload is: apCV, prescription or unknown, by configurable rules.

The rules come from ``[apcv] rules`` (see :class:`borne.apcv.settings.RecognitionRule`):
ordered, the first that matches wins, a payload no rule matches is ``unknown``.
Only the prescription number's shape is public (18 upper-case letters and
digits); apCV payloads are not, so the box never parses them (domain notes).

Before the rules, a payload from the camera or the scanner that is a GS1
element string (:mod:`borne.domain.gs1`: the DataMatrix of a medicine box, which
a pharmacy's scanner reads all day) is ``gs1``, whatever the rules say: a
medicine box is never an apCV, and not an error either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..domain import gs1
from ..errors import BorneError

__all__ = ["GS1_CHANNELS", "CompiledRule", "PayloadRejected", "Recognised", "compile_rules",
           "recognise"]

Kind = Literal["apcv", "prescription", "unknown", "gs1"]

#: The channels that read printed symbols, where GS1 codes come from (not NFC: whatever
#: the apCV application answers there is the app's).
GS1_CHANNELS = frozenset({"qr_camera", "qr_scanner"})


class PayloadRejected(BorneError):
    """A payload the box refuses outright (empty, too large); ``code`` says which."""


@dataclass(frozen=True)
class Recognised:
    """The verdict on one payload. ``text`` is the payload as text when it is text."""

    kind: Kind
    rule: int | None
    text: str | None


@dataclass(frozen=True)
class CompiledRule:
    """A :class:`~borne.apcv.settings.RecognitionRule` ready to match."""

    kind: Kind
    channels: frozenset[str]
    pattern: re.Pattern[str] | None
    prefix: bytes | None
    min_bytes: int
    max_bytes: int | None

    def matches(self, payload: bytes, text: str | None, channel: str) -> bool:
        """Whether every condition of the rule holds for ``payload``."""
        if self.channels and channel not in self.channels:
            return False
        if len(payload) < self.min_bytes:
            return False
        if self.max_bytes is not None and len(payload) > self.max_bytes:
            return False
        if self.prefix is not None and not payload.startswith(self.prefix):
            return False
        if self.pattern is not None and (text is None or not self.pattern.fullmatch(text)):
            return False
        return True


def compile_rules(rules: Sequence[object]) -> list[CompiledRule]:
    """Compile config rules; a bad regular expression or hex prefix is a ``ValueError``."""
    compiled = []
    for index, rule in enumerate(rules):
        pattern = getattr(rule, "pattern", None)
        prefix = getattr(rule, "prefix_hex", None)
        try:
            regex = re.compile(pattern) if pattern is not None else None
        except re.error as error:
            raise ValueError(f"rule {index}: bad pattern: {error}") from None
        try:
            raw_prefix = bytes.fromhex(prefix) if prefix is not None else None
        except ValueError:
            raise ValueError(f"rule {index}: prefix_hex is not hex") from None
        compiled.append(CompiledRule(rule.kind, frozenset(rule.channels), regex, raw_prefix,
                                     rule.min_bytes, rule.max_bytes))
    return compiled


def _as_text(payload: bytes) -> str | None:
    """The payload as text if it is printable UTF-8, else None (binary payloads)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(ch) < 0x20 and ch not in "\t\r\n" for ch in text):
        return None
    return text


def recognise(payload: bytes, channel: str, rules: Sequence[CompiledRule],
              max_bytes: int) -> Recognised:
    """Name ``payload``: ``gs1`` for a medicine box's code, else by the first rule that matches.

    Raises :class:`PayloadRejected` (``capture_empty``, ``capture_too_large``)
    for a payload no rule should even see.
    """
    if not payload:
        raise PayloadRejected("empty payload", code="capture_empty")
    if len(payload) > max_bytes:
        raise PayloadRejected("payload too large", code="capture_too_large",
                              size=len(payload), limit=max_bytes)
    if channel in GS1_CHANNELS and gs1.parse(payload) is not None:
        return Recognised("gs1", None, None)
    text = _as_text(payload)
    for index, rule in enumerate(rules):
        if rule.matches(payload, text, channel):
            return Recognised(rule.kind, index, text)
    return Recognised("unknown", None, text)
