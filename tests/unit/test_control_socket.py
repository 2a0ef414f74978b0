"""The control socket over a real UNIX socket: who may use it, and bad requests."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from borne.control.client import call
from borne.control.server import ControlServer, Peer
from borne.errors import BorneError, ControlError


async def echo(peer: Peer, args: dict) -> dict:
    return {"uid": peer.uid, "args": args}


async def fail(peer: Peer, args: dict) -> dict:
    raise BorneError("no card", code="card_removed")


@pytest.fixture
async def server(tmp_path):
    srv = ControlServer(tmp_path / "control.sock", {"echo": echo, "fail": fail}, group="borne")
    await srv.start()
    yield srv
    await srv.stop()


async def test_socket_is_private_to_owner_and_group(server):
    mode = stat.S_IMODE(os.stat(server.path).st_mode)
    assert mode == 0o660


async def test_commands_and_peer_credentials(server):
    result = await asyncio.to_thread(call, server.path, "echo", {"x": 1})
    assert result == {"uid": os.getuid(), "args": {"x": 1}}


async def test_errors_carry_stable_codes(server):
    with pytest.raises(ControlError) as caught:
        await asyncio.to_thread(call, server.path, "fail")
    assert caught.value.code == "card_removed"
    # The daemon's sentence in either language, for a CLI run with --lang.
    assert caught.value.message("fr").startswith("Carte retirée")
    assert caught.value.message("en").startswith("Card removed")
    with pytest.raises(ControlError) as caught:
        await asyncio.to_thread(call, server.path, "nope")
    assert caught.value.code == "unknown_command"


async def test_malformed_and_oversized_requests(server):
    reader, writer = await asyncio.open_unix_connection(str(server.path))
    for line in (b"not json\n", b'{"args": {}}\n', b'{"cmd": 3}\n', b'{"cmd": "echo", "args": []}\n'):
        writer.write(line)
        reply = json.loads(await reader.readline())
        assert reply["ok"] is False and reply["error"]["code"] == "control_bad_request"
    writer.write(b"x" * 200_000 + b"\n")
    reply = json.loads(await reader.readline())
    assert reply["error"]["code"] == "control_bad_request"
    writer.close()


async def test_strangers_are_refused(server):
    stranger = Peer(pid=1, uid=4242, gid=4242, groups=frozenset({4242}))
    assert not server.allowed(stranger)
    assert server.allowed(Peer(pid=1, uid=0, gid=0, groups=frozenset()))


async def test_a_second_daemon_cannot_steal_the_socket(server):
    other = ControlServer(server.path, {}, group="borne")
    with pytest.raises(BorneError) as caught:
        await other.start()
    assert caught.value.code == "control_in_use"


async def test_a_stale_socket_file_is_replaced(tmp_path):
    path = tmp_path / "control.sock"
    first = ControlServer(path, {"echo": echo})
    await first.start()
    first._server.close()  # simulate a crash: the file stays, nobody listens
    await first._server.wait_closed()
    second = ControlServer(path, {"echo": echo})
    await second.start()
    assert (await asyncio.to_thread(call, path, "echo"))["args"] == {}
    await second.stop()


def test_unreachable_daemon_gives_a_clear_error(tmp_path):
    with pytest.raises(ControlError) as caught:
        call(tmp_path / "absent.sock", "status")
    assert caught.value.code == "control_unavailable"
    assert "ne répond pas" in caught.value.message("fr")


def test_a_socket_that_is_not_the_daemons_gives_a_clear_error(tmp_path):
    import socket
    import threading

    path = tmp_path / "other.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def answer_garbage() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    with pytest.raises(ControlError) as caught:
        call(path, "status", timeout=5)
    thread.join(5)
    listener.close()
    assert caught.value.code == "control_error"
    not_a_socket = tmp_path / "plain-file"
    not_a_socket.write_text("")
    with pytest.raises(ControlError) as caught:
        call(not_a_socket, "status")
    assert caught.value.code == "control_unavailable"
