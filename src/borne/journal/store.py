"""The journal's SQLite file: records appended durably, listed per workstation, deleted on acknowledgement.

Durability: WAL with ``synchronous=FULL``: SQLite syncs the WAL at every commit, so
an append that returned survives a power cut (https://www.sqlite.org/pragma.html#pragma_synchronous,
https://www.sqlite.org/wal.html). A failed write (``SQLITE_FULL`` when the partition
is full) rolls its whole transaction back: what was stored before is untouched.

The file is created 0600 before SQLite opens it, so it is never readable by
others, not even for an instant (SQLite gives ``-wal`` and ``-shm`` the same
mode). At open it is checked (``PRAGMA quick_check`` and the schema): a
corrupted file is set aside intact (:mod:`borne.journal.recovery`) and a fresh
journal started; :attr:`JournalStore.set_aside` then names the file moved.

Sequence numbers come from ``AUTOINCREMENT``: never reused, even after the
highest records were acknowledged and deleted (https://www.sqlite.org/autoinc.html).
Each number is allocated inside the append's write transaction, so the header
that names it can be sealed before the row is written.

Deleted content is overwritten with zeros (``secure_delete``), and an apCV payload past its
use is dropped from the file while its record stays (:mod:`borne.journal.redaction`).

Each record is signed by the box when it is written (``sign``, :mod:`borne.journal.signature`),
in the table ``signatures`` (schema version 3): the signature of the envelope the record has,
and for an apCV record the signature of its payload-free envelope, which takes its place when
the payload is dropped. Two triggers keep the table with the records, so the code that
deletes or redacts records (retention, acknowledgement, revocation) needs to know nothing of
it. Records written before version 3 have no signature: they are listed without one.

A :class:`JournalStore` is synchronous and not for concurrent use: the daemon
calls it from one dedicated thread (:mod:`borne.journal.service`); a lock makes
stray concurrent calls wait rather than corrupt anything.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runtime.durable import fsync_dir
from . import crypto, redaction, retention
from .schema import COLUMNS as _COLUMNS
from .schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION
from .schema import TABLES as _TABLES
from .errors import JournalError
from .header import RecordHeader
from .recovery import is_corruption, set_aside

__all__ = ["JOURNAL_DB_NAME", "Recipient", "Stamp", "StoredRecord", "JournalStore"]

log = logging.getLogger("borne.journal")

#: File name of the journal in the daemon's data directory.
JOURNAL_DB_NAME = "journal.db"

_HEADER_FIELDS = ("seq", "read_id", "client_id", "kind", "mono_ns", "boot_id", "wall",
                  "wall_synced", "wall_source", "created")


@dataclass(frozen=True)
class Recipient:
    """A paired workstation a record is sealed for."""

    client_id: str
    public_key: Any

    def seal(self, header: bytes, plaintext: bytes) -> bytes:
        """The envelope of ``plaintext`` for this workstation (:func:`borne.journal.crypto.seal`)."""
        return crypto.seal(self.public_key, header, plaintext, client_id=self.client_id)


@dataclass(frozen=True)
class Stamp:
    """When a read happened, taken on the event loop at the read (not when it is written)."""

    mono_ns: int
    wall: str
    wall_synced: bool
    wall_source: str | None
    created: int


@dataclass(frozen=True)
class StoredRecord:
    """One record as stored: its parsed header, the exact header bytes, the envelope, and the
    box's signature of them (None: written before signatures, or by a store without ``sign``)."""

    header: RecordHeader
    header_bytes: bytes
    envelope: bytes
    signature: bytes | None = None


class _Corrupt(Exception):
    """The file opened but is not a sound journal (quick_check, schema)."""


def _classify(error: sqlite3.Error, path: Path) -> JournalError:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return JournalError(f"{path}: {error}", code="journal_full")
    return JournalError(f"{path}: {error}", code="journal_write_failed")


class JournalStore:
    """The journal file at ``path`` (created, checked, recovered if corrupted).

    ``sign(header, envelope) -> signature`` signs each record written
    (:func:`borne.journal.signature.signer`); None writes them unsigned (tests, tools).
    """

    def __init__(self, path: Path, *, sign: Any = None) -> None:
        self.path = Path(path)
        self._sign = sign
        #: The corrupted file moved away at open (None: the file was sound or new).
        self.set_aside: Path | None = None
        self._lock = threading.Lock()
        self._db = self._open()

    # -- opening ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists() and any(Path(f"{self.path}{x}").exists() for x in ("-wal", "-shm")):
            # A WAL without its database would be replayed into the fresh one: move it.
            self.set_aside = set_aside(self.path)
            log.warning("journal %s is missing but its WAL is there: set aside as %s",
                        self.path, self.set_aside.name)
        try:
            return self._connect_checked()
        except _Corrupt as why:
            reason = str(why)
        except sqlite3.Error as error:
            if not is_corruption(error):
                raise JournalError(f"{self.path}: {error}", code="journal_unavailable") from None
            reason = str(error)
        except OSError as error:
            raise JournalError(f"{self.path}: {error.strerror}", code="journal_unavailable") from None
        try:
            self.set_aside = set_aside(self.path)
            log.warning("journal %s is corrupted (%s): set aside as %s, a fresh journal started",
                        self.path, reason, self.set_aside.name)
            return self._connect_checked()
        except (sqlite3.Error, OSError, _Corrupt) as error:
            raise JournalError(f"{self.path}: {error}", code="journal_unavailable") from None

    def _connect_checked(self) -> sqlite3.Connection:
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
            os.close(fd)
            fsync_dir(self.path.parent)  # the new file's name survives a power cut too
        self._check()
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"journal_mode is {mode}, not wal")
            db.execute("PRAGMA synchronous=FULL")
            # Deleted content is overwritten with zeros: a dropped payload, an acknowledged
            # record do not linger in free pages (borne.journal.redaction). Debian's SQLite is
            # built with it on; another build (Raspberry Pi OS, a wheel's) may not be.
            db.execute("PRAGMA secure_delete=ON")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                db.executescript(SCHEMA)
            for script in MIGRATIONS.get(version, ()):
                db.executescript(script)
        except BaseException:
            db.close()
            raise
        return db

    def _check(self) -> None:
        """Judge the file through a read-only connection.

        Read-only because closing the last read-write connection checkpoints the
        WAL into the database: on a damaged file that would write into the very
        file that must be set aside intact. A read-only connection never
        checkpoints (https://www.sqlite.org/wal.html, "Read-Only Databases").
        """
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                             isolation_level=None, check_same_thread=False)
        try:
            verdict = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
            if verdict != ["ok"]:
                raise _Corrupt("quick_check: " + "; ".join(map(str, verdict[:3])))
            self._check_schema(db)
        finally:
            db.close()

    @staticmethod
    def _check_schema(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if version == 0 and not tables:
            return  # a new file: the schema is made by the read-write connection
        if version not in _TABLES:
            raise _Corrupt(f"schema version {version}, not {SCHEMA_VERSION}")
        for table in _TABLES[version]:
            found = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            if found != _COLUMNS[table]:
                raise _Corrupt(f"table {table} has columns {found}")

    # -- writing ------------------------------------------------------------------------

    def _write(self, work: Any) -> Any:
        """Run ``work(db)`` in one write transaction; storage errors become :class:`JournalError`."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._db)
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise _classify(error, self.path) from None
            return result

    def append(self, kind: str, recipients: Sequence[Recipient], plaintext: bytes, stamp: Stamp,
               boot_id: str, *, redacted: bytes | None = None) -> list[StoredRecord]:
        """One record per recipient, sealed and committed together; returns them once on disk.

        All the records of one read share ``read_id`` (their first seq). ``redacted``: the
        plaintext without its payload, sealed too, to replace the record's once the payload
        is past use (:meth:`drop_payloads`). Raises :class:`JournalError` ``journal_full``
        or ``journal_write_failed`` (nothing written).
        """
        if not recipients:
            return []

        def work(db: sqlite3.Connection) -> list[StoredRecord]:
            row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
            first = (row[0] if row else 0) + 1
            stored = []
            for offset, recipient in enumerate(recipients):
                header = RecordHeader(
                    seq=first + offset, read_id=first, client_id=recipient.client_id, kind=kind,
                    mono_ns=stamp.mono_ns, boot_id=boot_id, wall=stamp.wall,
                    wall_synced=stamp.wall_synced, wall_source=stamp.wall_source,
                    created=stamp.created)
                header_bytes = header.to_bytes()
                envelope = recipient.seal(header_bytes, plaintext)
                values = [getattr(header, name) for name in _HEADER_FIELDS]
                values[_HEADER_FIELDS.index("wall_synced")] = int(header.wall_synced)
                db.execute(f"INSERT INTO records ({', '.join(_COLUMNS['records'])}) VALUES "
                           f"({', '.join('?' * len(_COLUMNS['records']))})",
                           [*values, header_bytes, envelope])
                spare = recipient.seal(header_bytes, redacted) if redacted is not None else None
                if spare is not None:
                    redaction.insert(db, header.seq, spare)
                signature = None
                if self._sign is not None:
                    signature = self._sign(header_bytes, envelope)
                    db.execute("INSERT INTO signatures (seq, record, redacted) VALUES (?, ?, ?)",
                               (header.seq, signature,
                                self._sign(header_bytes, spare) if spare is not None else None))
                stored.append(StoredRecord(header, header_bytes, envelope, signature))
            return stored

        return self._write(work)

    def ack(self, client_id: str, seqs: Sequence[int], *, now: int) -> tuple[int, int]:
        """Delete ``client_id``'s records ``seqs``: all of them, or none.

        Returns ``(deleted, already)``: ``already`` were acknowledged before (an
        acknowledgement repeated after a lost answer). A seq that is not one of
        ``client_id``'s records, waiting or acknowledged, refuses the whole call:
        :class:`JournalError` ``journal_record_unknown`` with ``unknown`` (up to 20 seqs).
        """
        wanted = sorted(set(int(s) for s in seqs))

        def work(db: sqlite3.Connection) -> tuple[int, int]:
            listed = json.dumps(wanted)
            mine = {r[0] for r in db.execute(
                "SELECT seq FROM records WHERE client_id = ? AND seq IN "
                "(SELECT value FROM json_each(?))", (client_id, listed))}
            done = {r[0] for r in db.execute(
                "SELECT seq FROM acked WHERE client_id = ? AND seq IN "
                "(SELECT value FROM json_each(?))", (client_id, listed))}
            unknown = [s for s in wanted if s not in mine and s not in done]
            if unknown:
                raise JournalError(f"{len(unknown)} unknown", code="journal_record_unknown",
                                   unknown=unknown[:20], count=len(unknown))
            self._delete(db, client_id, sorted(mine), now)
            return len(mine), len(done)

        return self._write(work)

    def ack_up_to(self, client_id: str, up_to: int, *, now: int) -> int:
        """Delete every record of ``client_id`` with ``seq <= up_to``; how many.

        ``up_to`` beyond the last seq ever given out cannot come from a collection:
        :class:`JournalError` ``journal_record_unknown``, nothing deleted.
        """
        def work(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
            if up_to > (row[0] if row else 0) or up_to < 1:
                raise JournalError(f"up_to {up_to}", code="journal_record_unknown",
                                   unknown=[up_to], count=1)
            seqs = [r[0] for r in db.execute(
                "SELECT seq FROM records WHERE client_id = ? AND seq <= ?", (client_id, up_to))]
            self._delete(db, client_id, seqs, now)
            return len(seqs)

        return self._write(work)

    @staticmethod
    def _delete(db: sqlite3.Connection, client_id: str, seqs: list[int], now: int) -> None:
        listed = json.dumps(seqs)
        db.execute("DELETE FROM records WHERE seq IN (SELECT value FROM json_each(?))", (listed,))
        db.execute("INSERT OR IGNORE INTO acked (seq, client_id, acked_at) "
                   "SELECT value, ?, ? FROM json_each(?)", (client_id, now, listed))

    def purge(self, seqs: Sequence[int], *, acked_before: int) -> int:
        """Delete the records ``seqs`` (past retention: :mod:`borne.journal.retention` decides),
        and acknowledgements older than ``acked_before`` (Unix seconds); how many records."""
        def work(db: sqlite3.Connection) -> int:
            gone = db.execute("DELETE FROM records WHERE seq IN (SELECT value FROM json_each(?))",
                              (json.dumps(sorted(seqs)),)).rowcount
            db.execute("DELETE FROM acked WHERE acked_at < ?", (acked_before,))
            return gone

        return self._write(work)

    def drop_payloads(self, boot_id: str, before_mono_ns: int) -> int:
        """Drop the payloads past use (:mod:`borne.journal.redaction`): made in another boot
        than ``boot_id``, or at or before ``before_mono_ns`` in it. How many records changed;
        the WAL is then emptied (:meth:`checkpoint`) so the old envelopes leave it too."""
        swapped = self._write(lambda db: redaction.swap_due(db, boot_id, before_mono_ns))
        if swapped:
            self.checkpoint()
        return swapped

    def next_payload_due(self, boot_id: str) -> int | None:
        """``mono_ns`` of this boot's oldest record whose payload is still kept (None: none)."""
        with self._lock:
            try:
                return redaction.next_due(self._db, boot_id)
            except sqlite3.Error as error:
                raise JournalError(f"{self.path}: {error}", code="journal_unavailable") from None

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it (its old pages gone from the disk);
        False if a reader kept SQLite from finishing (the next checkpoint does)."""
        with self._lock:
            try:
                busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.Error as error:
                raise _classify(error, self.path) from None
        if busy:
            log.warning("journal checkpoint could not finish (a reader): the WAL keeps old pages")
        return not busy

    def drop_client(self, client_id: str) -> int:
        """Delete every record of ``client_id`` (revoked: it can never collect them)."""
        return self._write(lambda db: db.execute(
            "DELETE FROM records WHERE client_id = ?", (client_id,)).rowcount)

    # -- reading ------------------------------------------------------------------------

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as error:
                raise JournalError(f"{self.path}: {error}", code="journal_unavailable") from None

    def records(self, client_id: str, *, after: int = 0, limit: int = 100) -> list[StoredRecord]:
        """``client_id``'s records with ``seq > after``, oldest first, at most ``limit``."""
        rows = self._read("SELECT r.header, r.envelope, s.record FROM records r LEFT JOIN "
                          "signatures s ON s.seq = r.seq WHERE r.client_id = ? AND r.seq > ? "
                          "ORDER BY r.seq LIMIT ?", (client_id, after, limit))
        return [StoredRecord(RecordHeader.from_bytes(bytes(h)), bytes(h), bytes(e),
                             bytes(s) if s is not None else None) for h, e, s in rows]

    def waiting(self, client_id: str | None = None) -> int:
        """Records waiting for ``client_id``; without it, reads with a record still waiting."""
        if client_id is None:
            return self._read("SELECT COUNT(DISTINCT read_id) FROM records")[0][0]
        return self._read("SELECT COUNT(*) FROM records WHERE client_id = ?", (client_id,))[0][0]

    def retention_rows(self) -> list[retention.Row]:
        """What retention needs of every waiting record (whether its wall time was NTP's:
        ``wall_source`` says so, or, in records made before it existed, ``wall_synced``)."""
        rows = self._read("SELECT seq, boot_id, mono_ns, created, wall_source = 'ntp' OR "
                          "(wall_source IS NULL AND wall_synced = 1) FROM records")
        return [retention.Row(seq, boot, mono, created, bool(ntp))
                for seq, boot, mono, created, ntp in rows]

    def last_seq(self) -> int:
        """The last seq ever given out (0 before the first record)."""
        rows = self._read("SELECT seq FROM sqlite_sequence WHERE name = 'records'")
        return rows[0][0] if rows else 0

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check``'s answer (``["ok"]`` when sound)."""
        return [row[0] for row in self._read("PRAGMA integrity_check")]

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None  # type: ignore[assignment]
