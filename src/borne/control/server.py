"""The control socket's server side (asyncio UNIX server, JSON lines)."""

from __future__ import annotations

import asyncio
import errno
import grp
import json
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BorneError, Message

__all__ = ["ControlServer", "Peer", "peer_of"]

log = logging.getLogger(__name__)

#: Longest request line accepted; a client sending more is cut off.
MAX_REQUEST = 64 * 1024

Handler = Callable[["Peer", dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Peer:
    """Who is on the other end of the socket (from the kernel: SO_PEERCRED)."""

    pid: int
    uid: int
    gid: int
    groups: frozenset[int]


#: ``SO_PEERGROUPS`` (Linux 4.13, asm-generic numbering: arm, arm64, x86), which Python 3.11
#: does not name.
SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)


def _peer_groups(sock: socket.socket) -> list[int] | None:
    """The peer's supplementary groups as the kernel recorded them at ``connect()``.

    From the socket itself: under the unit's ``ProtectProc=invisible`` the daemon cannot
    read another user's ``/proc/<pid>/status``, so that is no way to learn them.
    """
    for room in (256, 65536):  # NGROUPS_MAX is 65536; most peers have a handful
        try:
            raw = sock.getsockopt(socket.SOL_SOCKET, SO_PEERGROUPS, 4 * room)
        except OSError as error:
            if error.errno == errno.ERANGE:
                continue
            return None
        return list(struct.unpack(f"{len(raw) // 4}I", raw))
    return None


def peer_of(sock: socket.socket) -> Peer:
    """The credentials of a connected UNIX socket's peer (the kernel's, never its word)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    groups: set[int] = {gid}
    supplementary = _peer_groups(sock)
    if supplementary is not None:
        groups.update(supplementary)
    else:  # a kernel without SO_PEERGROUPS: the process's, if /proc shows it
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("Groups:"):
                    groups.update(int(g) for g in line.split()[1:])
        except OSError:
            pass
    return Peer(pid, uid, gid, frozenset(groups))


class ControlServer:
    """Serves named commands to authorised local peers.

    Authorised: root, the daemon's own user, and members of ``group``.
    """

    def __init__(self, path: Path, handlers: dict[str, Handler], *, group: str = "borne",
                 language: str = "fr") -> None:
        self.path = path
        self._handlers = handlers
        self._group = group
        self._language = language
        self._gid = self._group_id(group)
        self._server: asyncio.AbstractServer | None = None
        # The connections' tasks, created by asyncio's server (so not a TaskGroup of ours):
        # kept to cancel them on stop.
        self._connections: set[asyncio.Task[None]] = set()

    @staticmethod
    def _group_id(group: str) -> int | None:
        try:
            return grp.getgrnam(group).gr_gid
        except KeyError:
            return None

    def allowed(self, peer: Peer) -> bool:
        """Whether ``peer`` may use the socket."""
        if peer.uid in (0, os.getuid()):
            return True
        return self._gid is not None and self._gid in peer.groups

    async def start(self) -> None:
        """Create the socket (0660, group ``borne`` when it exists) and listen."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            if await self._alive():
                raise BorneError(f"another daemon already listens on {self.path}",
                                 code="control_in_use")
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path),
                                                       limit=MAX_REQUEST)
        os.chmod(self.path, 0o660)
        # Under systemd (User=borne, Group=borne) the socket is born in the right group, and
        # chown is outside the unit's system-call filter: only change what needs changing.
        if self._gid is not None and os.stat(self.path).st_gid != self._gid:
            try:
                os.chown(self.path, -1, self._gid)
            except PermissionError:
                log.warning("cannot give %s to group %s", self.path, self._group)

    async def _alive(self) -> bool:
        try:
            _reader, writer = await asyncio.open_unix_connection(str(self.path))
        except OSError:
            return False
        writer.close()
        return True

    async def stop(self) -> None:
        """Stop listening and remove the socket file."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def _error(self, code: str, detail: str = "") -> dict[str, Any]:
        return self._refusal(BorneError(Message.same(detail) if detail else "", code=code))

    def _refusal(self, error: BorneError) -> dict[str, Any]:
        # The box's language, and both (the CLI speaks its own: --lang).
        return {"ok": False, "error": {
            "code": error.code, "message": error.message(self._language),
            "messages": {language: error.message(language) for language in ("fr", "en")}}}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        sock = writer.get_extra_info("socket")
        peer = peer_of(sock)
        try:
            if not self.allowed(peer):
                log.warning("control socket: refused uid=%d pid=%d", peer.uid, peer.pid)
                await self._send(writer, self._error("control_forbidden"))
                return
            while True:
                try:
                    line = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    await self._send(writer, self._error("control_bad_request", "request too long"))
                    return
                if not line:
                    return
                await self._send(writer, await self._dispatch(peer, line))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _dispatch(self, peer: Peer, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            command = request["cmd"]
            args = request.get("args", {})
            args = {} if args is None else args
            if not isinstance(command, str) or not isinstance(args, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return self._error("control_bad_request")
        handler = self._handlers.get(command)
        if handler is None:
            return self._error("unknown_command", command)
        try:
            return {"ok": True, "result": await handler(peer, args)}
        except BorneError as error:
            return self._refusal(error)
        except Exception:
            log.exception("control command %s failed", command)
            return self._error("internal_error")

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, body: dict[str, Any]) -> None:
        writer.write(json.dumps(body, ensure_ascii=False).encode() + b"\n")
        await writer.drain()
