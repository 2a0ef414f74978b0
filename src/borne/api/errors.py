"""The API's one error shape: ``{"error": code, "message": text, "details": {...}}``.

Codes are stable and documented in the OpenAPI document, their words come from
:mod:`borne.error_catalogue` and their HTTP statuses from :mod:`borne.api.statuses`;
the message follows the request's ``Accept-Language`` (French unless English is
asked for, or the box's language setting); nothing else about the failure leaks
(no stack trace).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import BorneError, message_for

__all__ = ["ApiError", "error_response", "language_of"]


class ApiError(BorneError):
    """A request the API itself refuses; its status is the code's (borne.api.statuses)."""

    def __init__(self, code: str, detail: str = "", **details: Any) -> None:
        super().__init__(detail, code=code, **details)


def language_of(request: web.Request, default: str = "fr") -> str:
    """``en`` when the client prefers English, else ``default``."""
    accept = request.headers.get("Accept-Language", "").lower()
    for part in accept.split(","):
        tag = part.split(";")[0].strip()
        if tag.startswith("fr"):
            return "fr"
        if tag.startswith("en"):
            return "en"
    return default


def error_response(status: int, code: str, language: str, details: dict[str, Any] | None = None,
                   *, headers: dict[str, str] | None = None) -> web.Response:
    """The JSON error response."""
    return web.json_response({"error": code, "message": message_for(code, language),
                              "details": details or {}}, status=status, headers=headers)
