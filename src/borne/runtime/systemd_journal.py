"""Structured log records for systemd-journald, over its native protocol.

Under systemd, stderr already reaches the journal, but as flat text. The native
protocol (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/, and systemd.journal-fields(7))
keeps each field: ``PRIORITY``, ``SYSLOG_IDENTIFIER``, the logger, the code
location, and ours (``BORNE_EVENT``, ``BORNE_CODE``, ``BORNE_SLOT``...), so
``journalctl -u borne BORNE_EVENT=card.decoded`` selects without grepping.

One datagram per record to ``/run/systemd/journal/socket``: ``KEY=value`` lines,
or for a value holding a newline, ``KEY``, a newline, its length as 64-bit
little-endian, the bytes, a newline. Records larger than a datagram are cut
(journald would accept a memfd, but a box's log line is never that long).

:func:`journal_wanted` follows systemd.exec(5): ``$JOURNAL_STREAM`` names the
device and inode of the stream stderr is connected to when it goes to the
journal, and a program "may compare" them with its stderr to switch to the
native protocol. The fields are the records' own: identity data never reach
them (``logsub`` allow-lists event fields and redacts NIR-shaped text first).
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
from typing import Any

__all__ = ["JOURNAL_SOCKET", "JournalHandler", "encode_fields", "journal_wanted"]

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_MAX_DATAGRAM = 60_000

# logging levels -> syslog priorities (syslog(3): 3 err, 4 warning, 6 info, 7 debug)
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


def journal_wanted(environ: dict[str, str] | None = None, stream: Any = None) -> bool:
    """True when stderr is the journal's stream (``$JOURNAL_STREAM`` matches it)."""
    env = os.environ if environ is None else environ
    value = env.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


def _field_name(key: str) -> str:
    # Field names: upper-case letters, digits, underscores; not starting with "_" (trusted).
    name = "".join(c if c.isalnum() else "_" for c in key.upper()).lstrip("_")
    return name or "FIELD"


def encode_fields(fields: dict[str, Any]) -> bytes:
    """The native-protocol datagram for ``fields`` (None values are left out)."""
    out = bytearray()
    for key, value in fields.items():
        if value is None:
            continue
        name = _field_name(key).encode("ascii")
        data = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        if b"\n" in data:
            out += name + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += name + b"=" + data + b"\n"
    return bytes(out)


class JournalHandler(logging.Handler):
    """Sends each record to journald with its fields; falls back to stderr if it cannot.

    ``extra={"journal": {"event": "card.decoded", "slot": "..."}}`` on a log
    call adds ``BORNE_EVENT=``, ``BORNE_SLOT=``... fields.
    """

    def __init__(self, identifier: str = "borne", path: str = JOURNAL_SOCKET) -> None:
        super().__init__()
        self._identifier = identifier
        self._path = path
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._fallback = logging.StreamHandler(sys.stderr)
        self._fallback.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            priority = next((p for level, p in _PRIORITIES if record.levelno >= level), 7)
            fields: dict[str, Any] = {
                "MESSAGE": message[:_MAX_DATAGRAM // 2],
                "PRIORITY": priority,
                "SYSLOG_IDENTIFIER": self._identifier,
                "LOGGER": record.name,
                "CODE_FILE": record.pathname,
                "CODE_LINE": record.lineno,
                "CODE_FUNC": record.funcName,
                "THREAD_NAME": record.threadName,
            }
            for key, value in (getattr(record, "journal", None) or {}).items():
                fields[f"BORNE_{key}"] = value
            self._socket.sendto(encode_fields(fields)[:_MAX_DATAGRAM], self._path)
        except OSError:
            # journald restarting or gone: the line still goes somewhere a person can read.
            self._fallback.handle(record)
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._socket.close()
        super().close()
