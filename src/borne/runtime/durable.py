"""Files that survive a power cut: their bytes, their mode from the first byte, their name."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir", "replace_text", "write_new"]


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


def replace_text(path: Path, text: str, *, sync_dir: bool = True) -> None:
    """Replace the file ``path`` by ``text`` atomically: written to ``path.tmp``, synced, then
    renamed over ``path`` (a power cut leaves the old file or the new, never half of one).

    ``sync_dir`` also syncs the directory, so the rename itself survives; without it a power
    cut may bring the old file back. Raises OSError (the caller says what was not kept).
    """
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    if sync_dir:
        fsync_dir(path.parent)
