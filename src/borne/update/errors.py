"""The refusal of an update, with its stable code (:mod:`borne.error_catalogue`)."""

from __future__ import annotations

from typing import Any

from ..errors import BorneError, Message

__all__ = ["REFUSAL_CODES", "UpdateRefused"]

#: Every code an update can be refused or fail with.
REFUSAL_CODES = (
    "update_bad_signature", "update_wrong_compatible", "update_downgrade_refused",
    "update_no_space", "update_battery_low", "update_busy", "update_invalid_bundle",
    "update_unavailable", "update_failed",
)


class UpdateRefused(BorneError):
    """An update refused (before anything is written) or failed; ``code`` is one of
    :data:`REFUSAL_CODES`."""

    code = "update_failed"

    def __init__(self, code: str, detail: str | Message = "", **details: Any) -> None:
        super().__init__(detail, code=code, **details)
