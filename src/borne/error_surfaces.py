"""What the error catalogue is made of: where a code shows (:class:`Surface`), its words
(:class:`Message`), one row (:class:`Entry`). The rows are in :mod:`borne.error_catalogue`
and :mod:`borne.error_catalogue_workstation`; this module imports nothing of borne.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, auto

__all__ = ["API", "CAPTURE", "CARD", "CHANNEL", "CLI", "CONFIG", "DAEMON", "LEASE_LOST", "SIM",
           "WORKSTATION", "Entry", "Message", "Surface", "catalogue"]


class Surface(Flag):
    """Where a code can show. ``API`` and ``CHANNEL`` are checked against the source and the
    OpenAPI document by the tests; the others tell a reader where to look."""

    #: Card reads: ``card.error`` events, a slot's ``error`` (API, ``borne status``), the screen.
    CARD = auto()
    #: The presentation inputs (QR camera, scanner, NFC): ``capture.error`` events, the screen.
    CAPTURE = auto()
    #: The HTTP API's error body ``{"error", "message", "details"}`` (with an HTTP status).
    API = auto()
    #: The APDU channel's ``{"op": "error"}`` messages (docs/apdu-channel.md).
    CHANNEL = auto()
    #: The reason of the APDU channel's ``{"op": "lease_lost"}`` message.
    LEASE_LOST = auto()
    #: The control socket and the ``borne`` command.
    CLI = auto()
    #: A configuration file refused (the CLI, the daemon's log, ``borne doctor``).
    CONFIG = auto()
    #: The daemon's log and its devices' states (``devices`` in ``/v1/status``, ``borne doctor``).
    DAEMON = auto()
    #: The simulator and ``borne sim ...``.
    SIM = auto()
    #: The workstation's side: the SDK's ``BoxError``, ``borne client ...``, the bridge.
    WORKSTATION = auto()


CARD, CAPTURE, API, CHANNEL, LEASE_LOST = (Surface.CARD, Surface.CAPTURE, Surface.API,
                                           Surface.CHANNEL, Surface.LEASE_LOST)
CLI, CONFIG, DAEMON, SIM, WORKSTATION = (Surface.CLI, Surface.CONFIG, Surface.DAEMON,
                                         Surface.SIM, Surface.WORKSTATION)


@dataclass(frozen=True)
class Message:
    """One human message in both languages."""

    fr: str
    en: str

    def get(self, language: str) -> str:
        """The message in ``language`` ("fr" or "en"); French for anything else."""
        return self.en if language == "en" else self.fr

    @classmethod
    def same(cls, text: str) -> Message:
        """Words that are the same in both languages: a path, an id, a number."""
        return cls(text, text)


@dataclass(frozen=True)
class Entry:
    """One code of the catalogue: where it shows, and its words (None: none yet)."""

    code: str
    surfaces: Surface
    message: Message | None


def catalogue(*rows: tuple) -> dict[str, Entry]:
    """The table from its rows ``(code, surfaces[, fr, en])``; a code declared twice is a bug."""
    table: dict[str, Entry] = {}
    for code, surfaces, *words in rows:
        if code in table:
            raise ValueError(f"error code {code!r} is declared twice")
        table[code] = Entry(code, surfaces, Message(*words) if words else None)
    return table
