"""The box's clock never goes back: a workstation's time before the latest the box has known
is refused, and that time is kept across reboots (``<data_dir>/clock.json``).

The kernel's answers and the monotonic clock are injected, so every case is exact.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from borne.api.statuses import http_status
from borne.events import EventBus
from borne.runtime.clock import BACKWARDS_SLACK_S, Clock, ClockRefused
from borne.runtime.clock_watch import ClockWatch
from borne.runtime.last_known_time import LastKnownTime

UTC = timezone.utc
EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)
KERNEL_START = datetime(2026, 3, 1, tzinfo=UTC).timestamp()  # an unsynchronised Pi's belief
SET = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class Kernel:
    """The kernel's side, as a test drives it."""

    def __init__(self) -> None:
        self.synced = False
        self.time = KERNEL_START
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.time += seconds


def make_clock(kernel: Kernel) -> Clock:
    return Clock(recheck_s=0.0, kernel_synced=lambda: kernel.synced,
                 kernel_time=lambda: kernel.time, monotonic=lambda: kernel.mono,
                 earliest=EARLIEST)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def test_a_time_before_the_clock_now_is_refused_and_changes_nothing():
    kernel = Kernel()
    clock = make_clock(kernel)
    clock.set_client_time(SET)
    kernel.advance(3600)
    wall = clock.wall()
    # The old docs' example, 13.6 days before what the box knows.
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    assert (refused.value.code, http_status(refused.value.code)) == ("clock_before_last_known", 409)
    assert refused.value.details["last_known"] == wall.iso
    assert refused.value.details["behind_s"] == pytest.approx(
        SET.timestamp() + 3600 - datetime(2026, 11, 22, 10, 0, tzinfo=UTC).timestamp())
    assert clock.wall() == wall and clock.source == "client"


def test_a_time_a_little_behind_keeps_the_clock_and_says_so():
    kernel = Kernel()
    clock = make_clock(kernel)
    clock.set_client_time(SET)
    kernel.advance(10)
    change = clock.set_client_time(datetime.fromtimestamp(SET.timestamp() + 10 - 5, UTC))
    assert change.offset_s == 0.0  # what the box did: nothing
    assert clock.time() == SET.timestamp() + 10
    # Just within the slack, and just beyond it.
    clock.set_client_time(datetime.fromtimestamp(clock.time() - BACKWARDS_SLACK_S, UTC))
    with pytest.raises(ClockRefused):
        clock.set_client_time(datetime.fromtimestamp(clock.time() - BACKWARDS_SLACK_S - 0.01, UTC))


def test_the_floor_from_before_a_reboot_holds_while_the_kernel_reads_earlier():
    kernel = Kernel()  # rebooted: the kernel is back at its image's time
    clock = make_clock(kernel)
    floor = SET.timestamp()
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(datetime(2026, 11, 22, 10, 0, tzinfo=UTC), not_before=floor)
    assert refused.value.details["last_known"] == iso(floor)
    assert clock.source == "none" and clock.time() == KERNEL_START
    # Within the slack of the floor: forward from the kernel's time, to the time given.
    given = datetime.fromtimestamp(floor - 30, UTC)
    change = clock.set_client_time(given, not_before=floor)
    assert change.offset_s == pytest.approx(floor - 30 - KERNEL_START)
    assert clock.time() == pytest.approx(floor - 30)
    later = clock.set_client_time(datetime.fromtimestamp(floor + 100, UTC), not_before=floor)
    assert later.offset_s == pytest.approx(130)


def test_the_build_date_and_ntp_checks_come_first():
    kernel = Kernel()
    clock = make_clock(kernel)
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(datetime(2001, 1, 1, tzinfo=UTC), not_before=SET.timestamp())
    assert refused.value.code == "clock_implausible"
    kernel.synced = True
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(SET, not_before=SET.timestamp())
    assert refused.value.code == "clock_synchronised"


# -- the last known time, on disk ---------------------------------------------------------------

def test_the_last_known_time_rises_survives_a_restart_and_follows_ntp(tmp_path):
    path = tmp_path / "clock.json"
    known = LastKnownTime(path)
    known.load()
    assert known.value is None and not known.save()  # nothing known, nothing written
    known.note(SET.timestamp(), "client")
    known.note(KERNEL_START, "none")  # a later reading of an earlier clock: the floor stays
    assert known.value == SET.timestamp() and known.source == "client"
    assert known.save() and not known.save()  # written once; unchanged, not again
    saved = json.loads(path.read_text())
    assert saved == {"wall": iso(SET.timestamp()), "epoch": SET.timestamp(), "source": "client"}
    again = LastKnownTime(path)
    again.load()
    assert (again.value, again.source, again.iso()) == (SET.timestamp(), "client",
                                                        iso(SET.timestamp()))
    again.note(SET.timestamp() - 86400, "ntp")  # NTP is the authority, even lower
    assert again.value == SET.timestamp() - 86400 and again.source == "ntp"


@pytest.mark.parametrize("content", ["", "{", "[]", '{"epoch": "soon"}', '{"epoch": NaN}',
                                     '{"wall": "x"}'])
def test_an_unreadable_file_leaves_no_floor(tmp_path, content, caplog):
    path = tmp_path / "clock.json"
    path.write_text(content)
    known = LastKnownTime(path)
    known.load()
    assert known.value is None
    assert "clock.json" in caplog.text


def test_writes_are_spaced_and_a_failed_write_is_only_logged(tmp_path, caplog):
    known = LastKnownTime(tmp_path / "clock.json", save_every_s=600)
    known.note(SET.timestamp(), "none")
    assert known.save_if_due(0.0)
    known.note(SET.timestamp() + 10, "none")
    assert not known.save_if_due(599.0)
    assert known.save_if_due(600.0)
    assert json.loads((tmp_path / "clock.json").read_text())["epoch"] == SET.timestamp() + 10
    gone = LastKnownTime(tmp_path / "missing" / "clock.json")
    gone.note(SET.timestamp(), "none")
    assert gone.save() is False and "cannot keep the last known time" in caplog.text


def test_the_watch_raises_the_floor_saves_on_ntp_and_at_stop(tmp_path):
    kernel = Kernel()
    clock = make_clock(kernel)
    known = LastKnownTime(tmp_path / "clock.json", save_every_s=600)
    watch = ClockWatch(clock, EventBus(clock), last_known=known)
    watch.check()
    assert known.value == KERNEL_START and (tmp_path / "clock.json").exists()
    clock.set_client_time(SET)
    kernel.advance(5)
    watch.check()
    assert known.value == SET.timestamp() + 5
    assert json.loads((tmp_path / "clock.json").read_text())["epoch"] == KERNEL_START  # not due
    kernel.synced = True
    kernel.time = SET.timestamp() - 3600  # NTP says the workstation was an hour ahead
    assert watch.check() == 1
    assert json.loads((tmp_path / "clock.json").read_text()) == {
        "wall": iso(SET.timestamp() - 3600), "epoch": SET.timestamp() - 3600, "source": "ntp"}
    kernel.advance(30)
    import asyncio

    asyncio.run(watch.stop())
    assert json.loads((tmp_path / "clock.json").read_text())["epoch"] == SET.timestamp() - 3570


def test_a_workstation_moves_the_clock_a_bounded_way_from_the_time_trusted_first(tmp_path):
    kernel = Kernel()
    clock = make_clock(kernel)
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"wall": iso(SET.timestamp()), "epoch": SET.timestamp(),
                                "source": "client"}))
    known = LastKnownTime(path)
    known.load(kernel.mono)  # a workstation's time from before the reboot: the anchor
    kernel.advance(3600)
    assert known.latest_allowed(kernel.mono, 10 * 86400) == SET.timestamp() + 3600 + 10 * 86400
    limit = known.latest_allowed(kernel.mono, 10 * 86400)
    far = datetime.fromtimestamp(limit + 1, UTC)
    with pytest.raises(ClockRefused) as refused:
        clock.set_client_time(far, not_before=known.value, not_after=limit)
    assert (refused.value.code, http_status(refused.value.code)) == ("clock_too_far_ahead", 409)
    assert refused.value.details == {"latest": iso(limit), "ahead_s": 1.0}
    assert clock.source == "none"  # nothing changed
    # Up to the limit: taken; the anchor does not follow, so the next step cannot go further.
    clock.set_client_time(datetime.fromtimestamp(limit, UTC), not_after=limit)
    known.note(clock.time(), clock.source)
    known.anchor(clock.time(), clock.source, kernel.mono)
    assert known.latest_allowed(kernel.mono, 10 * 86400) == limit


def test_only_a_time_ntp_or_a_workstation_gave_anchors_the_bound(tmp_path):
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"wall": iso(KERNEL_START), "epoch": KERNEL_START,
                                "source": "none"}))
    known = LastKnownTime(path)
    known.load(5.0)  # the kernel's own clock: a fresh box's workstation may set any plausible time
    assert known.value == KERNEL_START and known.latest_allowed(5.0, 86400) is None
    known.anchor(SET.timestamp(), "client", 10.0)  # the first time a workstation gives
    known.anchor(SET.timestamp() + 86400, "client", 20.0)  # later ones do not move it
    assert known.latest_allowed(30.0, 86400) == SET.timestamp() + 20 + 86400
