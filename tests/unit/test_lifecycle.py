"""Services start in order and stop in the reverse order, by construction."""

from __future__ import annotations

import inspect
from contextlib import AsyncExitStack

import pytest

from borne.runtime.lifecycle import Service, enter


class Recorder:
    def __init__(self, name: str, log: list[str], *, fail_start: bool = False) -> None:
        self.name, self.log, self.fail_start = name, log, fail_start

    async def start(self) -> None:
        if self.fail_start:
            raise OSError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


async def test_stop_runs_in_reverse_order_of_start():
    log: list[str] = []
    async with AsyncExitStack() as stack:
        for name in ("storage", "journal", "readers", "api"):
            service = await enter(stack, Recorder(name, log))
            assert isinstance(service, Service)
    assert log == ["start storage", "start journal", "start readers", "start api",
                   "stop api", "stop readers", "stop journal", "stop storage"]


async def test_a_part_that_fails_to_start_is_not_stopped_and_the_others_are():
    log: list[str] = []
    with pytest.raises(OSError):
        async with AsyncExitStack() as stack:
            await enter(stack, Recorder("storage", log))
            await enter(stack, Recorder("api", log, fail_start=True))
    assert log == ["start storage", "stop storage"]


def test_the_daemons_parts_are_services():
    from borne.api.server import ApiServer
    from borne.battery.service import BatteryService
    from borne.control.server import ControlServer
    from borne.display.service import DisplayService
    from borne.journal.service import JournalService
    from borne.mdns.announcer import MdnsAnnouncer
    from borne.runtime.clock_watch import ClockWatch
    from borne.runtime.storage_watch import StorageWatch

    for part in (ApiServer, BatteryService, ControlServer, DisplayService, JournalService,
                 MdnsAnnouncer, ClockWatch, StorageWatch):
        for method in ("start", "stop"):
            assert inspect.iscoroutinefunction(getattr(part, method)), f"{part.__name__}.{method}"
