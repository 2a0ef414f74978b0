"""Time, as the box can trust it.

The Raspberry Pi has no battery-backed clock: durations are measured with the
monotonic clock, and wall-clock time is tagged as synchronised or not. The
kernel knows: ``adjtimex()`` reports ``STA_UNSYNC`` until NTP (or chrony,
systemd-timesyncd...) has disciplined the clock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ["Clock", "WallTime", "kernel_clock_synchronised"]

_STA_UNSYNC = 0x0040
_TIME_ERROR = 5


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h>: we only read `status`, the rest is padding
    # large enough for every Linux ABI (the kernel writes up to 208 bytes).
    _fields_ = [("modes", ctypes.c_uint), ("_pad", ctypes.c_byte * 4), ("offset", ctypes.c_long),
                ("freq", ctypes.c_long), ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("_rest", ctypes.c_byte * 256)]


def kernel_clock_synchronised() -> bool:
    """True when the kernel says the wall clock is synchronised (adjtimex)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return False
    return state not in (-1, _TIME_ERROR) and not (tx.status & _STA_UNSYNC)


@dataclass(frozen=True)
class WallTime:
    """A wall-clock reading and whether it can be trusted."""

    iso: str
    synchronised: bool


class Clock:
    """The clock every service gets passed (tests pass a fake one).

    ``monotonic()`` for durations; ``wall()`` for display and records, with its
    sync state. The sync state is re-read at most every ``recheck_s`` seconds.
    """

    def __init__(self, *, recheck_s: float = 30.0) -> None:
        self._recheck_s = recheck_s
        self._checked_at = -recheck_s
        self._synced = False

    def monotonic(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def monotonic_ns(self) -> int:
        """Nanoseconds on the monotonic clock."""
        return time.monotonic_ns()

    @property
    def synchronised(self) -> bool:
        """Whether the wall clock is synchronised (cached for ``recheck_s``)."""
        now = time.monotonic()
        if now - self._checked_at >= self._recheck_s:
            self._synced = kernel_clock_synchronised()
            self._checked_at = now
        return self._synced

    def wall(self) -> WallTime:
        """The wall clock now, in UTC, with its sync state."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        return WallTime(stamp, self.synchronised)
