"""Checking the audit journal's hash chain, read-only.

:func:`verify` walks the entries in ``seq`` order and recomputes each hash
(see :mod:`borne.audit.trail` for the encoding). It reports the first entry
where the chain breaks:

================  =========================================================
``problem``       what happened at ``broken_at``
================  =========================================================
``modified``      a column was changed: the stored hash no longer matches
``missing``       the entry was deleted: a gap in ``seq``
``out_of_order``  the entry does not link to the previous one (``prev_hash``):
                  inserted, moved, or the previous entry rewritten with a new hash
``unreadable``    SQLite could not read the file past this point
================  =========================================================

A pruned journal (over its size cap, see :mod:`borne.audit.trail`) is checked from its
anchor: the first kept entry must follow the last pruned one (``audit_pruned``), and
:attr:`VerifyResult.pruned_up_to` says which entries are gone.

What a chain alone cannot tell:

- **The tail.** Deleting the last entries (or all of them) leaves a shorter,
  valid chain; only ``checked`` drops. Keeping the last hash elsewhere (the CLI
  prints it) lets a person notice.
- **A forger with write access.** The hash is not keyed: someone who can write
  the file can recompute every hash after a change. The chain catches accidents,
  careless edits and partial tampering; a secret key or an off-box copy would be
  needed against the rest.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from ..errors import BorneError, Message
from .trail import COLUMNS, GENESIS_HASH, SELECT_ALL, AuditEntry, entry_hash, select_entries

__all__ = ["PROBLEMS", "VerifyResult", "count_after", "open_read_only", "read_entries", "verify"]

#: Stable values of :attr:`VerifyResult.problem`.
PROBLEMS = ("modified", "missing", "out_of_order", "unreadable")


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`.

    ``checked`` counts the entries found intact (before ``broken_at`` when broken);
    ``reason`` is a plain English sentence; ``problem`` one of :data:`PROBLEMS`;
    ``last_hash`` the hash of the last intact entry (worth keeping elsewhere);
    ``pruned_up_to`` the last entry pruned under the size cap (None: none was).
    """

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None
    problem: str | None = None
    last_hash: str | None = None
    pruned_up_to: int | None = None


def open_read_only(db_path: Path) -> sqlite3.Connection:
    """Open a journal read-only; BorneError ``audit_unavailable`` if it cannot be read."""
    path = Path(db_path).resolve()
    if not path.is_file():
        raise BorneError(Message(f"{path} : fichier absent", f"{path}: no such file"),
                         code="audit_unavailable")
    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        db.execute("SELECT seq FROM audit LIMIT 1").fetchall()
    except sqlite3.Error as error:
        raise BorneError(Message(f"{path} : base illisible", f"{path}: {error}"),
                         code="audit_unavailable") from None
    return db


def read_entries(db_path: Path, *, after: int = 0, limit: int = 100,
                 client_id: str | None = None) -> list[AuditEntry]:
    """Entries of the journal at ``db_path`` (see :func:`~borne.audit.trail.select_entries`),
    read-only."""
    db = open_read_only(db_path)
    try:
        return select_entries(db, after=after, limit=limit, client_id=client_id)
    except (sqlite3.Error, json.JSONDecodeError) as error:  # a damaged or edited file
        raise BorneError(Message(f"{db_path} : endommagé ou modifié (lancez `borne audit verify`)",
                                 f"{db_path}: {error} (run `borne audit verify`)"),
                         code="audit_unavailable") from None
    finally:
        db.close()


def count_after(db_path: Path, after: int) -> int:
    """How many entries of the journal at ``db_path`` have ``seq > after`` (read-only)."""
    db = open_read_only(db_path)
    try:
        return db.execute("SELECT COUNT(*) FROM audit WHERE seq > ?", [after]).fetchone()[0]
    except sqlite3.Error as error:
        raise BorneError(f"{db_path}: {error}", code="audit_unavailable") from None
    finally:
        db.close()


def verify(db_path: Path) -> VerifyResult:
    """Recompute the chain of the journal at ``db_path`` without writing to it.

    BorneError ``audit_unavailable`` if it is not a readable journal at all.
    """
    db = open_read_only(db_path)
    try:
        anchor = _anchor(db)
        result = _walk(db.execute(f"{SELECT_ALL} ORDER BY seq"), *(anchor or (0, GENESIS_HASH)))
        return replace(result, pruned_up_to=anchor[0]) if anchor else result
    finally:
        db.close()


def _anchor(db: sqlite3.Connection) -> tuple[int, str] | None:
    """(last pruned seq, its hash), or None if the journal was never pruned."""
    try:
        row = db.execute("SELECT up_to, hash FROM audit_pruned WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # a journal from before the cap: no such table
        return None
    return (row[0], row[1]) if row else None


def _walk(rows: sqlite3.Cursor, pruned: int, anchor: str) -> VerifyResult:
    expected, previous, checked = pruned + 1, anchor, 0

    def broken(at: int, problem: str, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, at, reason, problem,
                            previous if checked else None)

    try:
        for row in rows:
            stored = dict(zip(COLUMNS, row))
            seq = stored["seq"]
            if seq > expected:
                return broken(expected, "missing", f"entry {expected} is missing")
            if seq < expected:  # a row numbered below 1, or at or below the anchor
                return broken(seq, "out_of_order", f"entry {seq} is out of sequence "
                              f"(entries are numbered from {expected})")
            try:
                intact = entry_hash(stored) == stored["hash"]
            except (TypeError, ValueError):  # a value JSON cannot hold was written in
                intact = False
            if not intact:
                return broken(seq, "modified", f"entry {seq} was modified")
            if stored["prev_hash"] != previous:
                return broken(seq, "out_of_order", f"entry {seq} does not follow entry "
                              f"{seq - 1} (an entry was inserted, moved or rewritten)")
            expected, previous, checked = seq + 1, stored["hash"], checked + 1
    except sqlite3.DatabaseError as error:
        return broken(expected, "unreadable", f"the journal file is damaged after entry "
                      f"{expected - 1}: {error}")
    return VerifyResult(True, checked, last_hash=previous if checked else None)
