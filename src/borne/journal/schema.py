"""The journal file's SQLite schema, its versions and the migrations between them.

Version 1: ``records`` and ``acked``; 2: ``redacted`` (:mod:`borne.journal.redaction`); 3:
``signatures`` (the box's signature of each record, :mod:`borne.journal.signature`). A file
of an older version is migrated when the store opens it (:data:`MIGRATIONS`); its records
keep what they had (records of versions 1 and 2 have no signature).
"""

from __future__ import annotations

from . import redaction

__all__ = ["COLUMNS", "MIGRATIONS", "SCHEMA", "SCHEMA_VERSION", "TABLES"]

SCHEMA_VERSION = 3
#: Version 3: the box's signature of each record (issue 16, item 10).
_SIGNATURES = """
CREATE TABLE signatures (
    seq      INTEGER PRIMARY KEY,
    record   BLOB NOT NULL,
    redacted BLOB
);
CREATE TRIGGER signatures_follow_deletes AFTER DELETE ON records
BEGIN DELETE FROM signatures WHERE seq = old.seq; END;
-- Only redaction rewrites an envelope: the payload-free one, signed beforehand.
CREATE TRIGGER signatures_follow_redaction AFTER UPDATE OF envelope ON records
BEGIN UPDATE signatures SET record = redacted, redacted = NULL
      WHERE seq = new.seq AND redacted IS NOT NULL; END;
"""
SCHEMA = """
CREATE TABLE records (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    read_id     INTEGER NOT NULL,
    client_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    mono_ns     INTEGER NOT NULL,
    boot_id     TEXT NOT NULL,
    wall        TEXT NOT NULL,
    wall_synced INTEGER NOT NULL,
    wall_source TEXT,
    created     INTEGER NOT NULL,
    header      BLOB NOT NULL,
    envelope    BLOB NOT NULL
);
CREATE INDEX records_client ON records (client_id, seq);
CREATE INDEX records_created ON records (created);
CREATE INDEX records_read ON records (read_id);
-- Acknowledged seqs (no content): a repeated acknowledgement, whose first answer was
-- lost on a bad network, succeeds again instead of looking like someone else's record.
CREATE TABLE acked (
    seq       INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    acked_at  INTEGER NOT NULL
);
CREATE INDEX acked_at ON acked (acked_at);
""" + redaction.REDACTED_TABLE + _SIGNATURES + "PRAGMA user_version = 3;\n"
#: Version 1 files (before payloads were dropped) gain the table of payload-free envelopes.
_MIGRATE_1_TO_2 = "BEGIN;" + redaction.REDACTED_TABLE + "PRAGMA user_version = 2; COMMIT;"
#: Version 2 files gain the signatures; their records stay unsigned (docs/journal.md).
_MIGRATE_2_TO_3 = "BEGIN;" + _SIGNATURES + "PRAGMA user_version = 3; COMMIT;"
COLUMNS = {
    "records": ["seq", "read_id", "client_id", "kind", "mono_ns", "boot_id", "wall",
                "wall_synced", "wall_source", "created", "header", "envelope"],
    "acked": ["seq", "client_id", "acked_at"],
    "redacted": redaction.REDACTED_COLUMNS,
    "signatures": ["seq", "record", "redacted"],
}
#: The tables each known schema version has (older versions are migrated at open).
TABLES = {1: ("records", "acked"), 2: ("records", "acked", "redacted"),
          3: ("records", "acked", "redacted", "signatures")}
#: Scripts bringing a file of each older version to :data:`SCHEMA_VERSION`, in order.
MIGRATIONS = {1: (_MIGRATE_1_TO_2, _MIGRATE_2_TO_3), 2: (_MIGRATE_2_TO_3,)}
