"""A virtual card plugged into pcscd's vpcd reader driver over TCP.

The vpcd driver (Debian ``vsmartcard-vpcd``) listens on one TCP port per slot;
the card is the client. Connecting inserts the card, closing the socket removes
it. Every frame, both ways, is a 2-byte big-endian length then the payload:

============  ===========================  ==========================
payload       meaning (pcscd -> card)      card answers
============  ===========================  ==========================
``00``        power off                    nothing
``01``        power on                     nothing
``02``        reset                        nothing
``04``        get ATR                      the ATR, as one frame
2+ bytes      command APDU                 the response APDU (SW incl.)
============  ===========================  ==========================

The codec (:func:`encode_frame`, :class:`FrameDecoder`, :func:`answer`) is pure;
:class:`VirtualCard` is the socket around it. Run as a process with
``python -m borne.sim.vpcd --port P --card NAME``: SIGTERM removes the card.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from borne.errors import BorneError
from borne.sim.responder import CardPulled, CardResponder

__all__ = [
    "CTRL_ATR",
    "CTRL_OFF",
    "CTRL_ON",
    "CTRL_RESET",
    "FrameDecoder",
    "VirtualCard",
    "answer",
    "encode_frame",
]

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

_LENGTH = struct.Struct(">H")
MAX_PAYLOAD = 0xFFFF


def encode_frame(payload: bytes) -> bytes:
    """One vpcd frame: the payload's length (2 bytes, big-endian), then the payload."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"vpcd payload too long: {len(payload)} bytes (max {MAX_PAYLOAD})")
    return _LENGTH.pack(len(payload)) + payload


class FrameDecoder:
    """Cuts a byte stream into vpcd payloads, whatever the chunking of ``feed``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every payload now complete, in order."""
        self._buffer += data
        payloads: list[bytes] = []
        while len(self._buffer) >= 2:
            (length,) = _LENGTH.unpack_from(self._buffer)
            if len(self._buffer) < 2 + length:
                break
            payloads.append(bytes(self._buffer[2 : 2 + length]))
            del self._buffer[: 2 + length]
        return payloads

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer)


def answer(responder: CardResponder, payload: bytes) -> bytes | None:
    """What the card sends back for one payload from vpcd (``None``: nothing).

    May raise :class:`CardPulled` (from the responder). An empty payload or an
    unknown control byte is ignored, as vsmartcard's own vpicc does.
    """
    if len(payload) == 1:
        control = payload[0]
        if control == CTRL_ATR:
            return bytes(responder.atr)
        if control == CTRL_ON:
            responder.power_on()
        elif control == CTRL_OFF:
            responder.power_off()
        elif control == CTRL_RESET:
            responder.reset()
        return None
    if not payload:
        return None
    return bytes(responder.respond(payload))


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
        wire_clock_hz: int | None = None,
    ) -> None:
        self.responder = responder
        self.host = host
        self.port = port
        self.retry_interval = retry_interval
        self.on_connect = on_connect
        #: Benches only: hold each answer as long as a real card's contacts
        #: would carry it at this clock (``borne.sim.wire_time``); None: at once.
        self.wire_clock_hz = wire_clock_hz
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
                    if self.wire_clock_hz and len(payload) > 1:
                        self._pace(payload, reply)
                    sock.sendall(encode_frame(reply))


    def _pace(self, command: bytes, reply: bytes) -> None:
        from borne.sim.wire_time import wire_seconds

        assert self.wire_clock_hz is not None
        # A busy wait: time.sleep's granularity (~60 us and more) is of the order of what is measured.
        deadline = time.perf_counter() + wire_seconds(bytes(self.responder.atr), command, reply,
                                                      self.wire_clock_hz)
        while time.perf_counter() < deadline:
            pass


def _load_responder(card: str | None, factory: str | None, options: dict[str, Any]) -> CardResponder:
    if factory is not None:
        module_name, _, attribute = factory.partition(":")
        return getattr(importlib.import_module(module_name), attribute)(**options)
    from borne.sim.cards import load_card

    return load_card(card, **options)


def main(argv: list[str] | None = None) -> int:
    """Entry point of a virtual card process (see the module docstring).

    Prints ``ready`` on stdout once first connected to vpcd; SIGTERM or SIGINT
    removes the card and exits 0, as does the card pulling itself out. A card
    that cannot be loaded exits 2 with one line on stderr.
    """
    parser = argparse.ArgumentParser(prog="python -m borne.sim.vpcd", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=lambda text: int(text, 0), required=True, help="vpcd slot port")
    parser.add_argument("--host", default="127.0.0.1")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--card", help="a test card name (borne.sim.cards.CARD_NAMES) or card file")
    source.add_argument("--factory", metavar="MODULE:CALLABLE", help="a callable returning a responder")
    parser.add_argument("--options", default="{}", help="JSON object of keyword arguments for the card")
    parser.add_argument("--wire-clock-hz", type=int, default=None,
                        help="benches: answer no faster than a real card clocked at this frequency")
    args = parser.parse_args(argv)
    options = json.loads(args.options)
    if not isinstance(options, dict):
        parser.error("--options must be a JSON object")
    try:
        responder = _load_responder(args.card, args.factory, options)
    except (BorneError, ImportError, AttributeError, TypeError, ValueError) as error:
        # One line on stderr: CardSlots shows it as the reason the insert failed.
        name = args.card or args.factory
        print(f"cannot load card {name}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2

    announced = False

    def ready() -> None:
        nonlocal announced
        if not announced:
            announced = True
            try:
                print("ready", flush=True)
            except OSError:
                pass  # nobody listens to our stdout any more: not our problem

    card = VirtualCard(responder, args.host, args.port, on_connect=ready,
                       wire_clock_hz=args.wire_clock_hz)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: card.stop())
    card.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
