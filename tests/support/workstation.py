"""A billing workstation for the bridge's tests: :mod:`borne.sim.workstation` in a child process.

Its own ``/run/pcscd`` (a mount namespace of its own), on the tests' private network, with
either one vpcd reader "Poste" on a port and the next, or the reader.conf files of a
folder as ``borne bridge setup`` wrote them.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

__all__ = ["Workstation"]


class Workstation:
    """The child process of borne.sim.workstation, asked questions over its stdin.

    ``readers``: a port (a reader "Poste" on it and the next) or a reader.conf.d folder.
    """

    def __init__(self, work: Path, readers: int | Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "BORNE_PRIVATE_PCSCD_SOCKET"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "borne.sim.workstation", str(work), str(readers)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "ready", self.process.stderr.read() if self.process.stderr else ""

    def ask(self, **command: object) -> dict:
        """One command (see borne.sim.workstation), its answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    async def until(self, predicate, what: str, timeout: float = 15.0) -> dict:
        """Ask for the readers until ``predicate(answer)``; fail saying ``what`` was awaited."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            reply = await asyncio.to_thread(self.ask, cmd="readers")
            if predicate(reply):
                return reply
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"workstation never saw {what}: {reply}")
            await asyncio.sleep(0.2)

    def close(self) -> None:
        """End it (end of stdin ends its loop: it stops its pcscd on the way out)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
