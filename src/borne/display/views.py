"""What each screen shows: one frozen dataclass per screen, holding only what is drawn.

A view is built by the display state (from events) and turned into pixels by
:func:`borne.display.render.render`. It carries no more than the screen needs:
counts, labels and codes, never a NIR nor a birth date. The carte Vitale screen
has a beneficiary count only; the CPS screen may show its holder's name (the
professional at the counter, not a patient). As a second guard, every text
field is checked on construction and a NIR- or date-shaped value is refused.

=====================  ===================================================
View                   Screen
=====================  ===================================================
``IdleView``           waiting: "Insérez votre carte CPS" or "Prêt"
``CpsView``            "Carte CPS lue", holder, profession
``VitaleView``         "Carte Vitale lue", "3 bénéficiaires"
``ApcvPresentedView``  "Appli carte Vitale lue" (QR code, NFC...)
``SessionView``        "Session : 14 min", "Facture 1/2"
``ReauthView``         "Représentez l'appli carte Vitale" and why
``PrescriptionView``   "Ordonnance scannée"
``PairingView``        the pairing code, very large, and its countdown
``ErrorView``          one short sentence per error code
``MobileView``         "Hors ligne", reads waiting, battery
``UpdateView``         "Mise à jour… 42 %", "Redémarrage", "Version 1.5.0"
=====================  ===================================================

:class:`StatusStrip` holds the small marks (clock not synchronised, battery)
that any screen may show in its top-right corner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Literal

__all__ = [
    "ApcvPresentedView",
    "CpsView",
    "ErrorView",
    "IdleView",
    "MobileView",
    "PairingView",
    "PrescriptionView",
    "ReauthView",
    "SessionView",
    "StatusStrip",
    "UpdateView",
    "WifiJoinedView",
    "WifiOfferView",
    "View",
    "VitaleView",
    "looks_like_identity",
]

# A NIR/NIA once spaces, dots and dashes are gone: sex digit, year, month,
# department (digits or 2A/2B), commune, order = 13 characters (+ 2-digit key).
_NIR = re.compile(r"[1-8]\d{4}(?:\d{2}|2[AB])\d{6}", re.IGNORECASE)
# Birth dates as cards and people write them: 19800512, 12/05/1980, 1980-05-12.
_DATE = re.compile(r"(?<!\d)(?:(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                   r"|\d{2}[/.\-]\d{2}[/.\-]\d{4}|\d{4}-\d{2}-\d{2})(?!\d)")
_SEPARATORS = re.compile(r"[\s.\-]")


def looks_like_identity(value: str) -> bool:
    """True if ``value`` holds something shaped like a NIR or a birth date."""
    return bool(_NIR.search(_SEPARATORS.sub("", value)) or _DATE.search(value))


class View:
    """Base of every screen: refuses identity-shaped text in any field."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for field in fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, str) and looks_like_identity(value):
                raise ValueError(f"{type(self).__name__}.{field.name}: a screen never shows a NIR "
                                 "nor a birth date")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class StatusStrip:
    """Small marks for the top-right corner of any screen.

    ``clock_synced=False`` draws a clock and "?" (wall time not to be trusted);
    ``battery_percent`` (0..100, None: no battery) draws a gauge, with a bolt
    when ``charging``; ``wifi_signal`` (0..100, None: not on Wi-Fi) draws three bars.
    """

    clock_synced: bool = True
    battery_percent: int | None = None
    charging: bool = False
    wifi_signal: int | None = None


@dataclass(frozen=True, slots=True)
class IdleView(View):
    """Waiting for a card: asks for the CPS, or says ready with the CPS's profession.

    ``readers`` counts the card readers seen, ``readers_ok`` is False when one is
    in fault; ``network`` is the box's address (None: offline); ``cps_profession``
    is the stable key read from the CPS (``pharmacist``...), else the site's
    (``[apcv] site_profession``), None without a CPS. ``profession_unset``: a CPS is
    in but neither it nor the site says the profession (the installer's setting to
    make: the apCV quota falls back to 1 invoice).
    """

    readers: int
    readers_ok: bool
    network: str | None
    mode: Literal["counter", "mobile"]
    clock_synced: bool
    paired_clients: int
    cps_profession: str | None = None
    profession_unset: bool = False

    def __post_init__(self) -> None:
        View.__post_init__(self)
        _require(self.mode in ("counter", "mobile"), f"unknown mode {self.mode!r}")
        _require(self.readers >= 0 and self.paired_clients >= 0, "counts are never negative")


@dataclass(frozen=True, slots=True)
class CpsView(View):
    """A CPS was read: its holder's name and profession key (either may be unknown)."""

    holder: str | None
    profession: str | None


@dataclass(frozen=True, slots=True)
class VitaleView(View):
    """A carte Vitale was read. Only the number of beneficiaries: no name, no NIR."""

    beneficiaries: int

    def __post_init__(self) -> None:
        View.__post_init__(self)
        _require(self.beneficiaries >= 0, "a count is never negative")


@dataclass(frozen=True, slots=True)
class ApcvPresentedView(View):
    """An appli carte Vitale was presented over ``channel`` (qr, scanner, nfc, contactless)."""

    channel: str


@dataclass(frozen=True, slots=True)
class SessionView(View):
    """An apCV session is open: time left and invoices claimed out of those allowed."""

    seconds_left: int
    invoices_used: int
    invoices_allowed: int

    def __post_init__(self) -> None:
        View.__post_init__(self)
        _require(self.invoices_used >= 0 and self.invoices_allowed >= 1,
                 "invoices: used >= 0 and allowed >= 1")


@dataclass(frozen=True, slots=True)
class ReauthView(View):
    """The patient must present the app again: its invoices are used, or time is up."""

    reason: Literal["quota", "expired"]

    def __post_init__(self) -> None:
        View.__post_init__(self)
        _require(self.reason in ("quota", "expired"), f"unknown reauth reason {self.reason!r}")


@dataclass(frozen=True, slots=True)
class PrescriptionView(View):
    """An e-prescription QR code was scanned (its number is not shown)."""


@dataclass(frozen=True, slots=True)
class PairingView(View):
    """The pairing window is open: the short code to type on the workstation.

    ``contested``: exchanges came from more than one device; ``wrong_codes``: wrong
    codes spent in this window. Either tells the owner someone else may be trying
    (reopening the window starts afresh).
    """

    code: str
    seconds_left: int
    contested: bool = False
    wrong_codes: int = 0

    def __post_init__(self) -> None:
        # Random digits, too short for a NIR: checked as such, since an 8-digit code
        # may look like a date to the generic check.
        _require(self.code.isascii() and self.code.isdigit() and 4 <= len(self.code) <= 8,
                 "a pairing code is 4 to 8 digits")


@dataclass(frozen=True, slots=True)
class ErrorView(View):
    """Something failed: ``code`` is a stable error code (``reader_unavailable``...)."""

    code: str

    def __post_init__(self) -> None:
        View.__post_init__(self)
        # Codes are snake_case identifiers: this also keeps any data out of the screen.
        _require(re.fullmatch(r"[a-z][a-z0-9_]{0,63}", self.code) is not None,
                 f"not an error code: {self.code[:20]!r}")


@dataclass(frozen=True, slots=True)
class WifiOfferView(View):
    """A phone's Wi-Fi code was shown: join ``ssid``? (the button, within ``seconds_left``).
    The SSID was checked by :mod:`borne.network.wifi_code` (no control nor bidi character);
    the password is never here."""

    ssid: str
    seconds_left: int


@dataclass(frozen=True, slots=True)
class WifiJoinedView(View):
    """The box joined ``ssid``; ``address`` is where it answers there."""

    ssid: str
    address: str | None


@dataclass(frozen=True, slots=True)
class MobileView(View):
    """Mobile mode, offline: reads kept for the billing software, and the battery."""

    battery_percent: int | None
    charging: bool
    reads_waiting: int

    def __post_init__(self) -> None:
        View.__post_init__(self)
        _require(self.reads_waiting >= 0, "a count is never negative")


@dataclass(frozen=True, slots=True)
class UpdateView(View):
    """An update: installing (``percent``), ready and waiting for its reboot, rebooting,
    then after the boot ``committed`` (the new ``version``) or ``rolled_back`` (the version
    running again)."""

    phase: Literal["installing", "ready", "rebooting", "committed", "rolled_back"]
    percent: int = 0
    version: str | None = None

    def __post_init__(self) -> None:
        View.__post_init__(self)
        _require(self.phase in ("installing", "ready", "rebooting", "committed", "rolled_back"),
                 f"unknown update phase {self.phase!r}")
        _require(0 <= self.percent <= 100, "a percent is 0 to 100")
        _require(self.version is None or re.fullmatch(r"[0-9A-Za-z.+~_-]{1,32}", self.version)
                 is not None, "a version is a short word")
