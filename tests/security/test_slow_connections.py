"""Finding 2 of issue 16: a LAN attacker without a certificate holding slow connections.

- More slow connections than the daemon has descriptors (its process limited to the unit's
  ``LimitNOFILE``, as systemd would), from as many source addresses as the budget of
  connections without a certificate: handshakes that never finish, ClientHellos dripped a
  byte a second, pairing requests whose body is dripped. A paired workstation in use
  (connected before) opening a new connection for each request is still served, promptly.
- A trickled request body is cut after the request deadline (aiohttp itself has none
  while a body is read); so is a trickled request head.

The attack runs in a child process (:mod:`support.slow_clients`); the box runs in the test
process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import asyncio
import re
import resource
import time
from pathlib import Path

import httpx
import pytest

from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles

from support.box import paired, raw_tls, running_box, url
from support.slow_clients import SlowClients

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "borne.service"
#: What systemd gives a service that does not say (its DefaultLimitNOFILE soft limit).
SYSTEMD_DEFAULT_NOFILE = 1024


def unit_nofile() -> int:
    """The soft descriptor limit the daemon runs with under its unit."""
    match = re.search(r"^LimitNOFILE=(\d+)(?::\d+)?$", UNIT.read_text(), re.MULTILINE)
    return int(match.group(1)) if match else SYSTEMD_DEFAULT_NOFILE


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def _until_closed(reader: asyncio.StreamReader, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if not await asyncio.wait_for(reader.read(65536), limit):
                break
        except (ConnectionResetError, asyncio.TimeoutError):
            break
    return time.monotonic() - started


async def test_a_paired_client_is_served_through_more_slow_connections_than_descriptors(
        box, tmp_path):
    await paired(box, tmp_path / "ws")
    context = mtls_context(WorkstationFiles(tmp_path / "ws"))
    async with httpx.AsyncClient(verify=context, base_url=url(box)) as client:
        assert (await client.get("/v1/status")).status_code == 200  # a workstation in use
    limit = unit_nofile()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))  # the box's process, as under systemd
    attack = SlowClients(box.api.port, limit + 100)
    try:
        # More connections than the box has descriptors, opened (and reopened when closed).
        opened = await attack.until_opened(limit + 100)
        took: list[float] = []
        failures: list[str] = []
        # A new connection for each request: one opened before the attack proves nothing.
        for _ in range(10):
            started = time.monotonic()
            try:
                async with httpx.AsyncClient(verify=context, base_url=url(box),
                                             timeout=3.0) as client:
                    answer = await client.get("/v1/status")
                assert answer.status_code == 200
            except httpx.HTTPError as error:
                failures.append(repr(error.__cause__ or error))
            took.append(time.monotonic() - started)
    finally:
        counts = attack.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert opened.get("opened", 0) >= limit + 100, opened
    assert failures == [], (failures, took, counts)
    assert max(took) < 3.0, (took, counts)


async def test_a_trickled_body_without_a_certificate_is_cut_after_the_deadline(box):
    deadline = box.config.api.connections.request_timeout_s
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=raw_tls(),
                                                   server_hostname="localhost")
    writer.write(b"POST /v1/pairing/start HTTP/1.1\r\nHost: borne\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")

    async def drip():
        for _ in range(999):
            await asyncio.sleep(0.5)
            writer.write(b" ")

    dripping = asyncio.create_task(drip())
    took = await _until_closed(reader, deadline + 10)
    dripping.cancel()
    writer.close()
    assert took <= deadline + 2, took


async def test_a_trickled_head_without_a_certificate_is_cut_after_the_deadline(box):
    deadline = box.config.api.connections.request_timeout_s
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=raw_tls(),
                                                   server_hostname="localhost")

    async def drip():
        writer.write(b"GET /v1/status HTTP/1.1\r\nHost: borne\r\n")
        for _ in range(999):
            await asyncio.sleep(0.5)
            writer.write(b"X-Slow: a\r\n")

    dripping = asyncio.create_task(drip())
    took = await _until_closed(reader, deadline + 30)
    dripping.cancel()
    writer.close()
    assert took <= deadline + 2, took


async def test_the_deadline_bounds_receiving_a_request_never_an_event_stream(tmp_path):
    async with running_box(tmp_path, api={"connections": {"request_timeout_s": 1.0,
                                                          "client_request_timeout_s": 1.0}}) as box:
        await paired(box, tmp_path / "ws")
        context = mtls_context(WorkstationFiles(tmp_path / "ws"))
        # An event stream outlives the deadline: heartbeats keep coming for 3 s.
        async with httpx.AsyncClient(verify=context, base_url=url(box), timeout=5.0) as client:
            async with client.stream("GET", "/v1/events") as stream:
                started, beats = time.monotonic(), 0
                async for line in stream.aiter_lines():
                    beats += line.startswith(": heartbeat")
                    if time.monotonic() - started > 3.0:
                        break
            assert beats >= 3
            # And the client is served after it.
            assert (await client.get("/v1/status")).status_code == 200
        # A paired client's dripped body is cut too, after its own deadline.
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", box.api.port, ssl=context, server_hostname="localhost")
        writer.write(b"POST /v1/clock HTTP/1.1\r\nHost: borne\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")

        async def drip():
            for _ in range(99):
                await asyncio.sleep(0.3)
                writer.write(b" ")

        dripping = asyncio.create_task(drip())
        took = await _until_closed(reader, 10)
        dripping.cancel()
        writer.close()
        assert took <= 3.0, took


async def _tcp_from(box, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A plain TCP connection to the API from ``source`` (no TLS: a handshake never begun)."""
    return await asyncio.open_connection("127.0.0.1", box.api.port, local_addr=(source, 0))


async def test_an_address_over_its_cap_is_refused_at_once_without_costing_a_handshake(box):
    cap = box.config.api.connections.max_unauthenticated_per_address
    held = [await _tcp_from(box, "127.0.3.1") for _ in range(cap)]
    try:
        # One more from the same address: closed at once, before the box reads a ClientHello
        # (reconnecting floods cost the box an accept and a close, never a TLS handshake).
        reader, writer = await _tcp_from(box, "127.0.3.1")
        assert await _until_closed(reader, 5.0) < 1.0
        writer.close()
        # The connections it holds are kept (closing the oldest would make each reconnection
        # cost a handshake), and another address is not affected.
        other_reader, other_writer = await _tcp_from(box, "127.0.3.2")
        assert await _until_closed(other_reader, 1.0) >= 1.0  # still open after 1 s
        other_writer.close()
        for reader, _ in held:
            assert not reader.at_eof()
    finally:
        for _, writer in held:
            writer.close()
