"""The ``[apcv]`` section: the session policy and the recognition rules, checked when read.

The section is the apCV subsystem's own: :mod:`borne.config` reads it into
:class:`ApcvConfig` (and re-exports it), and the checks below run whenever one
is built, from a file or in code. A refusal is a
:class:`~borne.errors.ConfigError` naming the key as the file writes it.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ..errors import ConfigError
from ..section import Section
from .recognise import compile_rules

__all__ = ["DEFAULT_RULES", "ApcvConfig", "RecognitionRule"]


class RecognitionRule(Section):
    """One rule: payloads it matches are of ``kind``. Every condition given must hold."""

    kind: Literal["apcv", "prescription", "unknown"]
    #: Only for payloads from these channels (empty: any).
    channels: list[str] = msgspec.field(default_factory=list)
    #: A regular expression the whole payload, read as text, must match.
    pattern: str | None = None
    #: Hex prefix the raw payload must start with.
    prefix_hex: str | None = None
    min_bytes: int = 0
    max_bytes: int | None = None


#: The built-in rules. The prescription number's shape is public (18 upper-case
#: letters and digits, domain sample ``01S2TBPZ2JCNZZYGHZ``). The apCV's payloads
#: are NOT public: whatever the apCV application answered over NFC is taken as an
#: apCV presentation, and so is any other QR payload of 64 bytes or more that is
#: not a web address. The 64-byte floor is a heuristic of ours, not a known
#: property of the apCV: it keeps product codes, words and short references out.
#: The billing software authenticates every presentation and refuses what is not
#: an apCV. A deployment that knows better narrows these rules.
DEFAULT_RULES = (
    RecognitionRule(kind="prescription", pattern=r"[0-9A-Z]{18}"),
    RecognitionRule(kind="apcv", channels=["nfc", "pcsc_contactless"]),
    RecognitionRule(kind="unknown", pattern=r"(?i)https?://.*"),
    RecognitionRule(kind="apcv", min_bytes=64),
)


class ApcvConfig(Section):
    """The apCV session policy and the recognition of captured payloads.

    The quota follows a profession (``pharmacist``, ``nurse``, ``doctor``..., the
    stable keys of the TRE_G15 codes); the Assurance Maladie's rule is 2 invoices
    per session for pharmacists and nurses, 1 for every other profession. The
    profession is, in this order: the one decoded from the CPS in the box where its
    layout is known (``CpsCard.profession``); else ``site_profession``, set once at
    install (a real CPS does not give its profession in public form); else none,
    and the session gets ``invoices_default``.
    """

    #: How long a session lasts (the Assurance Maladie's rule: 20 minutes).
    session_seconds: float = 1200.0
    #: Invoices per session by profession; other professions get ``invoices_default``.
    invoices_by_profession: dict[str, int] = msgspec.field(
        default_factory=lambda: {"pharmacist": 2, "nurse": 2})
    invoices_default: int = 1
    #: The site's profession, a TRE_G15 code (``"21"`` pharmacist, ``"60"`` nurse): used when
    #: the CPS in the box does not say its own. Set at install; None: not set.
    site_profession: str | None = None
    #: A presentation not fetched by a billing client within this time is forgotten.
    presentation_ttl_s: float = 120.0
    #: Payloads larger than this are refused (a QR code holds at most 2953 bytes).
    max_payload_bytes: int = 4096
    #: Ordered recognition rules; the first that matches names the payload.
    rules: list[RecognitionRule] = msgspec.field(default_factory=lambda: list(DEFAULT_RULES))

    def __post_init__(self) -> None:
        try:
            compile_rules(self.rules)  # the service compiles them the same way
        except ValueError as error:
            raise ConfigError(str(error), key="apcv.rules") from None
        if self.session_seconds <= 0 or self.invoices_default < 1 \
                or any(n < 1 for n in self.invoices_by_profession.values()):
            raise ConfigError("a positive duration and at least 1 invoice", key="apcv")
        if self.site_profession is not None and self.site_profession_key() is None:
            raise ConfigError(f"{self.site_profession!r} is not a TRE_G15 profession code "
                              "(\"21\" pharmacist, \"60\" nurse...)", key="apcv.site_profession")

    def site_profession_key(self) -> str | None:
        """The stable key of ``site_profession`` (``"21"`` -> ``pharmacist``); None if unset."""
        if self.site_profession is None:
            return None
        # Late: the table lives with the CPS decoder; only a box that sets the key loads it.
        from ..readers.cards.cps import profession_for

        return profession_for(self.site_profession)[0]
