"""Whether the data partition can still take the box's writes, watched from the event loop.

Every API access is journaled (the audit journal, on the data partition). When
the partition is full that promise cannot be kept, so the box refuses reads
instead of handing out data it cannot account for: the ``storage`` device goes
to ``full`` (screen: "Mémoire pleine / Lectures refusées"), and the API answers
``507 storage_full`` until space is freed. Nothing already written is touched:
SQLite in WAL mode with ``synchronous=FULL`` fails a write whole, it does not
half-write it.

The measure is :func:`borne.health.check_disk` (statvfs, thresholds of the
``[health]`` section), made every ``interval_s`` and at once when a write has
just failed (:meth:`StorageWatch.write_failed`).

A full partition must still let the billing software collect and acknowledge the
offline journal: that is how space comes back. But deleting rows is a write too
(SQLite appends the change to its WAL first), so on a partition filled to the
last byte it fails. Hence a reserve: ``.reserve``, a few MB allocated on the data
partition while there is room, released when it fills. Until the reserve can be
made again the box stays "full" (reads refused), so what it freed is left to the
acknowledgements and the audit entries of the collection.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from ..health import check_disk

__all__ = ["StorageWatch"]

log = logging.getLogger("borne.storage")

#: Space kept aside for the acknowledgements of a full box (see the module docstring).
RESERVE_BYTES = 2 * 1024 * 1024
_MB = 1024 * 1024


class StorageWatch:
    """Keeps ``core``'s ``storage`` device at ``available``, ``full`` or ``error``."""

    def __init__(self, core: Any, data_dir: Path, settings: Any, *, interval_s: float = 10.0) -> None:
        self._core = core
        self._path = Path(data_dir)
        self._settings = settings
        self._interval_s = interval_s
        self._handle: asyncio.TimerHandle | None = None

    @property
    def refusing(self) -> bool:
        """True while reads must be refused (the partition is full or unusable)."""
        return self._core.devices.get("storage", {}).get("state") in ("full", "error")

    async def start(self) -> None:
        """Measure now, then every ``interval_s`` (on the running event loop)."""
        self.check()

    async def stop(self) -> None:
        """Stop measuring (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def write_failed(self) -> None:
        """A write to the data partition failed: measure again now, not at the next tick."""
        self.check()

    def check(self) -> str:
        """Measure, update the ``storage`` device, and return its state."""
        if self._handle is not None:
            self._handle.cancel()
        state, detail = self._measure()
        self._core.device_state("storage", state, detail)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            self._handle = loop.call_later(self._interval_s, self.check)
        return state

    @property
    def reserve(self) -> Path:
        """The file holding the space kept for acknowledgements."""
        return self._path / ".reserve"

    def _measure(self) -> tuple[str, str | None]:
        if not self._writable():
            return "error", f"{self._path} is not writable"
        disk = check_disk(self._path, self._settings)
        if disk.status == "fail":
            if self.reserve.exists():
                self.reserve.unlink()
                log.warning("data partition full: reserve released for the journal's collection")
            return "full", disk.detail_en
        if not self.reserve.exists() and not self._make_reserve():
            return "full", "the data partition has no room for its reserve"
        return "available", None

    def _make_reserve(self) -> bool:
        """Allocate the reserve if it leaves the partition above its fail threshold."""
        stats = os.statvfs(self._path)
        free = stats.f_bavail * stats.f_frsize
        if free < RESERVE_BYTES + (self._settings.disk_fail_free_mb + 1) * _MB:
            return False
        try:
            descriptor = os.open(self.reserve, os.O_CREAT | os.O_WRONLY, 0o600)
            try:
                os.posix_fallocate(descriptor, 0, RESERVE_BYTES)
            finally:
                os.close(descriptor)
        except OSError as error:
            log.warning("cannot allocate %s: %s", self.reserve, error.strerror)
            self.reserve.unlink(missing_ok=True)
            return False
        return True

    def _writable(self) -> bool:
        """May this process write there? Asked, not tried: the watch runs every few seconds
        and must not write to the SD card to find out. access(2) says EROFS for a read-only
        mount; the mount flag is checked as well."""
        if not self._path.is_dir() or not os.access(self._path, os.W_OK | os.X_OK):
            return False
        return not os.statvfs(self._path).f_flag & os.ST_RDONLY
