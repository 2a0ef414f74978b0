"""The leased APDU channel over the API: leases (REST) and the channel (a WebSocket).

The protocol is in ``docs/apdu-channel.md``; the service behind it is
:class:`borne.apdu.service.ApduService`.

1. ``POST /v1/slots/{slot_id}/lease`` ``{"seconds": 60}``: 201, the lease; 409
   ``slot_busy`` with how long the slot stays leased, and who holds it for an admin
   workstation only (``slot_leased_by_you`` with the lease id when it is the caller);
2. ``GET /v1/leases/{lease_id}/channel``: a WebSocket on the same mTLS
   connection, JSON text messages, one round trip per APDU;
3. ``POST /v1/leases/{lease_id}/renew``, ``DELETE /v1/leases/{lease_id}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import WSMsgType, web

from ..error_catalogue import Surface, codes
from ..errors import message_for
from .bodies import json_body
from .context import CLIENT, CONTEXT
from .errors import ApiError, language_of
from .flow_bodies import Lease, LeaseRequest, Leases, Released
from .json_input import loads_bounded, read_object
from .operation import Answer
from .routes import operations

if TYPE_CHECKING:
    from ..apdu.service import ApduService

__all__: list[str] = []

#: Largest WebSocket message: an extended APDU (65544 bytes) in spaced hex, and the JSON
#: around it. Beyond, the box closes the channel (1009); below, it answers ``apdu_too_large``.
MAX_MESSAGE = 4 * 65544 + 4096
#: Seconds between WebSocket pings: a peer that stops answering is cut off, then the
#: lease's grace runs.
HEARTBEAT_S = 10.0


#: What a lease's answer gives the operations that follow it (OpenAPI links).
_LEASE_LINKS = {"lease_id": "$response.body#/lease_id", "slot_id": "$response.body#/slot"}


def _service(request: web.Request) -> Any:
    service = request.app[CONTEXT].apdu
    if service is None:
        raise ApiError("not_found")
    return service


async def _seconds(request: web.Request, service: ApduService) -> object:
    """``seconds`` from an optional JSON body, for the lease book to check (None: no body or no
    ``seconds``, the default). A body or a ``seconds`` that is JSON ``null`` is refused: the
    document's body is an object, its ``seconds`` an integer, and null is neither."""
    if not request.can_read_body:
        return None
    body = await read_object(request)
    if "seconds" in body and body["seconds"] is None:
        raise service.book.refusal()
    return body.get("seconds")


@operations.post("/v1/slots/{slot_id}/lease",
                 "Lease a slot exclusively for the APDU channel (an empty slot too: the lease "
                 "waits for a card). 409 slot_busy: `details` has `until_s`, and for an admin "
                 "workstation only `holder` (its name) and `client_id`; 409 slot_leased_by_you: "
                 "you hold it already, "
                 "`details` has your `lease_id` and `until_s`",
                 Answer(201, Lease, "Leased", links=_LEASE_LINKS), request=LeaseRequest,
                 request_required=False, errors=(400, 404, 409))
async def take_lease(request: web.Request) -> web.Response:
    """Lease a slot exclusively (201), or 409 ``slot_busy``."""
    service = _service(request)
    seconds = await _seconds(request, service)
    identity = request[CLIENT]
    lease = service.take(request.match_info["slot_id"], identity.client_id, identity.name,
                         seconds, admin=identity.admin)
    return json_body(msgspec.convert(lease.view(service.now()), Lease), status=201)


@operations.get("/v1/leases", "The caller's live leases",
                Answer(200, Leases, "Leases",
                       links={"lease_id": "$response.body#/leases/0/lease_id"}))
async def list_leases(request: web.Request) -> web.Response:
    """The caller's live leases."""
    service = _service(request)
    now = service.now()
    leases = service.leases_of(request[CLIENT].client_id)
    return json_body(msgspec.convert({"leases": [lease.view(now) for lease in leases]}, Leases))


@operations.post("/v1/leases/{lease_id}/renew", "Renew a lease: it ends `seconds` from now",
                 Answer(200, Lease, "Renewed", links=_LEASE_LINKS), request=LeaseRequest,
                 request_required=False, errors=(400, 404))
async def renew_lease(request: web.Request) -> web.Response:
    """Push the lease's end to ``seconds`` from now."""
    service = _service(request)
    seconds = await _seconds(request, service)
    lease = service.renew(request.match_info["lease_id"], request[CLIENT].client_id, seconds)
    return json_body(msgspec.convert(lease.view(service.now()), Lease))


@operations.delete("/v1/leases/{lease_id}",
                   "Release a lease now (404 lease_not_found: not yours, or over)",
                   Answer(200, Released, "Released"), errors=(404,))
async def release_lease(request: web.Request) -> web.Response:
    """End the lease now; the slot is free."""
    service = _service(request)
    service.release(request.match_info["lease_id"], request[CLIENT].client_id)
    return json_body(Released(True))


class _WebSocketChannel:
    """A :class:`borne.apdu.service.Channel` over an aiohttp WebSocket: ordered sends, one at a time.

    What the service pushes is sent in ``pushes``, the channel handler's task group: the
    handler returns only once everything pushed to its socket is sent (or the peer is gone).
    """

    def __init__(self, ws: web.WebSocketResponse, language: str, pushes: asyncio.TaskGroup) -> None:
        self.ws = ws
        self.language = language
        self._lock = asyncio.Lock()
        self._pushes = pushes

    async def send(self, message: dict[str, Any]) -> None:
        if message.get("op") == "error":
            message = {**message, "message": message_for(message["code"], self.language)}
        async with self._lock:
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(json.dumps(message, separators=(",", ":")))
            except (ConnectionError, RuntimeError):  # the peer went away meanwhile
                pass

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._pushes.create_task(coroutine)

    def push(self, message: dict[str, Any]) -> None:
        self._spawn(self.send(message))

    def close(self, reason: str) -> None:
        code = 4000 if reason == "replaced" else 1001 if reason == "stopping" else 1000
        self._spawn(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        async with self._lock:  # after the pushes queued before
            await self.ws.close(code=code, message=reason.encode())


@operations.get(
    "/v1/leases/{lease_id}/channel",
    "The lease's APDU channel: a WebSocket (JSON text messages) on the same mTLS connection, "
    "for the lease holder only",
    Answer(101, None, "Switching Protocols (WebSocket)"), errors=(400, 404),
    description=(
        "Requests `{\"op\": \"power_on\"|\"reset\"|\"power_off\", \"id\": n}` and "
        "`{\"op\": \"apdu\", \"id\": n, \"apdu\": HEX}`; answers `atr`, `ok`, `response` "
        "(with SW1 SW2) or `error` (`code`, `message`) with the same `id`. Pushed at any time: "
        "`card_removed`, `card_inserted` (`atr`), `lease_lost` (`code`: "
        + ", ".join(codes(Surface.LEASE_LOST)) + "), after which the box closes the socket. "
        "Channel error codes: " + ", ".join(codes(Surface.CHANNEL))
        + ". See docs/apdu-channel.md."))
async def channel(request: web.Request) -> web.StreamResponse:
    """The lease's APDU channel (WebSocket, JSON text messages)."""
    service = _service(request)
    lease_id = request.match_info["lease_id"]
    client_id = request[CLIENT].client_id
    service.check(lease_id, client_id)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE)
    if not ws.can_prepare(request).ok:
        raise ApiError("bad_request", reason="WebSocket upgrade expected")
    await ws.prepare(request)
    async with asyncio.TaskGroup() as pushes:
        link = _WebSocketChannel(ws, language_of(request, request.app[CONTEXT].language), pushes)
        try:
            service.attach(lease_id, client_id, link)
        except Exception:
            # The lease ended between the check and the upgrade.
            await link.send({"op": "lease_lost", "code": "lease_expired"})
            await ws.close()
            return ws
        await _serve(ws, service, lease_id, client_id, link)
    return ws


async def _serve(ws: web.WebSocketResponse, service: ApduService, lease_id: str, client_id: str,
                 link: _WebSocketChannel) -> None:
    """Answer the channel's requests until the socket closes; then the lease forgets it."""
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                await link.send({"op": "error", "id": None, "code": "bad_request",
                                 "detail": "JSON text messages only"})
                continue
            try:
                body = loads_bounded(message.data)
            except ValueError:  # JsonRefused: not JSON, or too deep
                body = None
            if not isinstance(body, dict):
                await link.send({"op": "error", "id": None, "code": "bad_request",
                                 "detail": "not a JSON object"})
                continue
            await link.send(await service.handle(lease_id, client_id, body))
    finally:
        service.detach(lease_id, link)
