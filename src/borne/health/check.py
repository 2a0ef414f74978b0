"""The outcome of one health check, and the stable codes a check can end with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["CODES", "STATUSES", "Check", "worst"]

#: From best to worst. ``borne doctor`` exits 1 when any check is ``fail``.
STATUSES = ("ok", "warn", "fail")

#: Every code a check may end with (snake_case, never renamed once shipped). "ok" and
#: "not_configured" are healthy; every other code names a problem and comes with a fix.
CODES = (
    "ok", "not_configured",
    # configuration
    "config_invalid", "config_fallback",
    # smart cards
    "pyscard_missing", "pcscd_down", "pcsc_error", "no_reader",
    # devices the daemon drives (state reported by their backend)
    "camera_unavailable", "camera_error", "camera_starting",
    "scanner_unavailable", "scanner_error", "scanner_starting",
    "nfc_unavailable", "nfc_error", "nfc_starting",
    "display_unavailable", "display_error", "display_starting",
    "panel_unavailable", "panel_error",
    "api_error", "storage_error", "storage_full", "journal_unavailable", "journal_error", "journal_starting", "device_unavailable", "device_error",
    "mdns_unavailable", "mdns_error",
    # updates (RAUC): a tried system not committed yet, rolled back, an install failed
    "update_trial", "update_rolled_back", "update_error",
    # the USB reader: a board without a device port, a transport that failed
    "usb_unsupported", "usb_error",
    # the network's link: no network at all, a weak Wi-Fi signal
    "network_offline", "network_weak_signal",
    # the battery (mobile box)
    "battery_low", "battery_critical", "battery_error",
    # the data partition
    "data_dir_missing", "data_dir_not_writable", "disk_low", "disk_full", "inodes_low",
    "inodes_full", "disk_unreadable",
    # time and certificates
    "clock_unsynchronised", "cert_not_created", "cert_unreadable", "cert_invalid",
    "cert_expiring", "cert_expired", "cert_not_yet_valid", "client_cert_expiring",
    "client_cert_expired",
    # the board secret wrapping the box's keys (borne doctor)
    "box_secret_unprogrammed", "box_secret_unavailable", "box_secret_file",
    # the machine, seen by `borne doctor` only
    "group_missing", "daemon_down", "daemon_forbidden",
)
_HEALTHY = {"ok", "not_configured", "cert_not_created"}


@dataclass(frozen=True)
class Check:
    """One check's outcome.

    ``name`` says what was checked (``pcscd``, ``camera``, ``disk``...), ``status``
    is "ok", "warn" or "fail", ``code`` is one of :data:`CODES`, and ``detail_*``
    and ``fix_*`` say, in French and English, what was found and what to do.
    A check that is not "ok" always says what to do.
    """

    name: str
    status: str
    detail_fr: str
    detail_en: str
    fix_fr: str = ""
    fix_en: str = ""
    code: str = "ok"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")
        if self.code not in CODES:
            raise ValueError(f"code {self.code!r} is not in borne.health.CODES")
        if self.status != "ok" and (self.code in _HEALTHY or not (self.fix_fr and self.fix_en)):
            raise ValueError(f"{self.name}: a {self.status} needs a problem code and a fix")

    def detail(self, language: str) -> str:
        """What was found, in ``language`` ("fr" or "en")."""
        return self.detail_en if language == "en" else self.detail_fr

    def fix(self, language: str) -> str:
        """What to do, in ``language`` ("" when nothing)."""
        return self.fix_en if language == "en" else self.fix_fr

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``GET /v1/status``: both languages, ``fix`` null when there is nothing to do."""
        return {"name": self.name, "code": self.code, "status": self.status,
                "detail": {"fr": self.detail_fr, "en": self.detail_en},
                "fix": {"fr": self.fix_fr, "en": self.fix_en} if self.fix_fr else None}


def worst(checks: Iterable[Check]) -> str:
    """The worst status among ``checks`` ("ok" for none)."""
    return max((c.status for c in checks), key=STATUSES.index, default="ok")
