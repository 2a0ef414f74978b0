"""The box's running time, summed across reboots: the clock retention counts on (issue 16, item 5).

Retention must never be shortened by a clock a workstation can move. The wall clock can be
(``POST /v1/clock`` while the box has no NTP); the monotonic clock cannot, but it starts again
at each boot, and a Raspberry Pi has no battery-backed clock to say how long it was off. So
the box counts the seconds it has *run*: within a boot, the monotonic clock; across boots, a
running total kept in ``<data_dir>/journal-age.json``, with, for each boot that still has
records, the total at which that boot's monotonic clock started (its ``base``). A record made
at monotonic time ``m`` in boot ``b`` was made at age ``base[b] + m``; its age now is
``now() - (base[b] + m)``.

Every error goes the safe way (a record looks younger, so it stays longer, never shorter):

- time while the box is off does not count (retention then also uses the wall clock, but only
  while NTP vouches for it, at the read and now: :mod:`borne.journal.retention`);
- the total is written at most every few minutes and when the daemon stops: a power cut
  loses what ran since, and the next boot starts from the last total written;
- a record of a boot the file does not know (a journal older than this file, a file lost) is
  counted as made now (its boot's newest record; the others by their monotonic distance).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from pathlib import Path

from ..runtime.durable import replace_text

__all__ = ["FILE_NAME", "AgeClock"]

log = logging.getLogger("borne.journal")

#: The file in the data directory.
FILE_NAME = "journal-age.json"


class AgeClock:
    """Seconds the box has run, across reboots (see the module docstring).

    ``monotonic`` is the clock the records' ``mono_ns`` are on (the daemon's
    :class:`~borne.runtime.clock.Clock`), ``boot_id`` this boot's id.
    """

    def __init__(self, path: Path, boot_id: str, monotonic: Callable[[], float]) -> None:
        self._path = Path(path)
        self._boot_id = boot_id
        self._monotonic = monotonic
        #: Boot id -> the total running time at which that boot's monotonic clock read 0.
        self._bases: dict[str, float] = {boot_id: -monotonic()}
        self._saved_at: float | None = None  # monotonic time of the last write

    def load(self) -> None:
        """Read the file: earlier boots' bases, and this boot's (a daemon restarted in the same
        boot keeps it; a new boot starts where the last written total stopped)."""
        try:
            saved = json.loads(self._path.read_text())
            total = float(saved["age_s"])
            bases = {str(k): float(v) for k, v in dict(saved["boots"]).items()}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s unreadable (%s): the box's running time starts again", self._path,
                        error)
            return
        if not math.isfinite(total) or not all(math.isfinite(v) for v in bases.values()):
            log.warning("%s holds no time: the box's running time starts again", self._path)
            return
        if self._boot_id not in bases:
            bases[self._boot_id] = total - self._monotonic()
        self._bases = bases

    def now(self) -> float:
        """The box's running time now, in seconds."""
        return self._bases[self._boot_id] + self._monotonic()

    def made_at(self, boot_id: str, mono_ns: int) -> float | None:
        """The running time at which a record of ``boot_id`` stamped ``mono_ns`` was made
        (None: a boot this clock does not know, see :meth:`adopt`)."""
        base = self._bases.get(boot_id)
        return None if base is None else base + mono_ns / 1e9

    def adopt(self, boot_id: str, newest_mono_ns: int) -> None:
        """An unknown boot's newest record counts as made now (the safe way: it stays longer)."""
        if boot_id not in self._bases:
            self._bases[boot_id] = self.now() - newest_mono_ns / 1e9

    def keep_only(self, boot_ids: Iterable[str]) -> None:
        """Forget the boots that have no record left (this boot is always kept)."""
        wanted = {*boot_ids, self._boot_id}
        self._bases = {k: v for k, v in self._bases.items() if k in wanted}

    def save(self) -> bool:
        """Write the total and the bases (atomically, synced); False when the write failed
        (logged: the running time since the last write is then not counted)."""
        text = json.dumps({"age_s": self.now(), "boots": self._bases}, sort_keys=True)
        try:
            # The first write's name must survive; a later rename lost to a power cut only
            # leaves an older (lower) total: safe, so the directory is synced once.
            replace_text(self._path, text, sync_dir=self._saved_at is None)
        except OSError as error:
            log.warning("cannot keep the box's running time in %s: %s", self._path,
                        error.strerror)
            return False
        self._saved_at = self._monotonic()
        return True

    def save_if_due(self, every_s: float) -> bool:
        """:meth:`save`, if ``every_s`` passed since the last write (an SD card wears)."""
        if self._saved_at is not None and self._monotonic() - self._saved_at < every_s:
            return False
        return self.save()
