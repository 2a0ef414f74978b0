"""The apCV layer's refusals, each with a stable code and the HTTP status the API answers."""

from __future__ import annotations

from typing import Any

from ..errors import BorneError

__all__ = ["STATUS", "ApcvError"]

#: HTTP status of each refusal (the API's guard answers ``error.status``).
STATUS: dict[str, int] = {
    "presentation_not_found": 404,
    "presentation_already_fetched": 409,
    "presentation_not_fetched": 409,
    "presentation_used": 409,
    "presentation_not_apcv": 409,
    "no_cps": 409,
    "session_not_found": 404,
    "session_expired": 410,
    "reauthentication_required": 409,
}


class ApcvError(BorneError):
    """A refusal of the presentation store or the session book."""

    def __init__(self, detail: str = "", *, code: str, **details: Any) -> None:
        super().__init__(detail, code=code, **details)
        self.status = STATUS[code]
