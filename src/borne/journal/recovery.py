"""A corrupted journal file: how it is recognised, and setting it aside intact.

Only SQLite's own corruption verdicts count (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``,
see https://www.sqlite.org/rescode.html), plus a ``PRAGMA quick_check`` that does
not answer ``ok`` and a schema that is not the journal's. A full disk, a
permission problem or an I/O error is *not* corruption: moving a sound file
aside because the disk is full would hide records that are still there.

The file is renamed, never rewritten, with its ``-wal`` and ``-shm`` companions
(the WAL may hold committed records not yet checkpointed: it must stay next to
its database under SQLite's naming, ``NAME-wal``), so someone can still try
``sqlite3 journal.corrupt-….db .recover`` on it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ..runtime.durable import fsync_dir

__all__ = ["CORRUPTION_CODES", "is_corruption", "set_aside"]

#: SQLite primary result codes that mean "this file is damaged".
CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def is_corruption(error: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is damaged (extended codes included)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in CORRUPTION_CODES


def set_aside(path: Path, *, now: float | None = None) -> Path:
    """Rename ``path`` (and ``path-wal``, ``path-shm``) to ``STEM.corrupt-UTCSTAMP.db``; the new path.

    The stamp is UTC to the second; a second file set aside in the same second
    gets ``-2``, ``-3``... Nothing is deleted or overwritten.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    base = path.with_name(f"{path.stem}.corrupt-{stamp}{path.suffix}")
    target, n = base, 1
    while any(Path(f"{target}{extra}").exists() for extra in ("", "-wal", "-shm")):
        n += 1
        target = base.with_name(f"{base.stem}-{n}{base.suffix}")
    # The WAL first: if we crash in between, the main file is still in place with
    # its WAL gone, and the next start judges it again (and moves it, if still bad).
    for extra in ("-wal", "-shm", ""):
        source = Path(f"{path}{extra}")
        if source.exists():
            os.rename(source, f"{target}{extra}")
    fsync_dir(path.parent)
    return target
