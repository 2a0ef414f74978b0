"""Slow connections to the box's API, as a LAN attacker without a certificate would hold them.

:class:`SlowClients` runs the attack in a child process (its own descriptors, its own
RLIMIT_NOFILE raised to the hard limit, its own CPU), so the box's process only sees the
connections. The child keeps ``count`` connections open from ``addresses`` loopback source
addresses (``127.0.1.1``, ``127.0.1.2``...: as many hosts on the LAN), a third of each kind:

- ``silent``: TCP only, nothing said (a handshake that never starts);
- ``hello``: the first bytes of a TLS ClientHello, then one more byte every second;
- ``body``: a finished TLS handshake without a certificate, then ``POST /v1/pairing/start``
  whose body (announced at 60 KB) comes one byte a second.

A connection the box closes is opened again (at most ``reopen_per_s`` a second), so the
attack holds as long as the box lets it. Used by ``tests/security/test_slow_connections.py``
and ``bench/attack_slow_connections.py``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import ssl
import subprocess
import sys
from pathlib import Path

__all__ = ["SlowClients"]

_KINDS = ("silent", "hello", "body")
_HEAD = (b"POST /v1/pairing/start HTTP/1.1\r\nHost: borne\r\nContent-Type: application/json\r\n"
         b"Content-Length: 60000\r\n\r\n{")
_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def _no_check() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _one(port: int, source: str, kind: str, held: dict[str, int],
               context: ssl.SSLContext) -> None:
    """Open one slow connection and trickle until the box closes it."""
    try:
        if kind == "body":
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", port, ssl=context, local_addr=(source, 0)), 30)
            writer.write(_HEAD)
        else:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", port, local_addr=(source, 0)), 30)
            if kind == "hello":
                writer.write(_HELLO[:6])
    except (OSError, asyncio.TimeoutError, ssl.SSLError):
        held["failed"] += 1
        return
    held[kind] += 1
    try:
        trickle = iter(_HELLO[6:] if kind == "hello" else b"0" * 60000)
        while True:
            try:
                if not await asyncio.wait_for(reader.read(4096), 1.0):
                    break  # the box closed it
            except asyncio.TimeoutError:
                if kind != "silent":
                    byte = next(trickle, None)
                    if byte is not None:
                        writer.write(bytes([byte]))
    except (OSError, ssl.SSLError):
        pass
    finally:
        held[kind] -= 1
        held["closed"] += 1
        writer.transport.abort()


async def _attack(port: int, count: int, addresses: int, reopen_per_s: float) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held = {kind: 0 for kind in _KINDS} | {"failed": 0, "closed": 0}
    context = _no_check()
    running: set[asyncio.Task[None]] = set()
    opened = 0
    loop = asyncio.get_running_loop()
    last_report = loop.time()
    while True:
        budget = max(1, int(reopen_per_s / 10))
        while len(running) < count and budget:
            kind = _KINDS[opened % len(_KINDS)]
            source = f"127.0.1.{1 + opened % addresses}"
            task = asyncio.create_task(_one(port, source, kind, held, context))
            running.add(task)
            task.add_done_callback(running.discard)
            opened += 1
            budget -= 1
        await asyncio.sleep(0.1)
        if loop.time() - last_report >= 0.5:
            last_report = loop.time()
            print(json.dumps({"opened": opened, **held}), flush=True)


class SlowClients:
    """The attack, in a child process (see the module); its counts as it last reported them."""

    def __init__(self, port: int, count: int, *, addresses: int = 64,
                 reopen_per_s: float = 1000.0) -> None:
        self.counts: dict[str, int] = {}
        self._child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(port), str(count),
             str(addresses), str(reopen_per_s)], stdout=subprocess.PIPE, text=True)

    def _read(self) -> bool:
        line = self._child.stdout.readline() if self._child.stdout else ""
        if line.startswith("{"):
            self.counts = json.loads(line)
        return bool(line)

    async def until_opened(self, count: int, timeout: float = 60.0) -> dict[str, int]:
        """Wait until the attack has opened ``count`` connections in all (its counts then)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.counts.get("opened", 0) < count and loop.time() < end:
            if not await asyncio.to_thread(self._read):
                break
        return self.counts

    def stop(self) -> dict[str, int]:
        """Stop the attack; its last counts."""
        self._child.terminate()
        out, _ = self._child.communicate(timeout=30)
        for line in out.splitlines():
            if line.startswith("{"):
                self.counts = json.loads(line)
        return self.counts


if __name__ == "__main__":
    try:
        asyncio.run(_attack(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                            float(sys.argv[4])))
    except KeyboardInterrupt:
        pass
