"""The audit trail: one hash-chained SQLite table, written durably.

(The docs and ``borne audit`` call it the audit journal; the code says *trail* so it is
never confused with the offline journal, :mod:`borne.journal`, nor systemd's journal,
:mod:`borne.runtime.systemd_journal`.)

Each entry records who (``client_id``), when (monotonic time within ``boot_id``,
and wall time with its sync flag: the Pi has no battery-backed clock), what
(``action``, ``resource``) and the outcome (``status``, a small ``detail``).
It never records health data: names, NIR, birth dates, card contents, pairing
codes, PINs or APDUs. Text fields are cut to a bounded length and NIR-shaped text
in them is replaced by ``[NIR]`` (a request path is chosen by the caller, and a
request must be recorded whatever it holds); ``detail`` is checked by
:func:`check_detail`, which refuses denied keys and oversized dicts.

Durability: WAL with ``synchronous=FULL``, so an entry that :meth:`AuditTrail.record`
returned survives a power cut.

The chain. ``hash`` is the SHA-256 (hex) of the UTF-8 canonical JSON
(``sort_keys``, ``separators=(",", ":")``, ``ensure_ascii=False``) of an object
holding every other column *as stored*::

    seq, mono, boot_id, wall, wall_synced (0/1), client_id, action, resource,
    status, detail (the stored JSON text, or null), prev_hash

``prev_hash`` is the previous entry's ``hash``; the first entry's is 64 zeros
(:data:`GENESIS_HASH`); ``seq`` starts at 1 with no gaps. See
:mod:`borne.audit.verify` for what the chain does and does not detect.

The size cap (``[audit] max_mb``, issue 16). A journal never pruned filled the data
partition (a fuzzer's run: 70,000 entries, 23 MB). When the pages the entries use pass
``max_bytes``, the append that passed it also deletes the oldest entries, as many as bring
it back to :data:`PRUNE_TO` of the cap (so pruning is rare: once per fifth of the cap), in
the same transaction. The rule, for a person reading the journal:

- the newest entries are kept, always the one just written; the oldest go first;
- the table ``audit_pruned`` (one row) keeps the **anchor**: the last pruned ``seq``
  (``up_to``) and its ``hash``, which the first kept entry's ``prev_hash`` must equal;
- ``borne audit verify`` checks the chain from the anchor: every kept entry is checked as
  before, and one deleted after the anchor is still ``missing``. What was pruned can no
  longer be checked, and moving the anchor together with a deletion is not detected (the
  same limit as rewriting hashes: the chain is not keyed).

SQLite reuses the deleted entries' pages, so the file stays near the cap; its write-ahead
log adds at most :data:`WAL_LIMIT` once checkpointed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runtime.boot_id import read_boot_id
from ..runtime.clock import Clock
from ..errors import BorneError
from ..runtime.logs import NIR_PATTERN

__all__ = [
    "AUDIT_DB_NAME",
    "COLUMNS",
    "DENIED_DETAIL_KEYS",
    "DENIED_KEY_PARTS",
    "GENESIS_HASH",
    "MAX_DETAIL_BYTES",
    "PRUNE_TO",
    "WAL_LIMIT",
    "SELECT_ALL",
    "AuditEntry",
    "AuditTrail",
    "check_detail",
    "entry_hash",
    "select_entries",
]

#: File name of the journal in the daemon's data directory.
AUDIT_DB_NAME = "audit.db"

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64

#: Largest ``detail``, as canonical UTF-8 JSON: the journal holds facts, not payloads.
MAX_DETAIL_BYTES = 2048

#: Past the size cap, the oldest entries are pruned down to this share of it.
PRUNE_TO = 0.8

#: The write-ahead log is cut back to this size once checkpointed (SQLite's ``journal_size_limit``).
WAL_LIMIT = 4 * 1024 * 1024

log = logging.getLogger("borne.audit")

#: Detail keys refused as a whole (after lower-casing, ``-`` read as ``_``). The
#: workstation's name is allowed, under ``client_name``; a bare ``name`` is not.
DENIED_DETAIL_KEYS = frozenset({
    "name", "nom", "first_name", "last_name", "given_name", "birth_date", "dob", "ins",
})

#: Words that refuse a detail key wherever they appear in it (``pairing_code``,
#: ``card_data``, ``date_of_birth``...). Strict on purpose: say ``error``, not ``error_code``.
DENIED_KEY_PARTS = frozenset({
    "nir", "nia", "surname", "firstname", "lastname", "prenom", "prénom", "birth",
    "birthdate", "naissance", "code", "pin", "apdu", "data",
})

#: Column order of the table, ``hash`` last.
COLUMNS = ("seq", "mono", "boot_id", "wall", "wall_synced", "client_id", "action",
           "resource", "status", "detail", "prev_hash", "hash")

#: Selects every column in :data:`COLUMNS` order.
SELECT_ALL = f"SELECT {', '.join(COLUMNS)} FROM audit"

_MAX_TEXT = {"client_id": 128, "action": 256, "resource": 512}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, mono REAL, boot_id TEXT, wall TEXT, wall_synced INTEGER,
    client_id TEXT, action TEXT, resource TEXT, status INTEGER, detail TEXT,
    prev_hash TEXT, hash TEXT
);
CREATE INDEX IF NOT EXISTS audit_client ON audit (client_id, seq);
CREATE TABLE IF NOT EXISTS audit_pruned (
    id INTEGER PRIMARY KEY CHECK (id = 1), up_to INTEGER, hash TEXT, wall TEXT
);
PRAGMA user_version = 1;
"""


@dataclass(frozen=True)
class AuditEntry:
    """One journal entry, as stored (``detail`` decoded from its JSON)."""

    seq: int
    mono: float
    boot_id: str
    wall: str
    wall_synced: bool
    client_id: str | None
    action: str
    resource: str
    status: int
    detail: dict[str, Any] | None
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> AuditEntry:
        """Build from a row selected in :data:`COLUMNS` order."""
        values = dict(zip(COLUMNS, row))
        values["wall_synced"] = bool(values["wall_synced"])
        values["detail"] = json.loads(values["detail"]) if values["detail"] is not None else None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (a copy: changing it does not change the entry)."""
        values = {name: getattr(self, name) for name in COLUMNS}
        values["detail"] = json.loads(json.dumps(self.detail)) if self.detail is not None else None
        return values


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def entry_hash(stored: dict[str, Any]) -> str:
    """SHA-256 hex of an entry's stored columns except ``hash`` (see the module docstring)."""
    fields = {name: stored[name] for name in COLUMNS if name != "hash"}
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


def select_entries(db: sqlite3.Connection, *, after: int = 0, limit: int = 100,
                   client_id: str | None = None) -> list[AuditEntry]:
    """Entries of an open journal with ``seq > after``, oldest first, at most ``limit``
    (1 to 1000); only ``client_id``'s when given."""
    if not 1 <= limit <= 1000:
        raise ValueError("limit must be between 1 and 1000")
    sql, args = f"{SELECT_ALL} WHERE seq > ?", [after]
    if client_id is not None:
        sql, args = sql + " AND client_id = ?", [after, client_id]
    rows = db.execute(f"{sql} ORDER BY seq LIMIT ?", [*args, limit]).fetchall()
    return [AuditEntry.from_row(row) for row in rows]


def _key_denied(key: str) -> bool:
    normal = key.lower().replace("-", "_")
    return normal in DENIED_DETAIL_KEYS or any(p in DENIED_KEY_PARTS for p in normal.split("_"))


def _check_keys(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise ValueError(f"audit detail keys must be strings ({where}{key!r})")
            if _key_denied(key):
                raise ValueError(f"audit detail key {where}{key!r} is denied: no health data,"
                                 " codes, PINs or card data in the audit journal")
            _check_keys(inner, f"{where}{key}.")
    elif isinstance(value, (list, tuple)):
        for inner in value:
            _check_keys(inner, where)
    elif isinstance(value, str) and NIR_PATTERN.search(value):
        raise ValueError(f"audit detail {where.rstrip('.') or 'value'} holds NIR-shaped text")


def check_detail(detail: dict[str, Any] | None) -> str | None:
    """The canonical JSON to store for ``detail``; ValueError if it may not be journalled.

    Refused: anything but a dict, denied keys (at any depth), NIR-shaped strings,
    values JSON cannot hold, more than :data:`MAX_DETAIL_BYTES`.
    """
    if detail is None:
        return None
    if not isinstance(detail, dict):
        raise ValueError("audit detail must be a dict")
    try:
        text = _canonical(detail)
    except (TypeError, ValueError, RecursionError) as error:
        raise ValueError(f"audit detail is not plain JSON: {error}") from None
    if len(text.encode("utf-8")) > MAX_DETAIL_BYTES:
        raise ValueError(f"audit detail is larger than {MAX_DETAIL_BYTES} bytes")
    _check_keys(detail, "")  # after the size check, which bounds how deep it recurses
    return text


def _clean_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"audit {name} must be a string")
    return NIR_PATTERN.sub("[NIR]", value[:_MAX_TEXT[name]])


class AuditTrail:
    """The durable, hash-chained audit journal of one box.

    ``record()`` is synchronous and thread-safe; ``arecord()`` is the same from
    the event loop, run on one dedicated thread so order is kept and the loop
    never waits on ``fsync``. Reopening a journal continues its chain. Errors of
    the storage become :class:`~borne.errors.BorneError` ``audit_unavailable``
    (opening) or ``audit_write_failed`` (recording).
    """

    def __init__(self, db_path: Path, clock: Clock, *, boot_id: str | None = None,
                 max_bytes: int | None = None) -> None:
        self._path = Path(db_path)
        self._max_bytes = max_bytes  # None: never pruned
        self._clock = clock
        self._boot_id = boot_id if boot_id is not None else read_boot_id()
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closing = False  # no new arecord(); pending ones still run
        self._closed = False
        try:
            if not self._path.exists():
                # Created before SQLite does, so it is never world-readable (SQLite
                # gives the -wal and -shm files the same mode).
                os.close(os.open(self._path, os.O_CREAT | os.O_WRONLY, 0o640))
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"journal_mode is {mode}, not wal")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            self._page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
            self._db.executescript(_SCHEMA)
            # Readers get their own connection: under WAL they never wait for a write's fsync.
            self._reader = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise BorneError(f"{self._path}: {error}", code="audit_unavailable") from None

    @property
    def path(self) -> Path:
        """The journal's database file."""
        return self._path

    def record(self, *, client_id: str | None, action: str, resource: str, status: int,
               detail: dict[str, Any] | None = None) -> AuditEntry:
        """Append one entry and return it once it is on disk.

        ValueError for a ``detail`` that may not be journalled (see :func:`check_detail`).
        """
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError("audit status must be an int")
        if not isinstance(action, str) or not isinstance(resource, str):
            raise TypeError("audit action and resource must be strings")
        detail_text = check_detail(detail)
        row: dict[str, Any] = {
            "client_id": _clean_text("client_id", client_id),
            "action": _clean_text("action", action),
            "resource": _clean_text("resource", resource),
            "status": status,
            "detail": detail_text,
            "boot_id": self._boot_id,
        }
        with self._lock:
            if self._closed:
                raise BorneError("the audit journal is closed", code="audit_write_failed")
            wall = self._clock.wall()
            row.update(mono=float(self._clock.monotonic()), wall=wall.iso,
                       wall_synced=int(wall.synchronised))
            try:
                self._append(row)
            except sqlite3.Error as error:
                raise BorneError(f"{self._path}: {error}", code="audit_write_failed") from None
        return AuditEntry.from_row(tuple(row[name] for name in COLUMNS))

    def _append(self, row: dict[str, Any]) -> None:
        # The chain's tail is read inside the write transaction, not cached: another
        # writer on the same file cannot fork the chain, and a reopen just continues.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            last = self._db.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            row["seq"], row["prev_hash"] = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
            row["hash"] = entry_hash(row)
            self._db.execute(f"INSERT INTO audit ({', '.join(COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(COLUMNS))})", [row[n] for n in COLUMNS])
            if self._max_bytes is not None and (used := self._used_bytes()) > self._max_bytes:
                self._prune(row["wall"], used)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _used_bytes(self) -> int:
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return (pages - free) * self._page_size

    def _prune(self, wall: str, used: int) -> None:
        """Delete the oldest entries down to :data:`PRUNE_TO` of the cap, ``used`` bytes being
        in use now; keep the anchor.

        Inside the append's transaction: the entry and the pruning are one commit."""
        assert self._max_bytes is not None
        kept = self._db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        # Entries are about the same size: drop the share of them that is over the target.
        drop = min(kept - 1, -(-kept * (used - int(self._max_bytes * PRUNE_TO)) // used))
        if drop < 1:
            return
        up_to, last_hash = self._db.execute(
            "SELECT seq, hash FROM audit ORDER BY seq LIMIT 1 OFFSET ?", [drop - 1]).fetchone()
        self._db.execute("DELETE FROM audit WHERE seq <= ?", [up_to])
        self._db.execute("INSERT OR REPLACE INTO audit_pruned (id, up_to, hash, wall) "
                         "VALUES (1, ?, ?, ?)", [up_to, last_hash, wall])
        log.info("audit journal over its cap (%.2f MB): entries up to %d pruned, %d kept",
                 self._max_bytes / 1024 / 1024, up_to, kept - drop)

    async def arecord(self, *, client_id: str | None, action: str, resource: str, status: int,
                      detail: dict[str, Any] | None = None) -> AuditEntry:
        """:meth:`record` on the journal's own thread, in call order.

        Cancelling the caller does not cancel the entry: a request whose client
        went away is still journalled.
        """
        # Checked here so a refused detail fails on the caller's stack, and copied so
        # the caller may change its dict while the entry waits for the thread.
        text = check_detail(detail)
        detail = json.loads(text) if text is not None else None
        with self._lock:
            if self._closing:
                raise BorneError("the audit journal is closed", code="audit_write_failed")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")
            # Submitted under the lock, so close() cannot shut the executor in between.
            future = self._executor.submit(self.record, client_id=client_id, action=action,
                                           resource=resource, status=status, detail=detail)
        return await asyncio.shield(asyncio.wrap_future(future))

    def entries(self, *, after: int = 0, limit: int = 100,
                client_id: str | None = None) -> list[AuditEntry]:
        """Entries with ``seq > after``, oldest first, at most ``limit`` (1 to 1000);
        only ``client_id``'s when given."""
        with self._read_lock:
            return select_entries(self._reader, after=after, limit=limit, client_id=client_id)

    def close(self) -> None:
        """Finish pending :meth:`arecord` calls, then close the database (idempotent)."""
        with self._lock:
            self._closing = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)  # outside the lock: pending records need it
        with self._lock, self._read_lock:
            if not self._closed:
                self._closed = True
                self._reader.close()
                self._db.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
