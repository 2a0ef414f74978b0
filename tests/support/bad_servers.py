"""Servers that are not the paired box, on real sockets: what ``borne client`` meets when things fail.

- :func:`closed_port`: a port where nothing listens (connection refused);
- :func:`serving`: a TCP server on 127.0.0.1 that answers each connection with a
  responder (:func:`http_answer`, :func:`garbage`, :func:`silent`, :func:`trickle`,
  :func:`huge_body`), over TLS when given a context;
- :class:`FakeBox`: a certificate authority like a box's, a workstation folder paired
  with it (``client.key``, ``client.crt``, ``ca.crt``, ``box.json``), and the server
  contexts of that box, of another box, and of this box refusing the workstation.

Nothing here is a box: a test points a workstation folder or ``--box`` at these servers and
checks what the workstation's command says.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["FakeBox", "closed_port", "garbage", "http_answer", "huge_body", "serving", "silent",
           "trickle"]

Responder = Callable[[socket.socket, threading.Event], None]


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A port of 127.0.0.1 held but not listening: every connection to it is refused."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    try:
        yield held.getsockname()[1]
    finally:
        held.close()


@contextlib.contextmanager
def serving(respond: Responder, *, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """A server on 127.0.0.1 (its port) answering each connection with ``respond(sock, stop)``."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()

    def one(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(30)
            if tls is not None:
                conn = tls.wrap_socket(conn, server_side=True,  # noqa: PLW2901
                                       do_handshake_on_connect=False)
                try:
                    conn.do_handshake()
                except ssl.SSLError:
                    # The alert is on its way: closing now, with the client's request
                    # unread, would reset the connection before the client reads it.
                    time.sleep(0.5)
                    raise
            respond(conn, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _read_request(conn: socket.socket) -> bytes:
    """The request's head (up to the blank line), and the body when it says how long."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
        if data.startswith(b"\x16\x03"):  # a TLS ClientHello: what a plain HTTP server says
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return b""
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


def http_answer(status: int, body: bytes | dict | list,
                content_type: str = "application/json") -> Responder:
    """Answer every request with ``status`` and ``body`` (JSON when not bytes), keep-alive."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()

    def respond(conn: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set() and _read_request(conn):
            conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
                         % (status, content_type.encode(), len(payload), payload))

    return respond


def garbage(conn: socket.socket, stop: threading.Event) -> None:
    """Bytes that are not HTTP in answer to the request, then close."""
    _read_request(conn)
    conn.sendall(b"\x00\xff\x1b[2J SSH-2.0-not-a-box \x00" * 8 + b"\r\n\r\n")


def silent(conn: socket.socket, stop: threading.Event) -> None:
    """Accept and never answer (until the server stops)."""
    stop.wait(60)


def trickle(conn: socket.socket, stop: threading.Event) -> None:
    """A 200 whose promised body comes one byte every 0.2 s, for ever: no single read times out."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000000\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b" ")
        time.sleep(0.2)


def huge_body(conn: socket.socket, stop: threading.Event) -> None:
    """A 200 with a body of 10 GB, sent as fast as the reader takes it."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 10000000000\r\n\r\n[")
    block = b"0," * 32768
    while not stop.is_set():
        conn.sendall(block)


class FakeBox:
    """A box's certificate authority in ``work/box``, and a workstation folder paired with it.

    :meth:`server_context` is what the box serves with (its CA trusts the workstation);
    ``FakeBox(work / "other")`` is another box; :meth:`refusing_context` is this box's
    certificate with a CA that does not know the workstation (a box whose CA was replaced).
    """

    def __init__(self, work: Path, *, name: str = "box") -> None:
        from cryptography.hazmat.primitives import serialization

        from borne.client.pairing import make_key_and_csr
        from borne.client.store import WorkstationFiles
        from borne.secure_channel.ca import BoxCA

        self.work = work
        self.directory = work / name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca = BoxCA.load_or_create(self.directory)
        self.cert, self.key = self.ca.ensure_server_cert(["localhost"], ["127.0.0.1"])
        self.workstation = work / f"{name}-ws"
        key_pem, csr_pem = make_key_and_csr("Comptoir test")
        certificate = self.ca.issue_client_cert(csr_pem, client_id="ws-test", name="Comptoir test")

        files = WorkstationFiles(self.workstation)
        files.write_key(key_pem)
        files.write_pairing(certificate=certificate.public_bytes(serialization.Encoding.PEM),
                            ca=self.ca.cert_pem, url="https://127.0.0.1:1", client_id="ws-test")

    def point_at(self, url: str) -> None:
        """The workstation folder's ``box.json`` now names ``url``."""
        box = json.loads((self.workstation / "box.json").read_text())
        (self.workstation / "box.json").write_text(json.dumps({**box, "url": url}))

    def server_context(self) -> ssl.SSLContext:
        """TLS as this box serves it: its certificate, client certificates of its CA."""
        from borne.secure_channel.tls import server_context

        return server_context(self.directory / "ca.crt", self.cert, self.key)

    def refusing_context(self, stranger: FakeBox) -> ssl.SSLContext:
        """This box's certificate, trusting only ``stranger``'s workstations: ours is refused."""
        from borne.secure_channel.tls import server_context

        context = server_context(stranger.directory / "ca.crt", self.cert, self.key)
        context.verify_mode = ssl.CERT_REQUIRED
        return context
