"""Files that survive a power cut: their bytes, their mode from the first byte, their name."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir", "write_new"]


def fsync_dir(path: Path) -> None:
    """fsync(2) the directory ``path``: a file created or renamed in it keeps its name.

    fsync of a file syncs its data, not the directory entry that names it; after
    creating or renaming a file, the directory must be synced too (fsync(2), NOTES).
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file that must not exist yet (``FileExistsError`` otherwise), with ``mode``
    from its first byte (no chmod race: a key is never readable by others, even briefly),
    and its bytes synced before this returns. Sync its directory too to keep its name."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
