"""A card plugged into a vpcd reader over TCP: the socket side of :mod:`borne.vpcd.frames`.

The simulator's virtual cards (:mod:`borne.sim.card_process`) and the
workstation's bridge (:mod:`borne.bridge`) both plug a
:class:`~borne.vpcd.responder.CardResponder` into a vpcd slot with
:class:`VirtualCard`: connecting inserts the card, closing the socket removes it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from .frames import FrameDecoder, answer, encode_frame
from .responder import CardPulled, CardResponder

__all__ = ["VirtualCard"]


class VirtualCard:
    """A card inserted in the vpcd slot listening on ``host:port``.

    :meth:`run` blocks: it connects (retrying every ``retry_interval`` seconds
    while nobody listens), serves frames, and reconnects if pcscd goes away, so
    the card stays "inserted" across a pcscd restart like a card left in a
    reader. It returns when :meth:`stop` is called or the responder raises
    :class:`CardPulled` (the socket is closed: pcscd sees the card removed).
    ``on_connect`` is called after each successful connection.
    """

    def __init__(
        self,
        responder: CardResponder,
        host: str = "127.0.0.1",
        port: int = 0x9C7B,
        *,
        retry_interval: float = 0.2,
        on_connect: Callable[[], None] | None = None,
        pace: Callable[[bytes, bytes], float] | None = None,
    ) -> None:
        self.responder = responder
        self.host = host
        self.port = port
        self.retry_interval = retry_interval
        self.on_connect = on_connect
        #: Benches only: ``pace(command, response)`` is how long a real card's contacts
        #: would take to carry the exchange (``borne.sim.wire_time``); each answer is
        #: held that long. None: at once.
        self.pace = pace
        self.pulled = False
        self._stopping = threading.Event()
        # Reentrant: stop() may run in a signal handler while run() holds it.
        self._lock = threading.RLock()
        self._sock: socket.socket | None = None

    def stop(self) -> None:
        """Remove the card: close the connection and make :meth:`run` return.

        Safe from another thread or a signal handler.
        """
        self._stopping.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                # shutdown (not close) wakes a recv() blocked in run().
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self) -> None:
        """Serve until stopped or pulled (see the class docstring)."""
        while not self._stopping.is_set():
            sock = self._connect()
            if sock is None:
                return
            try:
                if self.on_connect is not None:
                    self.on_connect()
                self._serve(sock)
            except CardPulled:
                # Beware: vpcd reports the pending APDU as a *success* with an
                # empty response (even after an abortive close), then fails the
                # next ones until its presence poll sees the card gone.
                self.pulled = True
                return
            except OSError:
                pass  # pcscd went away (reset, broken pipe): reconnect below.
            finally:
                with self._lock:
                    self._sock = None
                sock.close()

    def _connect(self) -> socket.socket | None:
        while not self._stopping.is_set():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # vpcd writes a frame's length and body in two writes: without
            # NODELAY/QUICKACK each APDU waits ~40 ms for a delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                sock.connect((self.host, self.port))
            except OSError:
                sock.close()
                self._stopping.wait(self.retry_interval)
                continue
            with self._lock:
                self._sock = sock
            if self._stopping.is_set():  # stop() raced with connect()
                sock.close()
                return None
            return sock
        return None

    def _serve(self, sock: socket.socket) -> None:
        decoder = FrameDecoder()
        while not self._stopping.is_set():
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            data = sock.recv(4096)
            if not data:
                return  # pcscd closed the connection, or stop() shut it down
            for payload in decoder.feed(data):
                reply = answer(self.responder, payload)
                if reply is not None:
                    if self.pace is not None and len(payload) > 1:
                        self._hold(self.pace(payload, reply))
                    sock.sendall(encode_frame(reply))

    @staticmethod
    def _hold(seconds: float) -> None:
        # A busy wait: time.sleep's granularity (~60 us and more) is of the order of what is measured.
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            pass
