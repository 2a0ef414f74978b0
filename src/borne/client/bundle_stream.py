"""An update bundle read from the workstation's disk as the request body of ``PUT /v1/update``.

A bundle is hundreds of megabytes: it is sent in blocks as they are read (in a worker thread:
a network share may be slow), never held whole in memory, with its ``Content-Length`` (the
box checks the size and its free space before it reads a byte). The whole request's deadline
grows with the size, at the same slowest rate the box accepts
(:mod:`borne.api.bundle_upload`: 256 KiB/s), so neither side gives up first.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO

from .errors import box_failure

__all__ = ["BLOCK", "BundleStream"]

#: Bytes read and sent at a time.
BLOCK = 1024 * 1024
#: The slowest average rate the box accepts (bytes per second), and its grace (seconds).
_FLOOR_RATE = 256 * 1024
_GRACE_S = 60.0


class BundleStream:
    """One open bundle file: its size, and its bytes as an async iterator (for httpx)."""

    def __init__(self, file: BinaryIO, size: int,
                 sent: Callable[[int, int], None] | None = None) -> None:
        self.size = size
        self._file = file
        self._sent = sent

    @classmethod
    def open(cls, path: Path, language: str = "fr",
             sent: Callable[[int, int], None] | None = None) -> BundleStream:
        """Open ``path``; :class:`~borne.client.errors.BoxError` ``bundle_unreadable`` if it is
        not a readable regular file."""
        try:
            file = path.open("rb")
        except OSError as error:
            raise box_failure("bundle_unreadable", str(path), language,
                              reason=f"{type(error).__name__}: {error.strerror}",
                              connection=False) from None
        try:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise box_failure("bundle_unreadable", str(path), language,
                                  reason="not a regular file", connection=False)
        except BaseException:
            file.close()
            raise
        return cls(file, status.st_size, sent)

    def deadline_s(self, floor: float) -> float:
        """Seconds the whole upload may take: at least ``floor``."""
        return max(floor, _GRACE_S + self.size / _FLOOR_RATE + 30.0)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes, :data:`BLOCK` at a time, reporting progress as they go."""
        done = 0
        while done < self.size:
            block = await asyncio.to_thread(self._file.read, min(BLOCK, self.size - done))
            if not block:  # the file shrank while it was sent: the box will see a short body
                return
            done += len(block)
            yield block
            if self._sent is not None:
                self._sent(done, self.size)

    def close(self) -> None:
        """Close the file."""
        self._file.close()
