"""PUT /v1/update (a bundle's upload) against those who should not, and against mistakes.

An upload is the one body of the API that is large (hundreds of MB) and written to disk. So:
only an admin workstation's body is read at all (a paired billing workstation gone bad, or a
LAN peer without a certificate, is refused before a byte of it is read, and nothing is
written); a size over ``max_bundle_mb`` or over the free space is refused before reading too;
a disk that fills on the way, a client that goes away mid-upload, or a body that stalls leaves
no file behind. These are about receiving: the update service is a stand-in that records what
it was given (installing for real: tests/integration/test_update_api.py).

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from borne.api.bundle_upload import BundleInbox
from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.update.state import UpdateStatus

from support.box import paired, raw_tls, running_box, url

MB = 1024 * 1024


class _Service:
    """Stands for the update service: records the bundles it is given (their bytes)."""

    def __init__(self) -> None:
        self.installs: list[bytes] = []

    async def install(self, bundle: Path, *, origin: str, actor: str,
                      allow_downgrade: bool = False) -> SimpleNamespace:
        self.installs.append(bundle.read_bytes())
        return SimpleNamespace(version="9.9.9", compatible="borne-sim")

    def snapshot(self) -> UpdateStatus:
        return UpdateStatus(state="idle", system_version="1.0.0", booted_slot="A",
                            pending_version=None, progress=0, reboot_held_by=[],
                            last_error=None)


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        incoming = tmp_path / "incoming"
        incoming.mkdir()
        daemon.api_context.updates = _Service()
        daemon.api_context.inbox = BundleInbox(incoming, max_bytes=64 * MB, reserve_bytes=MB)
        yield daemon


async def _tls(box, folder: Path, *, admin: bool):
    await paired(box, folder, "Poste", admin=admin)
    return mtls_context(WorkstationFiles(folder))


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict]:
    """Status and JSON body of one HTTP/1.1 answer."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, json.loads(await reader.readexactly(length))


async def _put_head(box, tls, length: int, body: bytes = b"", query: str = ""
                    ) -> tuple[int, dict]:
    """``PUT /v1/update`` announcing ``length`` bytes, sending only ``body``: the answer must
    come without the rest (refused before reading), within 5 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=tls)
    try:
        writer.write(f"PUT /v1/update{query} HTTP/1.1\r\nHost: borne\r\n"
                     f"Content-Type: application/octet-stream\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode() + body)
        await writer.drain()
        return await asyncio.wait_for(_answer(reader), 5)
    finally:
        writer.close()


def _incoming(box) -> list[str]:
    return sorted(p.name for p in box.api_context.inbox.directory.iterdir())


def _audit(box, client_id: str) -> list:
    return [e for e in box.api_context.audit.entries(limit=1000)
            if e.client_id == client_id and e.action == "PUT /v1/update"]


@contextmanager
def _tmpfs(where: Path, size: str):
    """A real small tmpfs on ``where``, in the test process's private mount namespace."""
    if not os.environ.get("BORNE_PRIVATE_PCSCD_SOCKET"):
        pytest.skip("needs the tests' private mount namespace")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                   check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


async def test_a_paired_non_admin_is_refused_before_its_body_is_read(box, tmp_path):
    tls = await _tls(box, tmp_path / "ws", admin=False)
    status, body = await _put_head(box, tls, 50 * MB, b"x" * 1000)
    assert (status, body["error"]) == (403, "forbidden")
    assert _incoming(box) == [] and box.api_context.updates.installs == []
    client_id = json.loads((tmp_path / "ws" / "box.json").read_text())["client_id"]
    assert [e.status for e in _audit(box, client_id)] == [403]


async def test_without_a_certificate_nothing_is_read_nor_written(box):
    status, body = await _put_head(box, raw_tls(), 50 * MB, b"x" * 1000)
    assert (status, body["error"]) == (401, "unauthenticated")
    assert _incoming(box) == [] and box.api_context.updates.installs == []


async def test_a_content_length_over_the_limit_is_refused_before_reading(box, tmp_path):
    tls = await _tls(box, tmp_path / "admin", admin=True)
    status, body = await _put_head(box, tls, 64 * MB + 1)
    assert (status, body["error"]) == (413, "payload_too_large")
    assert body["details"]["max_bytes"] == 64 * MB
    status, body = await _put_head(box, tls, 10 * 1024 ** 4)  # 10 TiB
    assert status == 413
    assert _incoming(box) == [] and box.api_context.updates.installs == []


async def test_no_content_length_is_refused(box, tmp_path):
    tls = await _tls(box, tmp_path / "admin", admin=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=tls)
    writer.write(b"PUT /v1/update HTTP/1.1\r\nHost: borne\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"4\r\nabcd\r\n")
    status, body = await asyncio.wait_for(_answer(reader), 5)
    writer.close()
    assert (status, body["error"]) == (400, "bad_request")
    assert _incoming(box) == []


async def test_no_room_is_refused_before_reading_and_enospc_midway_leaves_no_file(box, tmp_path):
    tls = await _tls(box, tmp_path / "admin", admin=True)
    inbox = box.api_context.inbox
    with _tmpfs(inbox.directory, "24m"):
        status, body = await _put_head(box, tls, 30 * MB)  # over the free space: not read
        assert (status, body["error"]) == (507, "update_no_space")
        assert _incoming(box) == []

        # Room when it starts; then something else fills the disk while it is received.
        async def body_filling_the_disk():
            for n in range(16):
                if n == 4:
                    _fill(inbox.directory / "filler")
                yield b"b" * MB

        async with httpx.AsyncClient(verify=tls, base_url=url(box), timeout=20) as http:
            answer = await http.put("/v1/update", content=body_filling_the_disk(),
                                    headers={"Content-Length": str(16 * MB)})
        assert (answer.status_code, answer.json()["error"]) == (507, "update_no_space")
        assert _incoming(box) == ["filler"]
    refused = [e.to_dict()["data"] for e in box.bus.history() if e.type == "update.refused"]
    assert refused == [{"code": "update_no_space", "origin": "api"}] * 2  # on the screen too
    assert box.api_context.updates.installs == []


def _fill(path: Path) -> None:
    """Write to ``path`` until its file system is full."""
    with path.open("wb") as file:
        try:
            while True:
                file.write(b"\0" * MB)
                file.flush()
        except OSError:
            pass


async def test_a_client_gone_mid_upload_leaves_no_file(box, tmp_path):
    tls = await _tls(box, tmp_path / "admin", admin=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=tls)
    writer.write(f"PUT /v1/update HTTP/1.1\r\nHost: borne\r\nContent-Length: {40 * MB}\r\n\r\n"
                 .encode() + b"y" * (3 * MB))
    await writer.drain()
    for _ in range(50):  # the file is being written
        if _incoming(box):
            break
        await asyncio.sleep(0.05)
    assert len(_incoming(box)) == 1
    writer.transport.abort()
    for _ in range(100):
        if not _incoming(box):
            break
        await asyncio.sleep(0.05)
    assert _incoming(box) == [] and box.api_context.updates.installs == []


async def test_a_stalled_upload_is_cut_and_leaves_no_file(box, tmp_path):
    tls = await _tls(box, tmp_path / "admin", admin=True)
    box.api_context.inbox.idle_s = 1.0
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=tls)
    writer.write(f"PUT /v1/update HTTP/1.1\r\nHost: borne\r\nContent-Length: {8 * MB}\r\n\r\n"
                 .encode() + b"z" * MB)
    await writer.drain()
    closed = await asyncio.wait_for(reader.read(), 5)  # the box closes: nothing to answer
    assert b"HTTP/1.1 2" not in closed
    writer.close()
    for _ in range(40):  # the handler removes it as it ends, just after the cut
        if not _incoming(box):
            break
        await asyncio.sleep(0.05)
    assert _incoming(box) == [] and box.api_context.updates.installs == []


async def test_an_admin_upload_is_received_whole_and_removed_after(box, tmp_path):
    tls = await _tls(box, tmp_path / "admin", admin=True)
    payload = os.urandom(3 * MB + 17)
    async with httpx.AsyncClient(verify=tls, base_url=url(box), timeout=20) as http:
        answer = await http.put("/v1/update", content=payload,
                                headers={"Content-Type": "application/octet-stream"})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"version": "9.9.9", "compatible": "borne-sim"}
    assert box.api_context.updates.installs == [payload]
    for _ in range(60):  # removed once the (stand-in) install is no longer under way
        if not _incoming(box):
            break
        await asyncio.sleep(0.05)
    assert _incoming(box) == []
    client_id = json.loads((tmp_path / "admin" / "box.json").read_text())["client_id"]
    [entry] = _audit(box, client_id)
    assert entry.status == 202 and entry.detail["version"] == "9.9.9"
    assert entry.detail["bytes"] == len(payload)


async def test_the_reboot_is_an_admin_s_and_only_into_an_installed_update(box, tmp_path):
    counter = await _tls(box, tmp_path / "ws", admin=False)
    admin = await _tls(box, tmp_path / "admin", admin=True)
    request = Path(box.config.daemon.runtime_dir) / "reboot-request"
    async with httpx.AsyncClient(verify=counter, base_url=url(box)) as http:
        answer = await http.post("/v1/update/reboot", json={"force": True})
        assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")
        assert (await http.get("/v1/update")).status_code == 200  # reading is anyone's
    async with httpx.AsyncClient(verify=admin, base_url=url(box)) as http:
        # Nothing installed: a forced reboot would be a trial boot of whatever the other slot
        # holds (an older system, or nothing).
        answer = await http.post("/v1/update/reboot", json={"force": True})
        assert (answer.status_code, answer.json()["error"]) == (409, "update_not_installed")
        answer = await http.post("/v1/update/reboot", json={"force": "yes"})
        assert (answer.status_code, answer.json()["error"]) == (400, "bad_request")
    assert not request.exists()


async def test_expect_100_continue_is_answered_only_once_the_upload_is_accepted(box, tmp_path):
    """curl sends ``Expect: 100-continue`` for a file over 1 MB and waits: a refusal must be
    the answer then, so a refused client never sends its body (aiohttp's default said 100 to
    anyone, before any check)."""
    head = ("PUT /v1/update HTTP/1.1\r\nHost: borne\r\nExpect: 100-continue\r\n"
            "Content-Length: {length}\r\n\r\n")
    counter = await _tls(box, tmp_path / "ws", admin=False)
    admin = await _tls(box, tmp_path / "admin", admin=True)
    for tls, length, expected in ((counter, 40 * MB, 403), (admin, 65 * MB, 413)):
        reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=tls)
        writer.write(head.format(length=length).encode())
        status, _ = await asyncio.wait_for(_answer(reader), 5)
        writer.close()
        assert status == expected
    payload = os.urandom(2 * MB)
    reader, writer = await asyncio.open_connection("127.0.0.1", box.api.port, ssl=admin)
    writer.write(head.format(length=len(payload)).encode())
    assert await asyncio.wait_for(reader.readline(), 5) == b"HTTP/1.1 100 Continue\r\n"
    assert await reader.readline() == b"\r\n"
    writer.write(payload)
    status, body = await asyncio.wait_for(_answer(reader), 10)
    writer.close()
    assert (status, body["version"]) == (202, "9.9.9")
    assert box.api_context.updates.installs == [payload]
