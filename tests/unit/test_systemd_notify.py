"""sd_notify and the event-loop watchdog, over a real datagram socket standing in for systemd's."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from borne.runtime.systemd_notify import Notifier, Watchdog, watchdog_period_s


@pytest.fixture
def listener(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.setblocking(False)
    yield sock, str(tmp_path / "notify")
    sock.close()


def _drain(sock: socket.socket) -> list[str]:
    messages = []
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except BlockingIOError:
            return messages


def test_notifier_sends_key_value_lines(listener) -> None:
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled and notifier.send(ready=1, status="ready in 0.2 s")
    assert _drain(sock) == ["READY=1\nSTATUS=ready in 0.2 s"]


def test_abstract_socket_names_start_with_at() -> None:
    name = f"borne-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).send(ready=1)
        assert sock.recv(100) == b"READY=1"


def test_without_systemd_nothing_is_sent_and_nothing_fails(tmp_path: Path) -> None:
    assert not Notifier({}).enabled and not Notifier({}).send(ready=1)
    # A socket that went away is logged, never raised: the box still serves.
    assert not Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).send(ready=1)


def test_watchdog_period_follows_sd_watchdog_enabled() -> None:
    assert watchdog_period_s({"WATCHDOG_USEC": "10000000"}) == 10.0
    assert watchdog_period_s({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "42"}, pid=42) == 10.0
    assert watchdog_period_s({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "43"}, pid=42) is None
    assert watchdog_period_s({}) is None and watchdog_period_s({"WATCHDOG_USEC": "x"}) is None


def test_watchdog_pings_every_half_period_while_the_loop_runs(listener) -> None:
    sock, path = listener

    async def scenario() -> list[str]:
        watchdog = Watchdog(Notifier({"NOTIFY_SOCKET": path}), period_s=0.2)
        watchdog.start()
        await asyncio.sleep(0.55)
        watchdog.stop()
        await asyncio.sleep(0.25)  # stopped: no more pings
        return _drain(sock)

    pings = asyncio.run(scenario())
    assert set(pings) == {"WATCHDOG=1"} and 5 <= len(pings) <= 7  # at 0, .1, .2, .3, .4, .5


def test_a_stuck_loop_stops_the_pings(listener) -> None:
    sock, path = listener

    async def scenario() -> tuple[int, int]:
        watchdog = Watchdog(Notifier({"NOTIFY_SOCKET": path}), period_s=0.2)
        watchdog.start()
        await asyncio.sleep(0.25)
        before = len(_drain(sock))
        time.sleep(0.6)  # a blocking call on the loop: 6 pings are due, none may go
        during = len(_drain(sock))
        watchdog.stop()
        return before, during

    before, during = asyncio.run(scenario())
    assert before >= 2 and during == 0


def test_a_dead_worker_stops_the_pings_and_says_why(listener) -> None:
    sock, path = listener
    problem: list[str | None] = [None]

    async def scenario() -> list[str]:
        watchdog = Watchdog(Notifier({"NOTIFY_SOCKET": path}), 0.2, lambda: problem[0])
        watchdog.start()
        await asyncio.sleep(0.15)
        problem[0] = "pcsc worker died: RuntimeError"
        await asyncio.sleep(0.4)
        return _drain(sock)

    messages = asyncio.run(scenario())
    assert messages[-1] == "STATUS=unhealthy: pcsc worker died: RuntimeError"
    assert messages[:-1] == ["WATCHDOG=1"] * (len(messages) - 1) and len(messages) <= 4
