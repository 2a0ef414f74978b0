"""Time, as the box can trust it.

The Raspberry Pi has no battery-backed clock: durations are measured with the
monotonic clock, and wall-clock time is tagged as synchronised or not, with its
``source``:

``ntp``
    The kernel says its clock is synchronised: ``adjtimex()`` reports
    ``STA_UNSYNC`` until NTP (systemd-timesyncd, chrony...) has disciplined it
    (``man 2 adjtimex``). Under the box's systemd unit that call is refused:
    ``SystemCallFilter=~@privileged`` and ``ProtectClock=yes`` block the
    ``@clock`` calls "altogether", read-only ones included (systemd.exec(5)).
    The daemon then reads systemd-timesyncd's flag file
    ``/run/systemd/timesync/synchronized``, "touched on each successful
    synchronization" (systemd-timesyncd.service(8)).
``client``
    A paired billing workstation told the box the time (``POST /v1/clock``)
    while NTP had not. The daemon cannot set the system clock (no
    ``CAP_SYS_TIME``), so :class:`Clock` keeps the time it was given, anchored
    to the monotonic clock, and corrects every wall-clock reading with it. When
    NTP later synchronises the kernel, the kernel wins and the offset is dropped.
``none``
    Neither: the wall clock may be anything from the image's build time on.

Times a client sets are refused before the box's build date and more than
:data:`MAX_YEARS_AHEAD` years after it, and more than :data:`BACKWARDS_SLACK_S` before
the latest time the box has known (its clock now, or what it knew before a reboot:
:mod:`borne.runtime.last_known_time`): a client's time never sends the clock back. An
ordinary workstation may also move it at most :data:`CLIENT_MAX_AHEAD_S` ahead of the time
the box trusted first in this run (``clock_too_far_ahead``; the caller passes the limit).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import BorneError

__all__ = ["BACKWARDS_SLACK_S", "CLIENT_MAX_AHEAD_S", "FIRMWARE_DATE", "MAX_YEARS_AHEAD", "SOURCES", "Clock",
           "ClockChange", "ClockRefused", "WallTime", "build_date", "kernel_clock_synchronised"]

_STA_UNSYNC = 0x0040
_TIME_ERROR = 5

#: Where a wall clock can come from, best first.
SOURCES = ("ntp", "client", "none")
#: systemd-timesyncd touches it at each successful synchronisation; /run is a tmpfs,
#: so it is gone after a reboot (systemd-timesyncd.service(8)).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
#: The image's build time, as its modification time: systemd-timesyncd never starts
#: the clock earlier (systemd-timesyncd.service(8); image/install-stage.sh touches it).
CLOCK_EPOCH = Path("/usr/lib/clock-epoch")
#: The firmware cannot run before it was written: raise it at each release.
FIRMWARE_DATE = datetime(2026, 11, 1, tzinfo=timezone.utc)
#: A time a client sets further than this after the build date is a mistake.
MAX_YEARS_AHEAD = 20
#: A client's time this close behind the box's last known time is taken as a confirmation
#: (the clock is kept, not sent back); further behind, it is refused. Two clocks rarely
#: agree to the second, and a request's own time on the wire puts the box's reading after
#: the client's.
BACKWARDS_SLACK_S = 60.0
#: How far ahead of the time the box trusted first in this run (plus the time run since) an
#: ordinary workstation may set the clock: a box switched off over a closed week and both its
#: weekends still takes its workstation's time. A longer gap needs an admin workstation.
CLIENT_MAX_AHEAD_S = 10 * 86400.0


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h>: we only read `status`, the rest is padding
    # large enough for every Linux ABI (the kernel writes up to 208 bytes).
    _fields_ = [("modes", ctypes.c_uint), ("_pad", ctypes.c_byte * 4), ("offset", ctypes.c_long),
                ("freq", ctypes.c_long), ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("_rest", ctypes.c_byte * 256)]


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    # Cached: find_library runs `ldconfig -p`, far too slow for every reading.
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _adjtimex_synchronised() -> bool | None:
    """The kernel's answer (modes=0: read only), or None when the call is refused."""
    try:
        tx = _Timex()
        state = _libc().adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state == -1:
        return None  # EPERM under a seccomp filter (the box's unit), ENOSYS elsewhere
    return state != _TIME_ERROR and not (tx.status & _STA_UNSYNC)


def kernel_clock_synchronised(*, adjtimex: Callable[[], bool | None] = _adjtimex_synchronised,
                              flag: Path = TIMESYNC_FLAG) -> bool:
    """True when the system clock is synchronised by NTP.

    The kernel's ``adjtimex`` answer when the call is allowed; where a seccomp
    filter refuses it, whether systemd-timesyncd has synchronised since boot.
    """
    answer = adjtimex()
    if answer is not None:
        return answer
    return flag.exists()


def build_date(epoch_file: Path = CLOCK_EPOCH) -> datetime:
    """The earliest the box's clock can truly be: the image's build time, or the firmware's date."""
    try:
        built = datetime.fromtimestamp(epoch_file.stat().st_mtime, timezone.utc)
    except (OSError, ValueError, OverflowError):
        return FIRMWARE_DATE
    return max(built, FIRMWARE_DATE)


@dataclass(frozen=True)
class WallTime:
    """A wall-clock reading, whether it can be trusted, and where it comes from.

    ``source`` is "ntp", "client" or "none"; left out, it follows ``synchronised``
    ("ntp" or "none"), as readings were before clients could set the time.
    """

    iso: str
    synchronised: bool
    source: str = ""

    def __post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", "ntp" if self.synchronised else "none")


@dataclass(frozen=True)
class ClockChange:
    """The wall clock moved to a better source: what the ``clock.set`` event says.

    ``offset_s`` is how far the wall clock jumped (new reading minus the old one).
    """

    source: str
    offset_s: float

    def event_data(self) -> dict[str, object]:
        """The ``clock.set`` event's data."""
        return {"source": self.source, "offset_s": round(self.offset_s, 3)}


class ClockRefused(BorneError, ValueError):
    """A client's time was refused: ``clock_synchronised``, ``clock_implausible``,
    ``clock_before_last_known`` or ``clock_too_far_ahead``."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code=code, **details)


class Clock:
    """The clock every service gets passed (tests pass a fake one, or inject the kernel's answers).

    ``monotonic()`` for durations; ``wall()`` for display and records, with its
    sync state and source. The kernel's sync state is re-read at most every
    ``recheck_s`` seconds. Thread-safe: the audit journal reads it from its own thread.
    """

    def __init__(self, *, recheck_s: float = 30.0,
                 kernel_synced: Callable[[], bool] = kernel_clock_synchronised,
                 kernel_time: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 earliest: datetime | None = None,
                 max_years_ahead: int = MAX_YEARS_AHEAD) -> None:
        self._recheck_s = recheck_s
        self._kernel_synced_now = kernel_synced
        self._kernel_time = kernel_time
        self._monotonic = monotonic
        self._earliest = earliest if earliest is not None else build_date()
        try:
            self._latest = self._earliest.replace(year=self._earliest.year + max_years_ahead)
        except ValueError:  # 29 February
            self._latest = self._earliest + timedelta(days=365.25 * max_years_ahead)
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._kernel_synced = False
        #: (monotonic time, wall-clock epoch seconds) a client gave, or None.
        self._client: tuple[float, float] | None = None
        #: Wall minus monotonic at the last reading: how far NTP moves the clock shows against it.
        self._delta: float | None = None
        self._changes: list[ClockChange] = []

    def monotonic(self) -> float:
        """Seconds on the monotonic clock."""
        return self._monotonic()

    def monotonic_ns(self) -> int:
        """Nanoseconds on the monotonic clock."""
        if self._monotonic is time.monotonic:
            return time.monotonic_ns()
        return int(self._monotonic() * 1e9)

    # -- readings ------------------------------------------------------------------------------

    @property
    def synchronised(self) -> bool:
        """Whether the wall clock can be trusted (NTP, or a paired client's time)."""
        with self._lock:
            self._read()
            return self._source() != "none"

    @property
    def source(self) -> str:
        """Where the wall clock comes from: "ntp", "client" or "none"."""
        with self._lock:
            self._read()
            return self._source()

    def time(self) -> float:
        """The wall clock now, in seconds since the epoch (corrected by a client's time)."""
        with self._lock:
            self._read()
            return self._epoch(self._monotonic())

    def wall(self) -> WallTime:
        """The wall clock now, in UTC, with its sync state and source."""
        with self._lock:
            self._read()
            epoch, source = self._epoch(self._monotonic()), self._source()
        stamp = datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")
        return WallTime(stamp, source != "none", source)

    # -- changes -------------------------------------------------------------------------------

    def set_client_time(self, utc: datetime, *, not_before: float | None = None,
                        not_after: float | None = None,
                        slack_s: float = BACKWARDS_SLACK_S) -> ClockChange:
        """A paired client's time: kept as an offset while NTP has not synchronised the kernel.

        The clock never goes back: the last known time is the later of the clock now and
        ``not_before`` (epoch seconds: what the box knew before a reboot). A time up to
        ``slack_s`` before it keeps the clock where it is (an offset of 0, or forward to
        ``utc`` when the clock now reads earlier still); further before, it is refused.
        ``not_after`` (epoch seconds, None: no limit) is the latest time it may be set to.

        Raises :class:`ClockRefused`: ``clock_synchronised`` when the kernel's clock
        is synchronised (it wins), ``clock_implausible`` for a naive datetime or one
        before the build date or too far after it, ``clock_before_last_known`` (with
        ``last_known`` and ``behind_s``) for one before the last known time,
        ``clock_too_far_ahead`` (with ``latest`` and ``ahead_s``) for one after ``not_after``.
        """
        if utc.tzinfo is None or not self._earliest <= utc <= self._latest:
            raise ClockRefused("clock_implausible", earliest=self._earliest.isoformat(),
                               latest=self._latest.isoformat())
        with self._lock:
            self._read(force=True)  # never override NTP on a 30-second-old answer
            if self._kernel_synced:
                raise ClockRefused("clock_synchronised", source="ntp")
            now = self._monotonic()
            before = self._epoch(now)
            given = utc.timestamp()
            floor = before if not_before is None else max(before, not_before)
            if given < floor - slack_s:
                known = datetime.fromtimestamp(floor, timezone.utc)
                raise ClockRefused("clock_before_last_known",
                                   last_known=known.isoformat(timespec="milliseconds"),
                                   behind_s=round(floor - given, 3))
            if not_after is not None and given > not_after:
                latest = datetime.fromtimestamp(not_after, timezone.utc)
                raise ClockRefused("clock_too_far_ahead",
                                   latest=latest.isoformat(timespec="milliseconds"),
                                   ahead_s=round(given - not_after, 3))
            kept = max(given, before)
            self._client = (now, kept)
            self._delta = kept - now
        return ClockChange("client", kept - before)

    def poll(self) -> list[ClockChange]:
        """Re-read the kernel if due; the changes seen since the last call (NTP taking over)."""
        with self._lock:
            self._read()
            changes, self._changes = self._changes, []
        return changes

    # -- internals (under the lock) ------------------------------------------------------------

    def _source(self) -> str:
        if self._kernel_synced:
            return "ntp"
        return "client" if self._client is not None else "none"

    def _epoch(self, now: float) -> float:
        if self._kernel_synced or self._client is None:
            return self._kernel_time()
        anchored_at, given = self._client
        # CLOCK_MONOTONIC stops while the machine is suspended; a Pi never suspends.
        return given + (now - anchored_at)

    def _read(self, *, force: bool = False) -> None:
        now = self._monotonic()
        if not force and self._checked_at is not None and now - self._checked_at < self._recheck_s:
            return
        synced = bool(self._kernel_synced_now())
        if synced and not self._kernel_synced and self._checked_at is not None:
            # NTP took over: the kernel wins, a client's offset is dropped.
            current = self._kernel_time() - now
            jump = current - self._delta if self._delta is not None else 0.0
            self._changes.append(ClockChange("ntp", jump))
            self._client = None
        if synced:
            self._client = None
        self._kernel_synced = synced
        self._checked_at = now
        self._delta = self._epoch(now) - now
