"""The data partition's watch on real file systems: writable, read-only, and never written to."""

from __future__ import annotations

import os

from borne.runtime.clock import Clock
from borne.config import HealthConfig
from borne.core import Core
from borne.events import EventBus
from borne.runtime.storage_watch import RESERVE_BYTES, StorageWatch


def _watch(path) -> tuple[StorageWatch, Core]:
    clock = Clock()
    core = Core(EventBus(clock), clock)
    settings = HealthConfig(disk_warn_free_mb=1, disk_fail_free_mb=1)
    return StorageWatch(core, path, settings), core


def test_a_read_only_data_partition_is_an_error(tmp_path, mount_tmpfs):
    with mount_tmpfs(tmp_path / "ro", "ro,size=8m") as read_only:
        watch, core = _watch(read_only)
        assert watch.check() == "error" and watch.refusing
        assert core.devices["storage"]["detail"].endswith("is not writable")


def test_measuring_writes_nothing_once_the_reserve_is_made(tmp_path, mount_tmpfs):
    with mount_tmpfs(tmp_path / "data", "size=8m") as data:
        watch, core = _watch(data)
        assert watch.check() == "available" and not watch.refusing
        assert watch.reserve.stat().st_size == RESERVE_BYTES
        before = (sorted(os.listdir(data)), os.stat(data).st_mtime_ns)
        for _ in range(5):
            assert watch.check() == "available"
        assert (sorted(os.listdir(data)), os.stat(data).st_mtime_ns) == before
