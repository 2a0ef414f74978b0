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

    ``detail`` says more, for a person: a :class:`Message` in both languages, or a
    plain ``str``, which is English (the log's language). A message is never in two
    languages: in French, an English-only detail is left out (the catalogue's words
    alone); words that are the same in both (a path, an id) are ``Message.same(text)``.
    ``self.detail`` is always the English text (logs, ``str(error)``).
    """

    code = "error"

    def __init__(self, detail: str | Message = "", *, code: str | None = None,
                 **details: Any) -> None:
        if code is not None:
            self.code = code
        #: The detail in both languages, when it has French words.
        self.words = detail if isinstance(detail, Message) else None
        self.detail = detail.en if isinstance(detail, Message) else detail
        self.details = details
        super().__init__(self.detail or message_for(self.code, "en"))

    def detail_in(self, language: str) -> str:
        """The detail in ``language`` ("" when it has no words in that language)."""
        if self.words is not None:
            return self.words.get(language)
        return self.detail if language == "en" else ""

    def message(self, language: str = "fr") -> str:
        """A sentence for a person, in one language: the catalogue message, then the detail."""
        base = message_for(self.code, language)
        detail = self.detail_in(language)
        if not detail:
            return base
        return f"{base}: {detail}" if language == "en" else f"{base} : {detail}"


class ConfigError(BorneError, ValueError):
    """A configuration file or value is wrong; names the file and the key."""

    code = "config_invalid"

    def __init__(self, detail: str | Message, *, file: str | None = None,
                 key: str | None = None) -> None:
        reason = detail if isinstance(detail, Message) else Message("", detail)
        where = Message(", ".join(p for p in (f"fichier {file}" if file else "",
                                              f"clé {key}" if key else "") if p),
                        ", ".join(p for p in (f"file {file}" if file else "",
                                              f"key {key}" if key else "") if p))
        # The file and the key in either language; the reason where it has words in it.
        words = Message(*(f"{why} ({place})" if why and place else why or place
                          for why, place in ((reason.fr, where.fr), (reason.en, where.en))))
        super().__init__(words, file=file, key=key)
        #: Why, without the file and the key (a ``Message``, or English words).
        self.reason = detail
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
