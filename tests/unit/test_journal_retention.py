"""Retention's clocks (issue 16, item 5): the box's running time across reboots, and the wall
clock only while NTP vouches for both ends; a record is never deleted early."""

from __future__ import annotations

import json

from borne.journal.age_clock import AgeClock
from borne.journal.retention import Row, time_left

DAY = 86400


class Mono:
    """A monotonic clock the test sets."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def test_running_time_adds_up_across_reboots_and_restarts(tmp_path):
    path = tmp_path / "journal-age.json"
    first = Mono(10.0)
    ages = AgeClock(path, "boot-1", first)
    ages.load()  # no file: it starts at 0
    first.value = 3610.0
    assert ages.now() == 3600.0
    assert ages.save()
    # The daemon restarts in the same boot: the boot's base is kept, the monotonic time runs on.
    first.value = 7210.0
    again = AgeClock(path, "boot-1", first)
    again.load()
    assert again.now() == 7200.0 and again.made_at("boot-1", 10_000_000_000) == 0.0
    # A new boot (off for months: not counted) starts where the last written total stopped.
    second = Mono(5.0)
    after = AgeClock(path, "boot-2", second)
    after.load()
    assert after.now() == 3600.0
    assert after.made_at("boot-1", 3_610_000_000_000) == 3600.0
    assert after.made_at("boot-0", 1) is None


def test_a_record_of_an_unknown_boot_counts_as_new(tmp_path):
    ages = AgeClock(tmp_path / "journal-age.json", "boot-2", Mono(50.0))
    rows = [Row(1, "old", 1_000_000_000_000, 0, False), Row(2, "old", 1_500_000_000_000, 0, False)]
    left = time_left(rows, retention_s=DAY, ages=ages, wall_now=10**10, wall_is_ntp=False)
    assert left == {1: DAY - 500.0, 2: DAY}


def test_a_client_set_wall_clock_never_ages_a_record(tmp_path):
    ages = AgeClock(tmp_path / "journal-age.json", "b", Mono(100.0))
    made = [Row(1, "b", 100_000_000_000, 1_767_225_600, False),
            Row(2, "b", 100_000_000_000, 1_767_225_600, True)]
    years = 1_767_225_600 + 15 * 365 * DAY
    # The wall clock moved 15 years (a client, or no NTP now): no age on it.
    assert time_left(made, retention_s=DAY, ages=ages, wall_now=years, wall_is_ntp=False) == {
        1: DAY, 2: DAY}
    # NTP now, but the first record's wall time was not NTP's: only the second ages on it.
    left = time_left(made, retention_s=DAY, ages=ages, wall_now=1_767_225_600 + 2 * DAY,
                     wall_is_ntp=True)
    assert left == {1: DAY, 2: -DAY}


def test_the_file_holds_numbers_only(tmp_path):
    path = tmp_path / "journal-age.json"
    ages = AgeClock(path, "boot-1", Mono(20.0))
    ages.adopt("boot-0", 5_000_000_000)
    ages.keep_only(["boot-0"])
    assert ages.save()
    saved = json.loads(path.read_text())
    assert set(saved) == {"age_s", "boots"} and set(saved["boots"]) == {"boot-0", "boot-1"}
    path.write_text("{not json")
    broken = AgeClock(path, "boot-1", Mono(1.0))
    broken.load()  # unreadable: starts again (records then look younger: kept longer)
    assert broken.now() == 0.0


def test_writes_are_spaced(tmp_path):
    mono = Mono(0.0)
    ages = AgeClock(tmp_path / "journal-age.json", "boot-1", mono)
    assert ages.save_if_due(600.0)
    mono.value = 599.0
    assert not ages.save_if_due(600.0)
    mono.value = 600.0
    assert ages.save_if_due(600.0)
    assert json.loads((tmp_path / "journal-age.json").read_text())["age_s"] == 600.0
