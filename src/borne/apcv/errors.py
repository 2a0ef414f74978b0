"""The apCV layer's refusals, each with a stable code (the API chooses their HTTP statuses)."""

from __future__ import annotations

from typing import Any

from ..errors import BorneError

__all__ = ["ApcvError"]


class ApcvError(BorneError):
    """A refusal of the presentation store or the session book: ``presentation_*``,
    ``no_cps``, ``session_not_found``, ``session_expired``, ``reauthentication_required``,
    ``invoice_not_found``, ``invoice_released``, ``invoice_confirmed``."""

    def __init__(self, detail: str = "", *, code: str, **details: Any) -> None:
        super().__init__(detail, code=code, **details)
