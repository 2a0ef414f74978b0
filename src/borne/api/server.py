"""The HTTPS server: aiohttp on a TLS socket whose context the secure channel builds.

aiohttp is used because its handlers reach the connection's ``ssl_object``
(``request.transport.get_extra_info``), so each request knows which verified
client certificate was presented, without patching the server; it also brings
streaming responses (SSE) and WebSockets (the APDU channel) in one maintained
library.

The TLS handshake is done by :class:`~borne.api.tls_gate.TlsGate` before the
connection is handed to aiohttp: it has a deadline, logs every refused client
with OpenSSL's reason, and makes sure the refused client receives the TLS alert.
Every connection is counted from its accept (:mod:`borne.api.admission`) and each
request must arrive within a deadline (:mod:`borne.api.request_deadline`).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from aiohttp import web

from ..secure_channel.settings import ConnectionLimits
from .admission import Admission, Ticket
from .context import CONTEXT, ApiContext
from .guard import guard
from .request_deadline import DeadlineRequestHandler, receive_deadline
from .tls_gate import TlsGate

__all__ = ["ApiServer", "build_app"]

log = logging.getLogger("borne.api")

#: Largest request body accepted (a CSR is about 1 KB).
MAX_BODY = 64 * 1024
#: Connections the kernel queues until they are accepted (and counted): a flood's must not
#: fill it before a paired client's. asyncio accepts up to this many per turn of its loop.
BACKLOG = 512
#: Descriptors the rest of the daemon may need besides the API (pcscd, SQLite, camera...).
DESCRIPTOR_RESERVE = 1024


def build_app(context: ApiContext) -> web.Application:
    """The aiohttp application for ``context`` (tests can drive it directly)."""
    from . import (apcv_routes, apdu_routes, clock_routes, journal_routes,  # noqa: F401
                   network_routes, pairing_routes, sse,  # (they register their routes)
                   update_routes)
    from .routes import routes

    app = web.Application(middlewares=[guard, receive_deadline], client_max_size=MAX_BODY)
    app[CONTEXT] = context
    app.add_routes(routes)
    return app


class ApiServer:
    """Serves :func:`build_app` over TLS on ``host:port`` (port 0: any free port).

    ``app`` replaces the built application (benchmarks add a trivial route to
    compare against). ``limits``: how many connections it holds, and request deadlines.
    """

    def __init__(self, context: ApiContext, ssl_context: ssl.SSLContext, *, host: str, port: int,
                 keepalive_s: float = 30.0, handshake_timeout_s: float = 10.0,
                 app: web.Application | None = None,
                 renew: Any = None, renew_every_s: float = 12 * 3600,
                 limits: ConnectionLimits | None = None) -> None:
        self.context = context
        self.limits = limits if limits is not None else ConnectionLimits()
        #: The connections held now (see :mod:`borne.api.admission`).
        self.admission = Admission(self.limits)
        self._app = app
        # Called periodically: re-issues the server certificate if it nears expiry and
        # returns its (cert, key) paths, loaded into the live context for new handshakes.
        self._renew = renew
        self._renew_every_s = renew_every_s
        self._renewer: asyncio.Task[None] | None = None
        self._ssl = ssl_context
        self._host = host
        self._port = port
        self._keepalive_s = keepalive_s
        self._handshake_timeout_s = handshake_timeout_s
        self._runner: web.AppRunner | None = None
        self._server: asyncio.base_events.Server | None = None

    @property
    def port(self) -> int:
        """The port actually listened on."""
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        """Listen; returns once the socket is bound."""
        app = self._app if self._app is not None else build_app(self.context)
        options: dict[str, Any] = dict(access_log=None, keepalive_timeout=self._keepalive_s,
                                       max_line_size=8190, max_field_size=8190)
        self._runner = web.AppRunner(app, **options)
        await self._runner.setup()
        loop = asyncio.get_running_loop()
        http = self._runner.server
        assert http is not None
        language = self.context.language
        # Refused handshakes are counted; one log line per address and interval.
        refused = self.context.refusals.handshake_refused if self.context.refusals else None

        def factory(ticket: Ticket) -> DeadlineRequestHandler:
            # What web.Server() builds per connection, with parser errors in our shape.
            return DeadlineRequestHandler(http, loop=loop, language=language, ticket=ticket,
                                          timeout_s=self.limits.request_timeout_s,
                                          client_timeout_s=self.limits.client_request_timeout_s,
                                          **options)

        self._server = await loop.create_server(
            lambda: TlsGate(factory, self._ssl, self._handshake_timeout_s, self.admission,
                            refused=refused),
            self._host, self._port, reuse_address=True, backlog=BACKLOG)
        self._check_descriptors()
        log.info("API listening on https://%s:%d", self._host, self.port)
        if self._renew is not None:
            self._renewer = asyncio.create_task(self._keep_certificate_fresh())

    def _check_descriptors(self) -> None:
        """Say so when the process may run out of descriptors before the caps are reached
        (the unit sets ``LimitNOFILE``; a hand-started daemon may have 1024)."""
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        needed = self.limits.most + 3 * BACKLOG + DESCRIPTOR_RESERVE
        if soft != resource.RLIM_INFINITY and soft < needed:
            log.warning("only %d file descriptors (RLIMIT_NOFILE) for up to %d API connections: "
                        "a flood may exhaust them; raise LimitNOFILE to %d or lower "
                        "[api.connections]", soft, self.limits.most, needed)

    async def _keep_certificate_fresh(self) -> None:
        """A box runs for months: renew its server certificate without a restart."""
        while True:
            await asyncio.sleep(self._renew_every_s)
            try:
                cert_path, key_path = await asyncio.to_thread(self._renew)
                # The renewed server.key is wrapped with the board secret, as the first one.
                self._ssl.load_cert_chain(cert_path, key_path,
                                          self.context.ca.server_key_password)
            except Exception:  # keep serving with the current certificate; say so
                log.exception("server certificate renewal failed")

    async def stop(self) -> None:
        """Close the listener, end open streams, and release the app."""
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        for streams in list(self.context.streams.values()):
            for stream in list(streams):
                stream.subscription.close()
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
