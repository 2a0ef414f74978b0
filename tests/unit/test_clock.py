"""The box's clock: kernel sync, a paired client's time kept as an offset, NTP taking over.

The kernel's answers (synchronised or not, its wall time) and the monotonic
clock are injected, so every case is exact.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from borne.runtime.clock import (FIRMWARE_DATE, Clock, ClockChange, ClockRefused, WallTime, build_date,
                         kernel_clock_synchronised)
from borne.runtime.clock_watch import ClockWatch
from borne.display.state import ScreenState
from borne.events import ClockSet, EventBus, ReaderAttached
from borne.api.statuses import http_status  # the API answers the code with this status

UTC = timezone.utc
EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)
#: What an unsynchronised Pi believes: its image's build time plus the uptime.
KERNEL_START = datetime(2026, 3, 1, tzinfo=UTC).timestamp()


class Kernel:
    """The kernel's side, as a test drives it."""

    def __init__(self) -> None:
        self.synced = False
        self.time = KERNEL_START
        self.mono = 1000.0
        self.sync_reads = 0

    def synchronised(self) -> bool:
        self.sync_reads += 1
        return self.synced

    def wall(self) -> float:
        return self.time

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        """Time passes: both clocks move on."""
        self.mono += seconds
        self.time += seconds


def make_clock(kernel: Kernel, *, recheck_s: float = 30.0) -> Clock:
    return Clock(recheck_s=recheck_s, kernel_synced=kernel.synchronised, kernel_time=kernel.wall,
                 monotonic=kernel.monotonic, earliest=EARLIEST, max_years_ahead=20)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_unsynchronised_kernel_gives_its_time_with_source_none():
    kernel = Kernel()
    clock = make_clock(kernel)
    wall = clock.wall()
    assert wall == WallTime("2026-03-01T00:00:00.000+00:00", False, "none")
    assert clock.synchronised is False and clock.source == "none"
    assert clock.time() == KERNEL_START


def test_a_synchronised_kernel_is_the_ntp_source():
    kernel = Kernel()
    kernel.synced = True
    assert make_clock(kernel).wall() == WallTime("2026-03-01T00:00:00.000+00:00", True, "ntp")


def test_a_client_time_corrects_every_reading_and_follows_the_monotonic_clock():
    kernel = Kernel()
    clock = make_clock(kernel)
    change = clock.set_client_time(at("2026-11-22T10:00:00Z"))
    assert change.source == "client"
    assert change.offset_s == pytest.approx(at("2026-11-22T10:00:00Z").timestamp() - KERNEL_START)
    assert clock.wall() == WallTime("2026-11-22T10:00:00.000+00:00", True, "client")
    kernel.advance(90.5)
    assert clock.wall().iso == "2026-11-22T10:01:30.500+00:00"
    # The kernel's own clock stepping (timesyncd restoring its saved time...) changes nothing:
    # the client's time is anchored to the monotonic clock, not to the kernel's wall clock.
    kernel.time += 7200
    assert clock.wall().iso == "2026-11-22T10:01:30.500+00:00"
    assert clock.time() == pytest.approx(at("2026-11-22T10:01:30.5Z").timestamp())


def test_a_later_client_time_replaces_the_first():
    kernel = Kernel()
    clock = make_clock(kernel)
    clock.set_client_time(at("2026-11-22T10:00:00Z"))
    kernel.advance(10)
    change = clock.set_client_time(at("2026-11-22T10:00:25+00:00"))
    assert change.offset_s == pytest.approx(15.0)
    assert clock.wall().iso == "2026-11-22T10:00:25.000+00:00"


def test_ntp_is_never_overridden_even_on_a_stale_cached_answer():
    kernel = Kernel()
    clock = make_clock(kernel, recheck_s=30.0)
    assert clock.synchronised is False  # read now, cached for 30 s
    kernel.synced = True
    kernel.advance(1)
    assert clock.synchronised is False  # still the cached answer
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(at("2026-11-22T10:00:00Z"))
    assert (refused.value.code, http_status(refused.value.code)) == ("clock_synchronised", 409)
    assert clock.source == "ntp"  # the forced read refreshed the cache too


@pytest.mark.parametrize("value", [
    "2025-12-31T23:59:59Z",                      # before the build date
    "1970-01-01T00:00:00Z",
    "2046-01-02T00:00:00Z",                      # more than 20 years after it
    "2026-11-22T10:00:00",                       # no time zone: which 10:00?
])
def test_absurd_times_are_refused_and_change_nothing(value):
    kernel = Kernel()
    clock = make_clock(kernel)
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(at(value))
    assert (refused.value.code, http_status(refused.value.code)) == ("clock_implausible", 400)
    assert refused.value.details == {"earliest": "2026-01-01T00:00:00+00:00",
                                     "latest": "2046-01-01T00:00:00+00:00"}
    assert clock.source == "none"


def test_time_zones_are_converted_to_utc():
    clock = make_clock(Kernel())
    clock.set_client_time(at("2026-11-22T11:00:00+01:00"))
    assert clock.wall().iso == "2026-11-22T10:00:00.000+00:00"


def test_when_ntp_syncs_the_kernel_wins_the_offset_is_dropped_and_the_jump_is_told():
    kernel = Kernel()
    clock = make_clock(kernel, recheck_s=30.0)
    clock.set_client_time(at("2026-11-22T10:00:00Z"))
    kernel.advance(60)
    assert clock.poll() == []
    # NTP steps the kernel to the true time, 2 s after what the client said.
    kernel.synced = True
    kernel.time = at("2026-11-22T10:01:02Z").timestamp()
    kernel.mono += 30  # the next re-read is due
    kernel.time += 30
    assert clock.wall() == WallTime("2026-11-22T10:01:32.000+00:00", True, "ntp")
    [change] = clock.poll()
    assert change.source == "ntp" and change.offset_s == pytest.approx(2.0)
    assert change.event_data() == {"source": "ntp", "offset_s": 2.0}
    assert clock.poll() == []
    # Losing NTP later does not bring the client's stale offset back.
    kernel.synced = False
    kernel.advance(30)
    assert clock.source == "none"
    assert clock.wall().iso == "2026-11-22T10:02:02.000+00:00"


def test_ntp_syncing_without_a_client_time_tells_how_far_it_stepped_the_clock():
    kernel = Kernel()
    clock = make_clock(kernel, recheck_s=10.0)
    assert clock.source == "none"
    kernel.advance(10)
    kernel.time += 3600.25  # NTP's step
    kernel.synced = True
    assert clock.source == "ntp"
    [change] = clock.poll()
    assert change == ClockChange("ntp", pytest.approx(3600.25))


def test_a_kernel_synchronised_at_the_first_reading_is_not_a_change():
    kernel = Kernel()
    kernel.synced = True
    clock = make_clock(kernel)
    assert clock.source == "ntp" and clock.poll() == []


def test_the_kernel_is_asked_at_most_every_recheck_seconds():
    kernel = Kernel()
    clock = make_clock(kernel, recheck_s=30.0)
    for _ in range(5):
        clock.wall()
        kernel.advance(5)
    assert kernel.sync_reads == 1
    kernel.advance(10)
    clock.wall()
    assert kernel.sync_reads == 2


def test_walltime_stays_backward_compatible():
    assert WallTime("t", True).source == "ntp"
    assert WallTime("t", False).source == "none"
    assert WallTime("t", True, "client").source == "client"
    assert WallTime("t", False) == WallTime("t", False, "none")


def test_a_refused_adjtimex_falls_back_to_timesyncds_flag(tmp_path):
    flag = tmp_path / "synchronized"
    assert kernel_clock_synchronised(adjtimex=lambda: None, flag=flag) is False
    flag.touch()
    assert kernel_clock_synchronised(adjtimex=lambda: None, flag=flag) is True
    # When the kernel can be asked, its answer wins over the file.
    assert kernel_clock_synchronised(adjtimex=lambda: False, flag=flag) is False
    assert kernel_clock_synchronised(adjtimex=lambda: True, flag=tmp_path / "none") is True


def test_the_build_date_is_the_images_clock_epoch_when_later(tmp_path):
    epoch = tmp_path / "clock-epoch"
    assert build_date(epoch) == FIRMWARE_DATE
    later = FIRMWARE_DATE + timedelta(days=40)
    epoch.touch()
    os.utime(epoch, (later.timestamp(), later.timestamp()))
    assert build_date(epoch) == later
    earlier = FIRMWARE_DATE - timedelta(days=400)
    os.utime(epoch, (earlier.timestamp(), earlier.timestamp()))
    assert build_date(epoch) == FIRMWARE_DATE


def test_the_real_clock_reads_without_injection():
    clock = Clock()
    wall = clock.wall()
    assert wall.source in ("ntp", "none") and wall.synchronised == (wall.source == "ntp")
    assert abs(datetime.fromisoformat(wall.iso).timestamp() - clock.time()) < 5


def test_the_watch_publishes_ntp_taking_over_on_the_bus():
    kernel = Kernel()
    clock = make_clock(kernel, recheck_s=0.0)
    bus = EventBus(clock)
    watch = ClockWatch(clock, bus)
    assert watch.check() == 0
    kernel.synced = True
    kernel.time += 12.5
    assert watch.check() == 1
    [event] = bus.history()
    assert (event.type, event.data) == ("clock.set", ClockSet(source="ntp", offset_s=12.5))
    assert event.wall_synced is True


def test_the_screen_counts_a_client_set_clock_as_synchronised():
    state = ScreenState()
    state.apply(ReaderAttached(slot="s0", id="s0", name="Reader 0", kind="contact",
                               backend="pcsc"), 0.0)
    assert state.view(1.0).clock_synced is False
    assert state.apply(ClockSet(source="client", offset_s=3.0), 2.0) is True
    assert state.view(3.0).clock_synced is True
