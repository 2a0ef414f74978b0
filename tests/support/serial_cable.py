"""A serial cable between the box and a workstation, made of two pseudo-terminals.

The box opens one tty by its path (``[usb] transport = "serial"``, ``serial_device``), the
workstation's pcscd (libccidtwin) the other; a relay thread copies bytes both ways between
the two masters, as a null-modem cable would. The cable outlives the box's daemon: a
daemon that stops and starts again finds its tty where it was, and the workstation's
pcscd sees a reader that fell silent for a while (a cable unplugged and plugged back).

The harness keeps each tty's slave open too, so neither pty hangs up while one end is
closed; it never reads them (the box and pcscd do).

Being in the middle, the cable is also the tests' line analyser and fault injector: it
decodes copies of what it carries (:attr:`SerialCable.frames`, libccid's framing of
:mod:`borne.ccid.serial_frame`), counts what it drops while :attr:`SerialCable.unplugged`,
and can put a NAK frame in place of one of the box's answers
(:meth:`SerialCable.nak_answer_once`), so that neither end is a stand-in of our own code.
"""

from __future__ import annotations

import os
import selectors
import threading
import time
import tty

from borne.ccid.serial_frame import ACK, NAK_FRAME, SYNC, FrameDecoder, Message, NakReceived
from borne.ccid.serial_transport import FRAME_LIMIT, PARTIAL_FRAME_S

__all__ = ["SerialCable"]

TO_BOX, TO_HOST = "to_box", "to_host"
#: How :attr:`SerialCable.frames` marks each way: ``"<-"`` from the host, ``"->"`` to it.
ARROWS = {TO_BOX: "<-", TO_HOST: "->"}


class SerialCable:
    """Two ptys joined by a relay: :attr:`box_end` and :attr:`host_end` are tty paths."""

    def __init__(self) -> None:
        self._box_master, self._box_slave = os.openpty()
        self._host_master, self._host_slave = os.openpty()
        for fd in (self._box_slave, self._host_slave):
            tty.setraw(fd)
        self.box_end = os.ttyname(self._box_slave)
        self.host_end = os.ttyname(self._host_slave)
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._relay, name="serial-cable", daemon=True)
        #: Bytes carried each way: box to host, host to box.
        self.carried = {TO_HOST: 0, TO_BOX: 0}
        #: Bytes dropped each way while :attr:`unplugged`.
        self.dropped = {TO_HOST: 0, TO_BOX: 0}
        #: While set, the cable carries nothing (both ways): unplugged.
        self.unplugged = threading.Event()
        #: Every CCID message carried, in order: ``("<-", message)`` from the host,
        #: ``("->", message)`` to it; a NAK frame is logged as :data:`NAK_FRAME`.
        self.frames: list[tuple[str, bytes]] = []
        self._decoders = {TO_BOX: _decoder(), TO_HOST: _decoder()}
        self._last_chunk = {TO_BOX: 0.0, TO_HOST: 0.0}
        self._nak_types: set[int] = set()
        self._nak_pending = False
        self._held = bytearray()
        self._closed = False

    def __enter__(self) -> SerialCable:
        return self.start()

    def start(self) -> SerialCable:
        """Start carrying bytes (the ttys exist from construction)."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def nak_answer_once(self, message_type: int) -> None:
        """The box's answer to the host's next message of ``message_type`` (a CCID
        ``bMessageType``) reaches the host as a NAK frame instead, once."""
        self._nak_types.add(message_type)

    def close(self) -> None:
        """Stop the relay and close every end the harness holds (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            os.write(self._wake_w, b"x")
            self._thread.join(2)
        for fd in (self._box_master, self._box_slave, self._host_master, self._host_slave,
                   self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _relay(self) -> None:
        route = {self._box_master: (self._host_master, TO_HOST),
                 self._host_master: (self._box_master, TO_BOX)}
        with selectors.DefaultSelector() as selector:
            for fd in (*route, self._wake_r):
                selector.register(fd, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fd == self._wake_r:
                        return
                    try:
                        chunk = os.read(key.fd, 65536)
                    except OSError:
                        continue
                    target, way = route[key.fd]
                    if self.unplugged.is_set():
                        self.dropped[way] += len(chunk)
                        continue  # dropped on the floor
                    self.carried[way] += len(chunk)
                    if way == TO_HOST and self._nak_pending:
                        chunk = self._answer_replaced(chunk)
                    self._watch(way, chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(target, view):]

    def _watch(self, way: str, chunk: bytes) -> None:
        """Log the frames ``chunk`` completes; note a host message whose answer is to go."""
        now = time.monotonic()
        if now - self._last_chunk[way] > PARTIAL_FRAME_S:
            self._decoders[way] = _decoder()  # the box dropped a torn frame by now: so do we
        self._last_chunk[way] = now
        for event in self._decoders[way].feed(chunk):
            if isinstance(event, Message):
                self.frames.append((ARROWS[way], event.data))
                if way == TO_BOX and event.data[0] in self._nak_types:
                    self._nak_types.discard(event.data[0])
                    self._nak_pending = True
            elif isinstance(event, NakReceived):
                self.frames.append((ARROWS[way], NAK_FRAME))

    def _answer_replaced(self, chunk: bytes) -> bytes:
        """What reaches the host while the box's next answer frame is to become a NAK frame."""
        self._held += chunk
        size = _frame_size(self._held)
        if size is None or len(self._held) < size:
            return b""  # held until the answer's last byte
        rest = bytes(self._held[size:])
        self._held.clear()
        self._nak_pending = False
        return NAK_FRAME + rest


def _decoder() -> FrameDecoder:
    # The box's own frame limit: an over-long message a test writes is logged as it is read.
    return FrameDecoder(max_message=FRAME_LIMIT)


def _frame_size(data: bytes) -> int | None:
    """The length of the frame at the start of ``data`` (None: too few bytes to tell)."""
    if len(data) >= 2 and data[0] == SYNC and data[1] != ACK:
        return 3  # a NAK frame
    if len(data) < 7:
        return None
    return 2 + 10 + int.from_bytes(data[3:7], "little") + 1
