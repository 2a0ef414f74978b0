"""Making a file's name, not only its bytes, survive a power cut."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir"]


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
