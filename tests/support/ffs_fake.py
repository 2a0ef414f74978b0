"""A fake FunctionFS endpoint set: the host's end of ep0..ep3 as SOCK_SEQPACKET socket pairs.

A record on a SEQPACKET socket keeps its boundaries as a USB transfer does: the host's
``send_bulk`` is one bulk-OUT transfer, each answer the transport writes is one bulk-IN
record. ep0 carries what the transport writes (the descriptors and strings blobs, a
request's data) and the events the host "kernel" sends; how the transport answered a
control request arrives as a tagged record (``ack``, ``stall``, ``data:`` + bytes), since
a socket cannot stall. No kernel, no root: the unit tests run it unprivileged.
"""

from __future__ import annotations

import os
import select
import socket

from borne.ccid.class_requests import ControlAnswer
from borne.ccid.ffs_descriptors import ENABLE, SETUP, Setup, event_bytes

__all__ = ["FakeEndpoints"]


class FakeEndpoints:
    """The transport's :class:`~borne.ccid.functionfs.Endpoints` and the host's ends, together."""

    def __init__(self) -> None:
        self.host: dict[str, socket.socket] = {}
        self._device: dict[str, socket.socket] = {}
        for name in ("ep0", "ep1", "ep2", "ep3"):
            self.host[name], self._device[name] = socket.socketpair(
                socket.AF_UNIX, socket.SOCK_SEQPACKET)

    # --- the transport's side (the Endpoints protocol) ---

    def open(self, name: str) -> int:
        """A duplicate of the device's end: the transport closes its own descriptor."""
        return self._device[name].dup().detach()

    def answer(self, ep0: int, setup: Setup, answer: ControlAnswer) -> None:
        """Tag the answer on ep0 for the host to see."""
        if answer.stall:
            record = b"stall"
        elif answer.data is not None:
            record = b"data:" + answer.data
        else:
            record = b"ack"
        os.write(ep0, record)

    # --- the host's side ---

    def read(self, name: str, timeout: float = 2.0) -> bytes:
        """The next record the transport wrote on ``name``; TimeoutError when none comes."""
        sock = self.host[name]
        if not _readable(sock, timeout):
            raise TimeoutError(f"nothing on {name} within {timeout} s")
        return sock.recv(1 << 17)

    def nothing_on(self, name: str, wait: float = 0.3) -> bool:
        """Nothing was written on ``name`` within ``wait`` seconds."""
        return not _readable(self.host[name], wait)

    def event(self, kind: int, setup: Setup | None = None) -> None:
        """The kernel queues one ep0 event."""
        self.host["ep0"].send(event_bytes(kind, setup))

    def setup(self, request_type: int, request: int, value: int = 0, index: int = 0,
              length: int = 0) -> bytes:
        """Send a control request; return the transport's tagged answer."""
        self.event(SETUP, Setup(request_type, request, value, index, length))
        return self.read("ep0")

    def enable(self) -> None:
        """The host configured the device."""
        self.event(ENABLE)

    def send_bulk(self, transfer: bytes) -> None:
        """One bulk-OUT transfer."""
        self.host["ep1"].send(transfer)

    def close(self) -> None:
        """Close every socket (the host's and the device's ends)."""
        for sock in (*self.host.values(), *self._device.values()):
            sock.close()


def _readable(sock: socket.socket, timeout: float) -> bool:
    """``sock`` has a record to read within ``timeout`` s (poll, not select: a long test run
    holds descriptors past select's 1024)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout * 1000))
