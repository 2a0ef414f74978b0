"""The middleware every request goes through: who is calling, errors, and the audit journal.

- The caller is the client certificate OpenSSL verified during the handshake
  (the box's CA is the only trust anchor), read from the connection's
  ``ssl_object``; the certificate's client id and serial must belong to a paired
  client that is not revoked. Checked on every request, so a revoked client is
  refused at once, on an already open keep-alive connection too.
- Only the pairing exchange is reachable without a certificate.
- Every failure becomes the one JSON error shape; nothing else leaks.
- Every request of a paired client is journaled (client, action, resource, status, and the
  facts its handler adds under ``AUDIT_DETAIL``), never health data; so is a pairing step that
  succeeded. A request refused to a caller without an authorised certificate is only counted
  (:mod:`borne.api.refusals`: by address and reason, one summary entry per interval): it
  costs no disk write, and its path never reaches the journal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import BorneError
from .context import AUDIT_DETAIL, CLIENT, CONTEXT, ApiContext
from .errors import ApiError, error_response, language_of
from .statuses import HTTP_EXCEPTION_CODES, http_status

__all__ = ["PUBLIC_PATHS", "SERVED_WHEN_STORAGE_REFUSES", "guard", "require_admin"]

log = logging.getLogger("borne.api")

#: Reachable without a client certificate: the pairing exchange only.
PUBLIC_PATHS = frozenset({"/v1/pairing/start", "/v1/pairing/complete"})

#: What a client may still ask while the data partition refuses writes: why, and who it is;
#: and the offline journal's collection, which is how the space is given back (collected
#: records are deleted). Their audit entries may then fail to be written: logged.
SERVED_WHEN_STORAGE_REFUSES = frozenset({"/v1/status", "/v1/clients/me", "/openapi.json",
                                         "/v1/journal", "/v1/journal/ack"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _authenticate(request: web.Request, context: ApiContext) -> object | None:
    from ..secure_channel.tls import peer_identity

    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    identity = peer_identity(der) if der else None
    if identity is None:
        if request.path in PUBLIC_PATHS:
            return None
        raise ApiError("unauthenticated")
    if not context.clients.is_authorised(identity.client_id, identity.serial):
        record = context.clients.get(identity.client_id)
        if record is not None and record.revoked_at is not None:
            raise ApiError("client_revoked", client_id=identity.client_id)
        raise ApiError("unauthenticated")
    return identity


def require_admin(request: web.Request) -> object:
    """The calling client, if it is an admin workstation; else a 403."""
    identity = request.get(CLIENT)
    if identity is None or not identity.admin:
        raise ApiError("forbidden")
    return identity


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, run the handler, shape errors, journal the request."""
    context = request.app[CONTEXT]
    language = language_of(request, context.language)
    identity = None
    status, code = 500, "internal_error"
    try:
        identity = _authenticate(request, context)
        request[CLIENT] = identity
        if context.storage is not None and context.storage.refusing \
                and request.path not in SERVED_WHEN_STORAGE_REFUSES:
            # Every access is journaled on the data partition: when it cannot be, no read.
            full = context.core.devices.get("storage", {}).get("state") == "full"
            raise ApiError("storage_full" if full else "storage_unavailable")
        response = await handler(request)
        status = response.status
        return response
    except BorneError as error:  # the API or a service refused: the code says the status
        status, code = http_status(error.code), error.code
        return error_response(status, error.code, language, error.details)
    except web.HTTPException as error:  # aiohttp's own (no route, wrong method...)
        status = error.status
        code = HTTP_EXCEPTION_CODES.get(error.status, "bad_request")
        # A 405 says which methods the path has (RFC 9110 §15.5.6): aiohttp's own Allow.
        allow = error.headers.get("Allow") if isinstance(error, web.HTTPMethodNotAllowed) else None
        headers = {"Allow": ", ".join(allow.split(","))} if allow is not None else None
        return error_response(error.status, code, language, headers=headers)
    except Exception:
        log.exception("API handler failed on %s %s", request.method, request.path)
        status = 500
        return error_response(500, "internal_error", language)
    finally:
        route = request.match_info.route.resource
        action = f"{request.method} {route.canonical if route is not None else request.path}"
        client_id = getattr(identity, "client_id", None)
        if client_id is None and status >= 400 and context.refusals is not None:
            # Refused without an authorised certificate: counted in memory, no disk write;
            # answered late past the address's burst, so a loop cannot crowd the event loop
            # (not the pairing exchange: its window and sessions are its own limits).
            delay = context.refusals.refused(request.remote, code)
            if delay and request.path not in PUBLIC_PATHS:
                await asyncio.sleep(delay)
        else:
            await _journal(request, context, client_id, action, status)


async def _journal(request: web.Request, context: ApiContext, client_id: str | None,
                   action: str, status: int) -> None:
    try:
        await context.audit.arecord(client_id=client_id, action=action,
                                    resource=request.path[:200], status=status,
                                    detail=request.get(AUDIT_DETAIL))
    except Exception:  # the journal failing must be seen, but not hide the answer
        log.exception("audit journal write failed")
        if context.storage is not None:
            context.storage.write_failed()  # full? then the next requests are refused
