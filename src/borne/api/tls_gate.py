"""The TLS handshake of each new API connection, before aiohttp sees it.

:class:`TlsGate` owns a fresh TCP connection until its handshake is done, then
hands the secured transport to aiohttp. Doing it here rather than letting
``create_server(ssl=...)`` do it gives three things:

- a deadline: a client that connects and says nothing is dropped;
- a log line for a refused client, with its address and OpenSSL's reason
  ("certificate has expired", "unable to get local issuer certificate"...),
  which asyncio's own TLS server keeps silent (with ``refused``, the API's
  :class:`~borne.api.refusals.RefusalTally`, counts every refusal and allows the first
  line per address and interval: each line reaches systemd's journal, on the SD card);
- the TLS alert reaches the refused client. asyncio's ``SSLProtocol`` aborts the
  connection on a failed handshake without writing the alert OpenSSL has just
  prepared (CPython 3.11-3.13, ``sslproto.SSLProtocol._on_handshake_complete``),
  so a TLS 1.3 client, which has finished its side before the server judges its
  certificate, only reads EOF. :class:`_AlertingSSLProtocol` writes that
  pending alert first, and the workstation's TLS library can say
  "unknown ca" or "certificate expired" instead of "connection closed".

The last point subclasses asyncio's ``SSLProtocol``, which is not a public class.
It is contained here: if a future Python renames what it overrides, the gate
falls back to ``loop.start_tls`` (refusals still work and are logged, the alert
is lost again) and ``tests/integration/test_tls_refusals.py`` says so.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from asyncio import sslproto
from collections.abc import Callable
from typing import Any

from .admission import Admission, Ticket

__all__ = ["TlsGate"]

log = logging.getLogger("borne.api")


class _AlertingSSLProtocol(sslproto.SSLProtocol):  # type: ignore[misc]
    """asyncio's TLS protocol, which also sends the alert of a failed handshake."""

    def _on_handshake_complete(self, handshake_exc: Any) -> None:
        if handshake_exc is not None and self._transport is not None:
            try:
                # OpenSSL wrote the alert into the outgoing BIO: put it on the wire
                # before the base class aborts the transport.
                data = self._outgoing.read()
                if data:
                    self._transport.write(data)
            except Exception:  # the peer may be gone already; the refusal stands
                pass
        super()._on_handshake_complete(handshake_exc)


#: What the alerting protocol needs from asyncio's private class.
_ALERTS_SUPPORTED = all(hasattr(sslproto.SSLProtocol, name)
                        for name in ("_on_handshake_complete", "_get_app_transport"))


async def _start_tls_with_alert(transport: asyncio.Transport, protocol: asyncio.Protocol,
                                context: ssl.SSLContext, timeout_s: float) -> asyncio.Transport:
    """``loop.start_tls(server_side=True)``, with :class:`_AlertingSSLProtocol`.

    The same steps as CPython's ``BaseEventLoop.start_tls``.
    """
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    ssl_protocol = _AlertingSSLProtocol(loop, protocol, context, waiter, server_side=True,
                                        ssl_handshake_timeout=timeout_s,
                                        call_connection_made=False)
    transport.pause_reading()
    transport.set_protocol(ssl_protocol)
    made = loop.call_soon(ssl_protocol.connection_made, transport)
    resumed = loop.call_soon(transport.resume_reading)
    try:
        await waiter
    except BaseException:
        transport.close()
        made.cancel()
        resumed.cancel()
        raise
    return ssl_protocol._get_app_transport()


class TlsGate(asyncio.Protocol):
    """Owns a new TCP connection until its TLS handshake is done, then gives it to aiohttp.

    With ``admission``, the connection is counted from its accept (it may close others, or
    be closed, to keep within the caps: :mod:`borne.api.admission`) and ``factory`` gets its
    :class:`~borne.api.admission.Ticket`, to give back when the connection closes.
    ``refused(address, reason)`` counts a refused handshake and says whether it is worth a
    log line (:mod:`borne.api.refusals`).
    """

    def __init__(self, factory: Any, ssl_context: ssl.SSLContext, timeout_s: float,
                 admission: Admission | None = None, *,
                 refused: Callable[[str | None, str], bool] | None = None) -> None:
        self._factory = factory
        # refused(address, reason): counts a refused handshake, True if it is worth a log line.
        self._refused = refused if refused is not None else (lambda address, reason: True)
        self._ssl = ssl_context
        self._timeout_s = timeout_s
        self._admission = admission
        self._ticket: Ticket | None = None
        self._task: asyncio.Task[None] | None = None
        # Bytes that arrive with the end of the handshake (the first request often
        # does) reach this protocol before aiohttp's is attached: kept and replayed.
        self._early: list[bytes] = []

    def data_received(self, data: bytes) -> None:
        self._early.append(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # the ClientHello waits in the kernel for the handshake
        if self._admission is not None:
            peer = transport.get_extra_info("peername")
            self._ticket = self._admission.arrive(peer[0] if peer else "?", transport)
            if self._ticket is None:  # refused at once (over its address's cap): no TLS work
                return
        self._task = asyncio.get_running_loop().create_task(self._handshake(transport))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _secure(self, transport: asyncio.Transport) -> asyncio.Transport | None:
        if _ALERTS_SUPPORTED:
            return await _start_tls_with_alert(transport, self, self._ssl, self._timeout_s)
        return await asyncio.get_running_loop().start_tls(
            transport, self, self._ssl, server_side=True, ssl_handshake_timeout=self._timeout_s)

    async def _handshake(self, transport: asyncio.Transport) -> None:
        handed_over = False
        try:
            handed_over = await self._hand_over(transport)
        finally:
            if not handed_over and self._ticket is not None:
                self._ticket.leave()

    async def _hand_over(self, transport: asyncio.Transport) -> bool:
        """Whether the connection went to aiohttp (False: refused, gone or closed)."""
        peer = transport.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if peer else "?"
        try:
            secured = await self._secure(transport)
        except ssl.SSLCertVerificationError as error:
            if self._refused(peer[0] if peer else None, "tls_certificate"):
                log.warning("TLS refused from %s: client certificate rejected: %s", where,
                            error.verify_message)
            transport.abort()
            return False
        except RuntimeError:  # asyncio's TLS on a connection closed under it (made room for
            transport.abort()  # another: in the admission's summary)
            return False
        except (ssl.SSLError, ConnectionError, OSError, asyncio.TimeoutError) as error:
            if self._ticket is not None and self._ticket.evicted:  # in admission's summary
                return False
            reason = getattr(error, "reason", None) or type(error).__name__
            if self._refused(peer[0] if peer else None, "tls_handshake"):
                log.warning("TLS refused from %s: %s", where, reason)
            transport.abort()
            return False
        if secured is None:  # the peer went away during the handshake
            return False
        if self._ticket is not None:
            ssl_object = secured.get_extra_info("ssl_object")
            certified = bool(ssl_object and ssl_object.getpeercert(binary_form=True))
            if not self._ticket.secured(certified):  # closed to make room, or no room
                transport.abort()
                return False
        protocol = self._factory(self._ticket) if self._admission is not None else self._factory()
        secured.set_protocol(protocol)
        protocol.connection_made(secured)
        for chunk in self._early:
            protocol.data_received(chunk)
        self._early.clear()
        return True
