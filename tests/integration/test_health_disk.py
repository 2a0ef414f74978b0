"""The data partition checks on real file systems: the test's own, and small tmpfs filled up.

The tmpfs are mounted in the test process's private mount namespace (tests/integration/conftest.py
makes one, rprivate, before anything starts), so the machine never sees them.
"""

from __future__ import annotations

import os

import pytest

from borne.config import HealthConfig
from borne.health import check_data_dir, check_disk

MB = 1024 * 1024


def test_plenty_of_room_is_ok_and_says_the_figures(tmp_path):
    check = check_disk(tmp_path, HealthConfig(disk_warn_free_mb=1, disk_fail_free_mb=0,
                                              inodes_warn_free=1, inodes_fail_free=0))
    assert (check.status, check.code) == ("ok", "ok")
    free = os.statvfs(tmp_path)
    assert f"{free.f_bavail * free.f_frsize // MB} MB free" in check.detail_en
    assert str(tmp_path) in check.detail_fr and "Mo libres" in check.detail_fr


def test_thresholds_above_what_is_free_warn_then_fail(tmp_path):
    huge = 1 << 40  # MB: more than any disk here
    warn = check_disk(tmp_path, HealthConfig(disk_warn_free_mb=huge, disk_fail_free_mb=0))
    assert (warn.status, warn.code) == ("warn", "disk_low")
    assert "du -xsh" in warn.fix_en and "agrandissez" in warn.fix_fr
    fail = check_disk(tmp_path, HealthConfig(disk_warn_free_mb=huge, disk_fail_free_mb=huge))
    assert (fail.status, fail.code) == ("fail", "disk_full")
    assert "writes (journal, pairings) fail" in fail.fix_en


def test_a_data_dir_not_created_yet_is_measured_on_the_partition_it_will_be_on(tmp_path):
    check = check_disk(tmp_path / "absent" / "deeper", HealthConfig())
    assert check.status == "ok" and f"{tmp_path}:" in check.detail_en


def test_a_tmpfs_filling_up_warns_then_fails(tmp_path, mount_tmpfs):
    settings = HealthConfig(disk_warn_free_mb=4, disk_fail_free_mb=1, inodes_warn_free=1,
                            inodes_fail_free=0)
    with mount_tmpfs(tmp_path / "data", "size=8m") as data:
        assert check_disk(data, settings).status == "ok"
        (data / "journal.db").write_bytes(b"\0" * (5 * MB))
        low = check_disk(data, settings)
        assert (low.status, low.code) == ("warn", "disk_low")
        assert "3 MB free" in low.detail_en and "se remplit" in low.detail_fr
        with pytest.raises(OSError):  # really full: ENOSPC
            (data / "more.db").write_bytes(b"\0" * (4 * MB))
        full = check_disk(data, settings)
        assert (full.status, full.code) == ("fail", "disk_full")
        assert "0 MB free" in full.detail_en and "est pleine" in full.detail_fr


def test_a_tmpfs_running_out_of_inodes(tmp_path, mount_tmpfs):
    settings = HealthConfig(disk_warn_free_mb=0, disk_fail_free_mb=0, inodes_warn_free=20,
                            inodes_fail_free=5)
    with mount_tmpfs(tmp_path / "data", "size=8m,nr_inodes=64") as data:
        assert check_disk(data, settings).status == "ok"
        for n in range(50):
            (data / f"f{n}").touch()
        low = check_disk(data, settings)
        assert (low.status, low.code) == ("warn", "inodes_low")
        assert "find" in low.fix_en and "too many files" in low.detail_en
        for n in range(50, 62):
            try:
                (data / f"f{n}").touch()
            except OSError:  # ENOSPC: no inode left
                break
        full = check_disk(data, settings)
        assert (full.status, full.code) == ("fail", "inodes_full")
        assert os.statvfs(data).f_favail < 5
        assert f"{os.statvfs(data).f_favail} free inodes" in full.detail_en


def test_data_dir_missing_writable_and_read_only(tmp_path, mount_tmpfs):
    missing = check_data_dir(tmp_path / "absent")
    assert (missing.status, missing.code) == ("warn", "data_dir_missing")
    assert "install -d" in missing.fix_en
    assert check_data_dir(tmp_path).status == "ok"
    # Root may write anywhere, except on a read-only file system: access(2) says EROFS.
    with mount_tmpfs(tmp_path / "ro", "ro,size=1m") as read_only:
        check = check_data_dir(read_only)
        assert (check.status, check.code) == ("fail", "data_dir_not_writable")
