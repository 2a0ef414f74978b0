"""The v1 resources: status, readers, cards, clients, audit, the mode, and the OpenAPI document.

Every route module registers its handlers through :data:`operations`, which records
each one's documentation as it goes (:mod:`borne.api.operation`).
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, get_args

import msgspec
from aiohttp import web
from msgspec import Meta

from ..ccid.status import usb_off
from ..network.status import network_off
from ..update.service import update_status
from .bodies import Audit, Client, Clients, Mode, ModeChange, Readers, Slot, Status, json_body
from .context import CLIENT, CONTEXT
from .errors import ApiError
from .guard import require_admin
from .json_input import read_json
from .operation import Answer, OperationTable, Query
from .parameters import Seq, integer

__all__ = ["operations", "routes"]

routes = web.RouteTableDef()
#: The API's operations: every route of every route module, with its documentation.
operations = OperationTable(routes)

#: Where GET /v1/events resumes: the ``Last-Event-ID`` header (what an SSE client sends when it
#: reconnects), else ``?after=``; read by :func:`borne.api.sse.events`, shown by the document.
LAST_EVENT_ID = Query("Last-Event-ID", Seq, where="header",
                      description="resume after this event (wins over `after`)")
EVENTS_AFTER = Query("after", Seq, description="resume after this event")

# The handler is borne.api.sse.events.
operations.declare(
    "GET", "/v1/events",
    "Server-Sent Events: `id:` is the sequence number; `Last-Event-ID` (or `?after=`) resumes; "
    "`: heartbeat` comments keep the connection alive; `stream.gap`, `stream.overflow` and "
    "`stream.revoked` end or qualify a stream.",
    Answer(200, str, "text/event-stream", media="text/event-stream",
           example='id: 1291\nevent: card.inserted\ndata: {"slot":"acs-acr39u-icc-reader-00-00",'
                   '"atr":"3B 75 13 00 00 45 09 EA 90 00"}\n\n: heartbeat\n\n'), errors=(400,),
    query=(EVENTS_AFTER, LAST_EVENT_ID),
    description="Resuming after an event the box does not have (beyond its last one: it "
                "restarted, and its sequence numbers started again at 1) opens the stream with "
                "`stream.gap` (`resumes_at` at or below `lost_after`), then every event it holds.")


@operations.get("/v1/status", "Version, API level, mode, devices, clock, health checks",
                Answer(200, Status, "Status"))
async def status(request: web.Request) -> web.Response:
    """Version, API level, mode, devices, clock, health checks, and who is asking.

    ``health`` holds the same checks as ``borne doctor``, in both languages
    (borne.health.BoxHealth: cheap, computed on the loop at each request).
    """
    context = request.app[CONTEXT]
    snapshot = context.core.snapshot(identity=False, with_readers=False)
    snapshot["readers"] = len(context.core.slots)
    snapshot["health"] = ([check.to_dict() for check in context.health.checks()]
                          if context.health is not None else [])
    identity = request[CLIENT]
    snapshot["client"] = {"client_id": identity.client_id, "name": identity.name,
                          "admin": identity.admin}
    snapshot["update"] = msgspec.to_builtins(update_status(context.updates))
    snapshot["usb"] = msgspec.to_builtins(context.usb.snapshot() if context.usb else usb_off())
    snapshot["network"] = msgspec.to_builtins(context.network.snapshot() if context.network
                                              else network_off())
    return json_body(msgspec.convert(snapshot, Status))


@operations.put(
    "/v1/mode",
    "Switch the box to `counter` or `mobile` (kept across restarts; any paired workstation may, "
    "it is journaled). Mobile: the camera scans only when asked, the screen dims sooner and "
    "shows the battery and the reads waiting",
    Answer(200, ModeChange, "Mode"), request=ModeChange, errors=(400,))
async def mode(request: web.Request) -> web.Response:
    """Switch the box to ``counter`` or ``mobile`` (the nurse's tablet does it; journaled).

    Any paired workstation may: the mode changes how the box saves its battery,
    not who may read what.
    """
    context = request.app[CONTEXT]
    allowed = list(get_args(Mode))
    body = await read_json(request, required=["mode"])  # no body, not JSON, too deep
    if not isinstance(body, dict) or "mode" not in body:
        raise ApiError("bad_request", required=["mode"])
    try:
        wanted = msgspec.convert(body, ModeChange)
    except msgspec.ValidationError:
        raise ApiError("mode_unknown", field="mode", allowed=allowed) from None
    if context.set_mode is None:
        raise ApiError("mode_unknown", field="mode", allowed=allowed)
    context.set_mode(wanted.mode)
    return json_body(ModeChange(context.core.mode))


@operations.get("/v1/readers", "Every slot and the type of card it holds",
                Answer(200, Readers, "Slots", links={"slot_id": "$response.body#/readers/0/id"}))
async def readers(request: web.Request) -> web.Response:
    """Every slot and what it holds (card type only; the content is at .../card)."""
    body = {"readers": request.app[CONTEXT].core.readers(identity=False)}
    return json_body(msgspec.convert(body, Readers))


def _slot(request: web.Request) -> object:
    slot = request.app[CONTEXT].core.slots.get(request.match_info["slot_id"])
    if slot is None:
        raise ApiError("not_found", slot=request.match_info["slot_id"])
    return slot


@operations.get("/v1/readers/{slot_id}", "One slot", Answer(200, Slot, "Slot"), errors=(404,))
async def reader(request: web.Request) -> web.Response:
    """One slot."""
    context = request.app[CONTEXT]
    view = _slot(request).to_dict(identity=False, language=context.language)
    return json_body(msgspec.convert(view, Slot))


@operations.get("/v1/readers/{slot_id}/card", "The decoded card (identity data: journaled)",
                Answer(200, "Card", "Card"), errors=(404,))
async def card(request: web.Request) -> web.Response:
    """The decoded card in a slot: the same shape as ``borne status --json``
    (the card model's own JSON: see borne.api.card_schemas)."""
    slot = _slot(request)
    if slot.card is None:
        raise ApiError("no_card", slot=slot.info.id, state=slot.state)
    return web.json_response(slot.card.to_dict())


@operations.get("/v1/clients", "Paired workstations (admin only)", Answer(200, Clients, "Clients"))
async def clients(request: web.Request) -> web.Response:
    """Paired workstations (admin workstations only)."""
    require_admin(request)
    registry = request.app[CONTEXT].clients
    body = {"clients": [c.to_dict() for c in registry.list()]}
    return json_body(msgspec.convert(body, Clients))


@operations.get("/v1/clients/me", "The calling workstation", Answer(200, Client, "Client"))
async def me(request: web.Request) -> web.Response:
    """The calling workstation, as the box knows it."""
    identity = request[CLIENT]
    record = request.app[CONTEXT].clients.get(identity.client_id)
    return json_body(msgspec.convert(record.to_dict(), Client))


#: ``{client_id}`` of DELETE /v1/clients/{client_id}: not ``me``, which is GET /v1/clients/me
#: (another resource, whose only method is GET: DELETE there is 405, not a revocation).
CLIENT_ID = Query("client_id", Annotated[str, Meta(extra_json_schema={"not": {"const": "me"}})],
                  where="path", description="the workstation's `client_id`")


@operations.delete("/v1/clients/{client_id:(?!me$)[^/]+}",
                   "Revoke a workstation (admin only); refused at once. 409 last_admin: the "
                   "last admin workstation (itself included) is kept; pair another admin first, "
                   "on the box (`borne pair open --admin`)",
                   Answer(200, Client, "Revoked"), errors=(404, 409), query=(CLIENT_ID,))
async def revoke(request: web.Request) -> web.Response:
    """Revoke a workstation (admin only): refused at once, open streams closed.

    Never the last admin (``409 last_admin``): a box without one has nobody left to
    revoke a lost tablet from the network; the person at the box still can.
    """
    require_admin(request)
    context = request.app[CONTEXT]
    client_id = request.match_info["client_id"]
    if context.revoke(client_id) is None:
        raise ApiError("not_found", client_id=client_id)
    return json_body(msgspec.convert(context.clients.get(client_id).to_dict(), Client))


#: ``?after=`` and ``?limit=`` of GET /v1/audit: read by the handler, shown by the document.
AUDIT_AFTER = Query("after", Seq, default=0, description="entries with a greater `seq`")
AUDIT_LIMIT = Query("limit", Annotated[int, Meta(ge=1, le=1000)], default=100,
                    description="at most this many entries")


@operations.get("/v1/audit",
                "Audit journal (all clients for an admin, the caller's own otherwise)",
                Answer(200, Audit, "Entries"), errors=(400,), query=(AUDIT_AFTER, AUDIT_LIMIT))
async def audit(request: web.Request) -> web.Response:
    """Audit entries: every client's for an admin, the caller's own otherwise."""
    identity = request[CLIENT]
    after = integer(request, AUDIT_AFTER)
    limit = integer(request, AUDIT_LIMIT)
    only = None if identity.admin else identity.client_id
    entries = request.app[CONTEXT].audit.entries(after=after, limit=limit, client_id=only)
    return json_body(msgspec.convert({"entries": [e.to_dict() for e in entries]}, Audit))


@functools.cache
def _document_text() -> str:
    """The document as served: built once (tens of ms of msgspec's work; it never changes
    while the daemon runs), written as ``web.json_response`` writes it."""
    from .openapi import document

    return json.dumps(document())


@operations.get("/openapi.json", "This document",
                Answer(200, dict, "OpenAPI 3.1", example={
                    "openapi": "3.1.0", "info": {"title": "borne local API", "version": "0.1.0"},
                    "paths": {"/v1/status": {"get": {"summary": "..."}}}}))
async def openapi(request: web.Request) -> web.Response:
    """The whole v1 contract."""
    return web.Response(text=_document_text(), content_type="application/json")
