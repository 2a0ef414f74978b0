"""Logging for the daemon, with identity data kept out by construction.

Two layers, because one mistake must not leak a NIR:

1. :func:`event_logger` logs each event with an allow-list of data keys
   (slot, type, code, state...): a field it does not know is not logged.
2. :class:`RedactingFilter` rewrites any log line that still contains
   something shaped like a NIR/NIA (with or without key, Corsica included).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from ..events import Event

__all__ = ["LOGGED_KEYS", "NIR_PATTERN", "RedactingFilter", "event_logger", "setup_logging"]

#: Event data keys that may appear in logs. Never add a name, NIR or birth date here.
LOGGED_KEYS = frozenset({
    "slot", "kind", "backend", "type", "code", "state", "device", "detail", "generation",
    "profession", "beneficiaries", "client_id", "expires_in_s",
    "channel", "presentation_id", "session_id", "invoice", "invoices_allowed", "invoices_used",
    "mode", "percent", "charging", "voltage_mv", "seq", "waiting", "acked", "records",
    "purge_in_s", "set_aside", "source", "offset_s", "quota_source", "reason",
})

#: 13 or 15 characters shaped like a NIR: sex/type digit, year, month, département
#: (2A/2B allowed), commune, order, optional key; spaces tolerated between groups.
NIR_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[ABab])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?![0-9A-Za-z])"
)


def event_logger(logger: logging.Logger) -> Callable[[Event], None]:
    """A bus listener that logs events with allow-listed fields only.

    The fields are the event's JSON (``Event.wire_data``), so a value
    reads the same in the log as on the API's stream.
    """

    def listen(event: Event) -> None:
        allowed = {k: v for k, v in event.wire_data.items() if k in LOGGED_KEYS}
        fields = " ".join(f"{k}={v}" for k, v in allowed.items())
        # The same allow-listed fields, as journal fields (BORNE_EVENT=..., BORNE_SLOT=...).
        logger.info("event %d %s %s", event.seq, event.type, fields,
                    extra={"journal": {"event": event.type, "seq": event.seq, **allowed}})

    return listen


class RedactingFilter(logging.Filter):
    """Replaces NIR-shaped text in log records (message and journal fields) with ``[NIR]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = NIR_PATTERN.sub("[NIR]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        fields = getattr(record, "journal", None)
        if fields:
            record.journal = {k: NIR_PATTERN.sub("[NIR]", str(v)) for k, v in fields.items()}
        return True


def setup_logging(level: str) -> None:
    """Log with the redacting filter: to journald's native protocol when stderr is the
    journal (structured fields, see :mod:`borne.runtime.systemd_journal`), else to stderr as text."""
    from .systemd_journal import JournalHandler, journal_wanted

    handler: logging.Handler
    if journal_wanted():
        handler = JournalHandler()
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
