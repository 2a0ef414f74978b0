"""The API under abuse, over real sockets: guessing codes, oversized requests, silent or idle
connections, slow event-stream readers, resumes from too far back."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import socket
import threading
import time

import httpx
import pytest

from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.events import CardRemoved
from borne.secure_channel.pairing import PairingClient

from support.box import paired, raw_tls, running_box, url

pytestmark = pytest.mark.pcscd

ERROR_KEYS = {"error", "message", "details"}


@pytest.fixture
async def box(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as daemon:
        yield daemon


def _csr() -> bytes:
    from borne.client.pairing import make_key_and_csr

    return make_key_and_csr("Intrus")[1]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1 + secrets.randbelow(999_998)) % 1_000_000:06d}"


def _guess(http: httpx.Client, code: str, csr_pem: bytes) -> tuple[int, str, int, str]:
    """One full SPAKE2 exchange with ``code``: (start status, start error, complete status, error)."""
    spake = PairingClient(code)
    started = http.post("/v1/pairing/start", json={"client_msg": base64.b64encode(spake.start()).decode()})
    if started.status_code != 200:
        return started.status_code, started.json()["error"], 0, ""
    spake.finish(base64.b64decode(started.json()["server_msg"]))
    done = http.post("/v1/pairing/complete", json={
        "session": started.json()["session"], "csr": csr_pem.decode(), "name": "Intrus",
        "mac": base64.b64encode(spake.request_mac(csr_pem, "Intrus")).decode()})
    body = done.json()
    return 200, "", done.status_code, body.get("error", "")


async def test_wrong_codes_across_windows_never_pair_and_the_api_keeps_answering(box, tmp_path):
    await paired(box, tmp_path / "ws")
    pairing = box.api_context.pairing
    files = WorkstationFiles(tmp_path / "ws")
    csr_pem = _csr()
    attempts, windows = 200, 0
    done = threading.Event()
    outcomes: list[tuple[int, str, int, str]] = []
    latencies: list[float] = []

    def attack() -> None:
        nonlocal windows
        # Guesses from five addresses in turn: one address may spend only two wrong codes.
        clients = [httpx.Client(transport=httpx.HTTPTransport(verify=raw_tls(),
                                                              local_address=f"127.0.0.{2 + n}"),
                                base_url=url(box), timeout=10) for n in range(5)]
        try:
            with contextlib.ExitStack() as stack:
                for client in clients:
                    stack.enter_context(client)
                code = None
                while len(outcomes) < attempts:
                    if code is None:
                        code, windows = pairing.open().code, windows + 1
                    outcome = _guess(clients[len(outcomes) % 5], _wrong(code), csr_pem)
                    outcomes.append(outcome)
                    if outcome[0] == 409:  # the previous guess closed the window: open another
                        assert outcome[1] == "pairing_closed", outcome
                        outcomes.pop()
                        code = None
        finally:
            done.set()

    def poll_status() -> None:
        with httpx.Client(verify=mtls_context(files), base_url=url(box), timeout=5.0) as http:
            while not done.is_set():
                started = time.perf_counter()
                response = http.get("/v1/status")  # raises on a 5 s timeout
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
                time.sleep(0.01)

    poller = asyncio.create_task(asyncio.to_thread(poll_status))
    await asyncio.to_thread(attack)
    await poller

    assert len(outcomes) == attempts
    assert {o[:2] for o in outcomes} == {(200, "")}  # every start went through...
    assert {o[2:] for o in outcomes} == {(403, "pairing_wrong_code")}  # ...and every proof failed
    max_failures = box.config.api.pairing_max_failures
    assert windows == -(-attempts // max_failures)  # each window took exactly max_failures guesses
    assert box.api_context.clients.count() == 1  # only the workstation paired above
    assert pairing.status()["open"] is False
    assert len(latencies) >= 10, latencies
    latencies.sort()
    print(f"{attempts} wrong codes over {windows} windows; /v1/status meanwhile: n={len(latencies)} "
          f"median={latencies[len(latencies) // 2]:.1f} ms max={latencies[-1]:.1f} ms")


async def test_oversized_header_gets_the_json_error_shape(box, tmp_path, caplog):
    await paired(box, tmp_path / "ws")
    context = mtls_context(WorkstationFiles(tmp_path / "ws"))
    async with httpx.AsyncClient(verify=context, base_url=url(box)) as http:
        response = await http.get("/v1/status", headers={"X-Big": "secret" * 4000})
        assert response.status_code == 431
        assert response.json() == {"error": "header_too_large",
                                    "message": "En-têtes de requête trop volumineux",
                                    "details": {}}
        many = {f"X-H{i}": "v" for i in range(200)}
        response = await http.get("/v1/status", headers=many)
        assert (response.status_code, response.json()["error"]) == (431, "header_too_large")
        # The connection is closed after a refused request; a new one is served.
        assert (await http.get("/v1/status")).status_code == 200
    # The refused bytes are not logged (aiohttp's own handler quotes the first 100).
    assert "secret" not in caplog.text
    assert "HTTP request refused from 127.0.0.1: header too large" in caplog.text


async def test_a_broken_request_line_gets_the_json_error_shape(box, tmp_path):
    await paired(box, tmp_path / "ws")
    context = mtls_context(WorkstationFiles(tmp_path / "ws"))
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=context,
                                                   server_hostname="localhost")
    try:
        writer.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400"
    assert b"application/json" in head
    assert json.loads(body) == {"error": "bad_request", "message": "Requête invalide",
                                "details": {}}


@pytest.mark.parametrize("path", ["/v1/pairing/start", "/v1/pairing/complete"])
@pytest.mark.parametrize("chunked", [False, True])
async def test_oversized_pairing_body_is_413(box, path, chunked):
    big = b'{"client_msg": "' + b"A" * 70_000 + b'"}'

    async def pieces():
        for start in range(0, len(big), 8192):
            yield big[start:start + 8192]

    async with httpx.AsyncClient(verify=raw_tls(), base_url=url(box)) as http:
        response = await http.post(path, content=pieces() if chunked else big,
                                   headers={"Content-Type": "application/json",
                                            "Accept-Language": "en"})
    assert response.status_code == 413
    assert response.json() == {"error": "payload_too_large", "message": "Request too large",
                               "details": {}}


async def _until_closed(reader: asyncio.StreamReader, limit: float) -> tuple[float, bytes]:
    """Read until the box closes the connection; (seconds it took, what was read)."""
    started, data = time.monotonic(), b""
    while True:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), limit)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return time.monotonic() - started, data
        data += chunk


@pytest.fixture
async def quick_box(tmp_path, sim_pcscd):
    async with running_box(tmp_path, api={"handshake_timeout_s": 0.5,
                                          "keepalive_s": 0.5}) as daemon:
        yield daemon


@pytest.mark.parametrize("hello", [b"", b"\x16\x03\x01\x02\x00\x01"], ids=["silent", "half-hello"])
async def test_a_connection_that_does_not_finish_its_handshake_is_closed(quick_box, hello):
    reader, writer = await asyncio.open_connection("127.0.0.1", quick_box.api.port)
    writer.write(hello)
    took, data = await _until_closed(reader, 5.0)
    writer.close()
    assert data == b"" and 0.4 <= took <= 2.0, took


async def test_idle_keepalive_and_slow_headers_are_closed(quick_box, tmp_path):
    await paired(quick_box, tmp_path / "ws")
    context = mtls_context(WorkstationFiles(tmp_path / "ws"))

    async def connect():
        return await asyncio.open_connection("127.0.0.1", quick_box.api.port, ssl=context,
                                             server_hostname="localhost")

    reader, writer = await connect()  # answered, then left idle
    writer.write(b"GET /v1/status HTTP/1.1\r\nHost: borne\r\n\r\n")
    took, data = await _until_closed(reader, 5.0)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"}")
    assert 0.4 <= took <= 2.0, took
    writer.close()

    reader, writer = await connect()  # handshake done, no request at all
    took, data = await _until_closed(reader, 5.0)
    assert data == b"" and 0.4 <= took <= 2.0, took
    writer.close()

    reader, writer = await connect()  # headers dripped one byte every 0.1 s
    request = b"GET /v1/status HTTP/1.1\r\nHost: borne\r\nX-Slow: " + b"a" * 100

    async def drip():
        for byte in request:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)

    dripping = asyncio.create_task(drip())
    took, data = await _until_closed(reader, 5.0)
    dripping.cancel()
    assert data == b"" and 0.4 <= took <= 2.0, took
    writer.close()


def _frames(text: str) -> list[dict[str, str]]:
    """SSE frames (``id``/``event``/``data``/comment) out of a de-chunked or raw stream."""
    frames, current = [], {}
    for line in text.splitlines():
        if line == "":
            if current:
                frames.append(current)
            current = {}
        elif line.startswith(":"):
            frames.append({"comment": line[1:].strip()})
        elif ": " in line and line.split(": ", 1)[0] in {"id", "event", "data"}:
            key, value = line.split(": ", 1)
            current[key] = value
    if current:
        frames.append(current)
    return frames


def _dechunk(raw: bytes) -> tuple[bytes, bool]:
    """The body of a chunked HTTP/1.1 response, and whether its last chunk arrived."""
    _, _, rest = raw.partition(b"\r\n\r\n")
    body = b""
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return body, True
        body, rest = body + rest[:size], rest[size + 2:]
    return body, False


async def test_a_client_that_never_reads_its_stream_does_not_stall_the_box(tmp_path, sim_pcscd):
    async with running_box(tmp_path, api={"stream_queue": 8}) as box:
        result = await paired(box, tmp_path / "ws")
        context = mtls_context(WorkstationFiles(tmp_path / "ws"))
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", box.api.port))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, ssl=context,
                                                       server_hostname="localhost")
        writer.write(b"GET /v1/events HTTP/1.1\r\nHost: borne\r\n\r\n")
        for _ in range(200):
            if box.api_context.streams.get(result.client_id):
                break
            await asyncio.sleep(0.01)
        assert box.api_context.streams.get(result.client_id), "the stream never opened"
        first = box.bus.last_seq + 1

        async with httpx.AsyncClient(verify=context, base_url=url(box), timeout=5.0) as http:
            answers: list[int] = []

            async def poll():
                while True:
                    answers.append((await http.get("/v1/status")).status_code)
                    await asyncio.sleep(0.01)

            poller = asyncio.create_task(poll())
            in_publish = 0.0
            for batch in range(200):
                started = time.perf_counter()
                for _ in range(100):
                    box.bus.publish(CardRemoved(slot="x", detected_ns=0))
                in_publish += time.perf_counter() - started
                await asyncio.sleep(0)
            await asyncio.sleep(0.2)
            poller.cancel()
            assert in_publish < 2.0, in_publish  # 20,000 publications never wait for the reader
            assert answers and set(answers) == {200}
            assert box.bus.last_seq == first + 19_999

        # The slow stream was ended: its queue overflowed, it got every event it had queued,
        # then `stream.overflow` naming the last one, then the end of the chunked body.
        assert not box.api_context.streams.get(result.client_id)
        raw = b""
        while not raw.endswith(b"\r\n0\r\n\r\n"):
            chunk = await asyncio.wait_for(reader.read(65536), 15)
            assert chunk, "closed before the end of the response"
            raw += chunk
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        body, complete = _dechunk(raw)
        assert complete
        frames = _frames(body.decode())
        ids = [int(f["id"]) for f in frames if "id" in f]
        assert ids and ids == list(range(first, first + len(ids))) and len(ids) <= 8 + 1
        assert frames[-1]["event"] == "stream.overflow"
        assert json.loads(frames[-1]["data"]) == {"resume_after": ids[-1]}
        writer.close()

        # Resuming from there: those events left the 2048-event history meanwhile.
        async with httpx.AsyncClient(verify=context, base_url=url(box), timeout=5.0) as http:
            async with http.stream("GET", "/v1/events",
                                   headers={"Last-Event-ID": str(ids[-1])}) as response:
                lines = response.aiter_lines()
                assert await anext(lines) == "event: stream.gap"
                gap = json.loads((await anext(lines))[len("data: "):])
        assert gap == {"lost_after": ids[-1], "resumes_at": box.bus.last_seq - 2047}


async def test_an_idle_stream_gets_heartbeats(box, tmp_path):
    await paired(box, tmp_path / "ws")
    context = mtls_context(WorkstationFiles(tmp_path / "ws"))
    seen: list[str] = []
    async with httpx.AsyncClient(verify=context, base_url=url(box), timeout=5.0) as http:
        async with http.stream("GET", "/v1/events",
                               headers={"Last-Event-ID": str(box.bus.last_seq)}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")

            async def collect():
                async for line in response.aiter_lines():
                    seen.append(line)

            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(collect(), 1.8)  # heartbeat_s = 0.5
    beats = [line for line in seen if line]
    assert len(beats) >= 2 and set(beats) == {": heartbeat"}, seen


async def test_resuming_from_before_the_history_starts_with_a_gap(box, tmp_path):
    await paired(box, tmp_path / "ws")
    for _ in range(2100):
        box.bus.publish(CardRemoved(slot="x", detected_ns=0))
    oldest = box.bus.history()[0].seq
    assert oldest > 2
    context = mtls_context(WorkstationFiles(tmp_path / "ws"))
    raw = ""
    async with httpx.AsyncClient(verify=context, base_url=url(box), timeout=5.0) as http:
        async with http.stream("GET", "/v1/events", headers={"Last-Event-ID": "1"}) as response:
            assert response.status_code == 200
            async for text in response.aiter_text():
                raw += text
                if "stream.overflow" in raw or raw.count("id: ") >= 2100:
                    break
    frames = [f for f in _frames(raw) if "comment" not in f]
    assert frames[0] == {"event": "stream.gap",
                         "data": json.dumps({"lost_after": 1, "resumes_at": oldest},
                                            separators=(",", ":"))}
    ids = [int(f["id"]) for f in frames[1:] if "id" in f]
    assert ids[0] == oldest and ids == list(range(oldest, oldest + len(ids)))
    # The replay counts against the stream's queue (api.stream_queue, 256 here): a resume from
    # further back is cut by `stream.overflow` after a queue's worth, to be resumed again.
    if frames[-1].get("event") == "stream.overflow":
        assert json.loads(frames[-1]["data"]) == {"resume_after": ids[-1]}
    print(f"resume from 1: gap to {oldest}, then {len(ids)} events, last frame {frames[-1].get('event')}")
