"""Payloads that outlive their use: an apCV record's payload is dropped from the journal file.

An apCV presentation is authenticated online by the billing software within one session (20
minutes, ``[apcv] session_seconds``); after that its payload is a credential-like object with
no use. So with each apCV record the journal also stores, sealed for the same workstation with
the same header, the **same record without the payload** (its time and channel stay). Once the
payload is older than the session duration, that envelope replaces the record's own, in one
write transaction, and the file is checkpointed so the old pages leave the WAL:

- the record is still listed and still opens with the workstation's key; its plaintext then
  says ``"payload_dropped": true`` and has no ``payload_b64`` (``docs/journal.md``);
- with ``PRAGMA secure_delete`` (set on the journal's connection) SQLite overwrites the freed
  content with zeros (https://www.sqlite.org/pragma.html#pragma_secure_delete), and
  ``wal_checkpoint(TRUNCATE)`` empties the WAL file
  (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint): the old envelope's bytes are
  neither in the database file nor in its WAL;
- "older than the session duration" is measured on the monotonic clock within one boot
  (``boot_id``, ``mono_ns``), never on the wall clock a Pi may not have; a record made in
  another boot is past its session by construction (sessions live in memory) and is dropped at
  the first pass.

The swap is one transaction with ``synchronous=FULL``: after a power cut it is either done or
still to do, and the next pass does it (the service runs one at start).
"""

from __future__ import annotations

import json
import sqlite3

__all__ = ["REDACTED_COLUMNS", "REDACTED_TABLE", "insert", "next_due", "swap_due"]

#: The table of payload-free envelopes waiting to replace their record's (schema version 2).
REDACTED_TABLE = """
CREATE TABLE redacted (
    seq      INTEGER PRIMARY KEY,
    envelope BLOB NOT NULL
);
"""
REDACTED_COLUMNS = ["seq", "envelope"]

_DUE = ("SELECT d.seq FROM redacted d JOIN records r ON r.seq = d.seq "
        "WHERE r.boot_id != ? OR r.mono_ns <= ?")


def insert(db: sqlite3.Connection, seq: int, envelope: bytes) -> None:
    """Keep ``envelope`` (the record ``seq`` sealed without its payload) for later."""
    db.execute("INSERT INTO redacted (seq, envelope) VALUES (?, ?)", (seq, envelope))


def swap_due(db: sqlite3.Connection, boot_id: str, before_mono_ns: int) -> int:
    """In the caller's transaction: replace the envelope of every record whose payload is past
    use (another boot, or made at or before ``before_mono_ns`` in this one) by its
    payload-free one; forget those, and those whose record is gone. How many were replaced."""
    due = json.dumps([row[0] for row in db.execute(_DUE, (boot_id, before_mono_ns))])
    swapped = db.execute(
        "UPDATE records SET envelope = (SELECT d.envelope FROM redacted d WHERE d.seq = "
        "records.seq) WHERE seq IN (SELECT value FROM json_each(?))", (due,)).rowcount
    db.execute("DELETE FROM redacted WHERE seq IN (SELECT value FROM json_each(?)) "
               "OR seq NOT IN (SELECT seq FROM records)", (due,))
    return swapped


def next_due(db: sqlite3.Connection, boot_id: str) -> int | None:
    """``mono_ns`` of the oldest record of this boot whose payload is still there (None: none)."""
    row = db.execute("SELECT MIN(r.mono_ns) FROM redacted d JOIN records r ON r.seq = d.seq "
                     "WHERE r.boot_id = ?", (boot_id,)).fetchone()
    return row[0] if row else None
