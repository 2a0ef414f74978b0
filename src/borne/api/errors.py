"""The API's one error shape: ``{"error": code, "message": text, "details": {...}}``.

Codes are stable and documented in the OpenAPI document; the message follows
the request's ``Accept-Language`` (French unless English is asked for, or the
box's language setting); nothing else about the failure leaks (no stack trace).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import BorneError, Message, message_for

__all__ = ["API_MESSAGES", "ApiError", "error_response", "language_of"]

#: Codes only the API uses (the shared ones live in borne.errors.MESSAGES).
API_MESSAGES: dict[str, Message] = {
    "unauthenticated": Message(
        "Certificat client de cette borne requis (appairez le poste)",
        "A client certificate issued by this box is required (pair the workstation)"),
    "client_revoked": Message("Ce poste a été révoqué", "This workstation has been revoked"),
    "forbidden": Message("Action réservée à un poste administrateur",
                         "Action reserved to an admin workstation"),
    "not_found": Message("Ressource introuvable", "Resource not found"),
    "method_not_allowed": Message("Méthode non autorisée", "Method not allowed"),
    "bad_request": Message("Requête invalide", "Invalid request"),
    "payload_too_large": Message("Requête trop volumineuse", "Request too large"),
    "header_too_large": Message("En-têtes de requête trop volumineux",
                                "Request headers too large"),
    "no_camera": Message("Cette borne n'a pas de caméra", "This box has no camera"),
    "no_card": Message("Aucune carte lue dans cet emplacement", "No card read in this slot"),
    "internal_error": Message("Erreur interne de la borne", "Internal error of the box"),
    "clock_synchronised": Message(
        "L'horloge de la borne est déjà synchronisée (NTP) : elle ne peut pas être changée",
        "The box's clock is already synchronised (NTP): it cannot be changed"),
    "clock_implausible": Message(
        "Heure refusée : antérieure à la fabrication de la borne, trop lointaine, ou sans fuseau",
        "Time refused: before the box was built, too far ahead, or without a time zone"),
}


class ApiError(BorneError):
    """An error answered to an API client with an HTTP status."""

    def __init__(self, status: int, code: str, detail: str = "", **details: Any) -> None:
        super().__init__(detail, code=code, **details)
        self.status = status


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


def _text(code: str, language: str) -> str:
    message = API_MESSAGES.get(code)
    return message.get(language) if message else message_for(code, language)


def error_response(status: int, code: str, language: str, details: dict[str, Any] | None = None,
                   *, headers: dict[str, str] | None = None) -> web.Response:
    """The JSON error response."""
    return web.json_response({"error": code, "message": _text(code, language),
                              "details": details or {}}, status=status, headers=headers)
