"""The vpcd ports a bridge uses, claimed on the workstation so that two bridges never share one.

Two bridges plugging cards into the same vpcd port would take the reader in turn: the
billing software would find one box's CPS in the other box's reader. So a bridge claims
each port before it plugs a card into it. On Linux a claim is an abstract UNIX socket
named after the port (``@borne-bridge-vpcd-35963``): the kernel frees it when the bridge
ends, however it ends (no stale lock file after a crash or a power cut), and it lives in
the network namespace, where the vpcd port on 127.0.0.1 lives too. The holder answers
whoever connects with who it is, so a bridge that finds a port taken stops with
``bridge_port_taken`` naming the other one.

Elsewhere (the bridge on Windows is not built yet: docs/bridge.md) nothing is claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sys
from collections.abc import Iterable

from ..errors import BorneError, Message

__all__ = ["PortClaims"]

_ANSWER_TIMEOUT_S = 1.0


def _address(port: int) -> str:
    return f"\0borne-bridge-vpcd-{port}"


class PortClaims:
    """The ports this bridge holds; ``owner`` is how another bridge will name it."""

    def __init__(self, owner: str) -> None:
        self._owner = owner.encode("utf-8", "replace")
        self._servers: dict[int, asyncio.AbstractServer] = {}

    @property
    def ports(self) -> list[int]:
        """The ports held now."""
        return sorted(self._servers)

    async def claim(self, ports: Iterable[int]) -> None:
        """Hold every port of ``ports`` (those already held are kept); all or none.

        Raises ``bridge_port_taken`` naming the port and the bridge that holds it.
        """
        if not sys.platform.startswith("linux"):
            return
        taken: list[int] = []
        try:
            for port in ports:
                if port not in self._servers:
                    await self._hold(port)
                    taken.append(port)
        except BaseException:
            for port in taken:
                self._release(port)
            raise

    def close(self) -> None:
        """Give every port back."""
        for port in list(self._servers):
            self._release(port)

    async def _hold(self, port: int) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(_address(port))
        except OSError as error:
            listener.close()
            if error.errno != errno.EADDRINUSE:
                raise
            holder = await _who_holds(port)
            raise BorneError(Message(
                f"le port {port} (vpcd) est pris par un autre borne bridge sur ce poste "
                f"({holder or 'qui ne dit pas qui il est'}) : donnez à chaque borne son "
                "--vpcd-port (docs/bridge.md)",
                f"vpcd port {port} is used by another borne bridge on this workstation "
                f"({holder or 'it does not say who it is'}): give each box its own --vpcd-port "
                "(docs/bridge.md)"),
                code="bridge_port_taken", port=port) from None
        listener.listen(4)
        self._servers[port] = await asyncio.start_unix_server(self._answer, sock=listener)

    def _release(self, port: int) -> None:
        server = self._servers.pop(port, None)
        if server is not None:
            server.close()

    async def _answer(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            writer.write(self._owner)
            await writer.drain()
        writer.close()


async def _who_holds(port: int) -> str:
    """What the bridge holding ``port`` says it is ("" when it does not answer)."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(_address(port)), _ANSWER_TIMEOUT_S)
        try:
            answer = await asyncio.wait_for(reader.read(512), _ANSWER_TIMEOUT_S)
        finally:
            writer.close()
    except (OSError, asyncio.TimeoutError):
        return ""
    # Whoever holds the name may be anyone on the workstation: print no control characters of theirs.
    said = "".join(c if c.isprintable() else "?" for c in answer.decode("utf-8", "replace"))
    return said[:200]
