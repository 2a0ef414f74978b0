"""The error hierarchy; the codes and their words are in :mod:`borne.error_catalogue`.

Every error the box reports to a person or a program carries a stable ``code``
(snake_case, never renamed once shipped) and a message in French and English.
Lower-layer exceptions (pyscard, OS errors...) are translated into these at the
backend boundary, most specific first. No error knows HTTP: the API chooses the
status of each code (:mod:`borne.api.statuses`).

Hierarchy::

    BorneError
     ├── ConfigError (also ValueError)      a config file or value is wrong
     ├── BackendError                       a device backend cannot be loaded
     │    └── UnknownBackend (also LookupError)
     ├── CardError                          reading a card failed (the catalogue's CARD codes)
     └── ControlError                       the local control socket refused or failed
"""

from __future__ import annotations

from typing import Any

from .error_catalogue import MESSAGES, Message, message_for

__all__ = [
    "MESSAGES",
    "BackendError",
    "BorneError",
    "CardError",
    "ConfigError",
    "ControlError",
    "Message",
    "UnknownBackend",
    "message_for",
]


class BorneError(Exception):
    """Root of every error raised by borne.

    ``code`` is stable and machine-readable; ``details`` never holds identity
    data (names, NIR, birth dates) nor a PIN.
    """

    code = "error"

    def __init__(self, detail: str = "", *, code: str | None = None, **details: Any) -> None:
        if code is not None:
            self.code = code
        self.detail = detail
        self.details = details
        super().__init__(detail or message_for(self.code, "en"))

    def message(self, language: str = "fr") -> str:
        """A sentence for a person: the catalogue message, then the detail."""
        base = message_for(self.code, language)
        return f"{base} : {self.detail}" if self.detail and language != "en" else (
            f"{base}: {self.detail}" if self.detail else base
        )


class ConfigError(BorneError, ValueError):
    """A configuration file or value is wrong; names the file and the key."""

    code = "config_invalid"

    def __init__(self, detail: str, *, file: str | None = None, key: str | None = None) -> None:
        where = ", ".join(p for p in (f"file {file}" if file else "", f"key {key}" if key else "") if p)
        super().__init__(f"{detail} ({where})" if where else detail, file=file, key=key)
        self.file = file
        self.key = key


class BackendError(BorneError):
    """A device backend could not be loaded or started."""

    code = "backend_error"


class UnknownBackend(BackendError, LookupError):
    """A path string names no registered backend."""

    code = "unknown_backend"


class CardError(BorneError):
    """Reading a card failed; ``code`` is one of the catalogue's ``Surface.CARD`` codes."""

    code = "card_protocol_error"


class ControlError(BorneError):
    """The local control socket refused a request or could not be reached."""

    code = "control_unavailable"
