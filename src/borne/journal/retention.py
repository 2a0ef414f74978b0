"""How long each waiting record has left before retention deletes it: the rule, on clocks no
workstation can move (issue 16, item 5).

A record nobody acknowledged is deleted once it is ``retention_days`` old. Its age is the
larger of two measures, each of which can only be *shorter* than its true age, so a record
is never deleted early:

- its age on the box's running time (:class:`~borne.journal.age_clock.AgeClock`: the
  monotonic clock, summed across reboots): no workstation can move it, it does not count
  the time the box was off;
- its age on the wall clock, only when NTP vouches for both ends: the record's wall time
  was NTP's (``wall_source`` ``ntp``) and the clock is NTP's now. This is the rule of a box
  with a good clock, unchanged: time while it was off counts.

A wall clock a workstation set (``POST /v1/clock``, source ``client``), or the kernel's
alone (``none``), is never used: a jump ahead cannot make a record look older, and a clock
that was behind at the read cannot either, once NTP puts it right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .age_clock import AgeClock

__all__ = ["Row", "time_left"]


@dataclass(frozen=True)
class Row:
    """What retention reads of a waiting record (:meth:`JournalStore.retention_rows`)."""

    seq: int
    boot_id: str
    mono_ns: int
    created: int
    #: Its wall time was NTP's.
    ntp: bool


def time_left(rows: Iterable[Row], *, retention_s: float, ages: AgeClock, wall_now: int,
              wall_is_ntp: bool) -> dict[int, float]:
    """Seconds each record (by seq) has left before it is due (0 or less: due now).

    A record of a boot ``ages`` does not know is adopted by it first (counted as new).
    """
    rows = list(rows)
    newest: dict[str, int] = {}
    for row in rows:
        newest[row.boot_id] = max(row.mono_ns, newest.get(row.boot_id, row.mono_ns))
    for boot_id, mono_ns in newest.items():
        ages.adopt(boot_id, mono_ns)
    age_now = ages.now()
    left = {}
    for row in rows:
        made = ages.made_at(row.boot_id, row.mono_ns)
        remaining = retention_s - (age_now - (made if made is not None else age_now))
        if wall_is_ntp and row.ntp:
            remaining = min(remaining, retention_s - (wall_now - row.created))
        left[row.seq] = remaining
    return left
