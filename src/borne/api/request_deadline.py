"""A deadline on receiving each request: its head and its body, never its answer.

aiohttp bounds an idle keep-alive connection, but not a request being received: a body
dripped a byte a second is read for as long as the client likes, and holds its
connection. Here the clock starts at a request's first byte; if its head and body are not
all in by the deadline (``request_timeout_s`` without a client certificate,
``client_request_timeout_s`` with one: see :mod:`borne.secure_channel.settings`), the
connection is aborted.

- :class:`DeadlineRequestHandler` (the connection) starts the clock at a request's first
  byte and aborts the connection if the head is not in by then;
- :func:`receive_deadline` (a middleware, inside the guard so a refusal keeps the API's
  shape) stops that clock once the head is in, and waits for the whole body (at most the
  API's 64 KB, below aiohttp's read buffer) within what is left. From then on the handler
  runs unbounded: an event stream or the APDU WebSocket lasts as long as its client wants.

A route marked with :func:`streams_body` (an update bundle's upload) reads its own body, with
its own larger, bounded limits (:mod:`borne.api.bundle_upload`): the middleware stops the
head's clock and leaves the body to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .admission import Ticket
from .request_handler import JsonErrorRequestHandler

__all__ = ["DeadlineRequestHandler", "receive_deadline", "streams_body"]

log = logging.getLogger("borne.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DeadlineRequestHandler(JsonErrorRequestHandler):
    """One API connection: :class:`JsonErrorRequestHandler`, with a deadline on receiving
    each request and the connection's :class:`~borne.api.admission.Ticket` given back when
    it closes."""

    def __init__(self, manager: web.Server, *, ticket: Ticket | None, timeout_s: float,
                 client_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._ticket = ticket
        self._timeouts = (timeout_s, client_timeout_s)
        self._limit_s = timeout_s
        self._clock: asyncio.TimerHandle | None = None
        self._deadline = 0.0
        self._handling = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        certified = self._ticket is not None and self._ticket.certified
        self._limit_s = self._timeouts[1] if certified else self._timeouts[0]
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_clock()
        if self._ticket is not None:
            self._ticket.leave()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._clock is None and not self._handling and data:
            loop = asyncio.get_running_loop()
            self._deadline = loop.time() + self._limit_s
            self._clock = loop.call_at(self._deadline, self.cut, "head")
        super().data_received(data)

    def head_received(self) -> float:
        """The request's head is in: stop its clock; the loop time its body must be in by."""
        deadline = self._deadline if self._clock is not None \
            else asyncio.get_running_loop().time() + self._limit_s
        self._stop_clock()
        self._handling = True
        return deadline

    async def finish_response(self, request: Any, resp: Any, start_time: Any) -> Any:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:  # the next request's clock starts with its first byte
            self._stop_clock()
            self._handling = False

    def _stop_clock(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            self._clock = None

    def cut(self, what: str) -> None:
        """The request's ``what`` ("head", "body") did not arrive in time: abort."""
        self._clock = None
        peer = self.transport.get_extra_info("peername") if self.transport else None
        log.debug("request %s too slow from %s: connection closed", what, peer)
        if self._ticket is not None:
            self._ticket.cut(f"request {what} too slow")
        self.force_close()
        if self.transport is not None:
            self.transport.abort()


def streams_body(handler: Handler) -> Handler:
    """Mark a route's handler as reading its own body, within its own limits (not this
    module's: it must refuse a body before reading it, and may take minutes to receive it)."""
    handler.streams_body = True  # type: ignore[attr-defined]
    return handler


@web.middleware
async def receive_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Wait for the whole request body, within the connection's deadline, then run the handler."""
    protocol = request.protocol
    if not isinstance(protocol, DeadlineRequestHandler):
        return await handler(request)  # an app driven without our server (tests)
    deadline = protocol.head_received()
    if getattr(request.match_info.handler, "streams_body", False):
        return await handler(request)
    # All of the body received (not consumed: the handler reads it as before). One announced
    # over the API's limit is left to the handler, which refuses it at once (413).
    if request.body_exists and (request.content_length or 0) <= request.client_max_size:
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(request.content.wait_eof(), max(remaining, 0.0))
        except asyncio.TimeoutError:
            protocol.cut("body")
            raise web.HTTPRequestTimeout() from None
        except ConnectionError:  # gone (or closed for room) before its body was in: nobody
            raise web.HTTPRequestTimeout() from None  # to answer; the audit says 408
    return await handler(request)
