"""The latest wall time the box has known, kept across reboots: the floor of ``POST /v1/clock``.

A Raspberry Pi has no battery-backed clock. Booted without NTP, its kernel clock starts
from the image's build time or from systemd-timesyncd's saved clock (its file's
modification time, "updated on each successful synchronisation and at shutdown",
systemd-timesyncd.service(8)), so it may read earlier than what the box knew before the
reboot. This keeps the latest wall time the box's own clock has read (whatever its source:
NTP, a workstation's setting, or the kernel alone) in ``<data_dir>/clock.json``, and a
workstation's time earlier than it is refused (``clock_before_last_known``), so a copied
example or a workstation with a late clock cannot send the box's records back in time.

It is read when the daemon starts, raised every few seconds in memory
(:class:`~borne.runtime.clock_watch.ClockWatch`), and written at most every
``save_every_s`` (an SD card wears; fake-hwclock saves hourly), at once when a
workstation sets the clock, and when the daemon stops: a power cut loses at most
``save_every_s`` of it, which only lowers the floor.

It also keeps the bound of how far ahead an ordinary workstation may set the clock (issue 16,
item 5): :data:`~borne.runtime.clock.CLIENT_MAX_AHEAD_S` after the *anchor*, the first time
the box trusted in this run (the file's time, if NTP or a workstation gave it; else the first
time a workstation sets), plus the monotonic time run since. Settings do not move the anchor,
so a workstation cannot walk the clock (and this floor) further by repeated steps; a new run
of the daemon anchors on the file again, so each reboot may add one bound at most.

NTP is the authority: while the kernel is synchronised, the floor is NTP's time, even
when that is lower, so a time a workstation set too far ahead is forgotten once NTP
answers. With the box in hand (the daemon stopped), removing the file forgets it too.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from pathlib import Path

from .durable import replace_text

__all__ = ["FILE_NAME", "LastKnownTime"]

log = logging.getLogger("borne.runtime.clock")

#: The file in the data directory.
FILE_NAME = "clock.json"


class LastKnownTime:
    """The latest wall time (epoch seconds) the box has known, and where it came from."""

    def __init__(self, path: Path, *, save_every_s: float = 600.0) -> None:
        self._path = Path(path)
        self._save_every_s = save_every_s
        self._epoch: float | None = None
        self._source = "none"
        self._saved: float | None = None  # the value on disk
        self._saved_at: float | None = None  # monotonic time of the last write
        self._anchor: tuple[float, float] | None = None  # (epoch, monotonic) trusted first

    @property
    def value(self) -> float | None:
        """The floor, in seconds since the epoch (None: the box has never known a time)."""
        return self._epoch

    @property
    def source(self) -> str:
        """Where the floor's time came from: ``ntp``, ``client`` or ``none`` (the kernel alone)."""
        return self._source

    def iso(self) -> str | None:
        """The floor as ISO 8601 UTC, to the millisecond."""
        if self._epoch is None:
            return None
        return datetime.fromtimestamp(self._epoch, timezone.utc).isoformat(timespec="milliseconds")

    def load(self, monotonic_now: float = 0.0) -> None:
        """Read the file (a missing or unreadable one leaves no floor, with a warning); its
        time anchors the bound of :meth:`latest_allowed` if NTP or a workstation gave it."""
        try:
            saved = json.loads(self._path.read_text())
            epoch = float(saved["epoch"])
            source = str(saved.get("source", "none"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s unreadable (%s): no last known time", self._path, error)
            return
        if not math.isfinite(epoch):
            log.warning("%s holds no time: no last known time", self._path)
            return
        self._epoch, self._source, self._saved = epoch, source, epoch
        self.anchor(epoch, source, monotonic_now)

    def anchor(self, epoch: float, source: str, monotonic_now: float) -> None:
        """The box trusts ``epoch`` (read at ``monotonic_now``) if it came from NTP or a
        workstation and the box trusts no time yet in this run; else nothing changes."""
        if self._anchor is None and source in ("ntp", "client"):
            self._anchor = (epoch, monotonic_now)

    def latest_allowed(self, monotonic_now: float, ahead_s: float) -> float | None:
        """The latest time (epoch seconds) an ordinary workstation may set now: ``ahead_s``
        after the anchor plus the time run since (None: no anchor yet, no bound)."""
        if self._anchor is None:
            return None
        epoch, at = self._anchor
        return epoch + (monotonic_now - at) + ahead_s

    def note(self, epoch: float, source: str) -> None:
        """The box's clock read ``epoch`` from ``source``: the floor rises to it (NTP's
        time replaces it, even lower)."""
        if source == "ntp" or self._epoch is None or epoch > self._epoch:
            self._epoch, self._source = epoch, source

    def save_if_due(self, monotonic_now: float) -> bool:
        """Write the floor if it moved and ``save_every_s`` passed since the last write."""
        if self._saved_at is not None and monotonic_now - self._saved_at < self._save_every_s:
            return False
        self._saved_at = monotonic_now
        return self.save()

    def save(self) -> bool:
        """Write the floor now if it moved (atomically, synced); False when unchanged or the
        write failed (logged: the box works on, its floor is only lower after a reboot)."""
        if self._epoch is None or self._epoch == self._saved:
            return False
        try:
            replace_text(self._path, json.dumps({"wall": self.iso(), "epoch": self._epoch,
                                                 "source": self._source}))
        except OSError as error:
            log.warning("cannot keep the last known time in %s: %s", self._path, error.strerror)
            return False
        self._saved = self._epoch
        return True
