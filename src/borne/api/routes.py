"""The v1 resources: status, readers, cards, clients, audit, and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from .context import CLIENT, CONTEXT
from .errors import ApiError
from .guard import require_admin

__all__ = ["routes"]

routes = web.RouteTableDef()


def _client_view(identity: object) -> dict:
    return {"client_id": identity.client_id, "name": identity.name, "admin": identity.admin}


@routes.get("/v1/status")
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
    snapshot["client"] = _client_view(request[CLIENT])
    return web.json_response(snapshot)


@routes.put("/v1/mode")
async def mode(request: web.Request) -> web.Response:
    """Switch the box to ``counter`` or ``mobile`` (the nurse's tablet does it; journaled).

    Any paired workstation may: the mode changes how the box saves its battery,
    not who may read what.
    """
    context = request.app[CONTEXT]
    try:
        body = await request.json()
    except ValueError:
        raise ApiError("bad_request") from None
    wanted = body.get("mode") if isinstance(body, dict) else None
    if wanted not in ("counter", "mobile") or context.set_mode is None:
        raise ApiError("mode_unknown", field="mode")
    context.set_mode(wanted)
    return web.json_response({"mode": context.core.mode})


@routes.get("/v1/readers")
async def readers(request: web.Request) -> web.Response:
    """Every slot and what it holds (card type only; the content is at .../card)."""
    return web.json_response({"readers": request.app[CONTEXT].core.readers(identity=False)})


def _slot(request: web.Request) -> object:
    slot = request.app[CONTEXT].core.slots.get(request.match_info["slot_id"])
    if slot is None:
        raise ApiError("not_found", slot=request.match_info["slot_id"])
    return slot


@routes.get("/v1/readers/{slot_id}")
async def reader(request: web.Request) -> web.Response:
    """One slot."""
    context = request.app[CONTEXT]
    return web.json_response(_slot(request).to_dict(identity=False, language=context.language))


@routes.get("/v1/readers/{slot_id}/card")
async def card(request: web.Request) -> web.Response:
    """The decoded card in a slot: the same shape as ``borne status --json``."""
    slot = _slot(request)
    if slot.card is None:
        raise ApiError("no_card", slot=slot.info.id, state=slot.state)
    return web.json_response(slot.card.to_dict())


@routes.get("/v1/clients")
async def clients(request: web.Request) -> web.Response:
    """Paired workstations (admin workstations only)."""
    require_admin(request)
    registry = request.app[CONTEXT].clients
    return web.json_response({"clients": [c.to_dict() for c in registry.list()]})


@routes.get("/v1/clients/me")
async def me(request: web.Request) -> web.Response:
    """The calling workstation, as the box knows it."""
    identity = request[CLIENT]
    record = request.app[CONTEXT].clients.get(identity.client_id)
    return web.json_response(record.to_dict())


@routes.delete("/v1/clients/{client_id}")
async def revoke(request: web.Request) -> web.Response:
    """Revoke a workstation (admin only): refused at once, open streams closed."""
    require_admin(request)
    context = request.app[CONTEXT]
    client_id = request.match_info["client_id"]
    if context.revoke(client_id) is None:
        raise ApiError("not_found", client_id=client_id)
    return web.json_response(context.clients.get(client_id).to_dict())


@routes.get("/v1/audit")
async def audit(request: web.Request) -> web.Response:
    """Audit entries: every client's for an admin, the caller's own otherwise."""
    identity = request[CLIENT]
    try:
        after = int(request.query.get("after", "0"))
        limit = min(max(int(request.query.get("limit", "100")), 1), 1000)
    except ValueError:
        raise ApiError("bad_request", parameter="after/limit") from None
    only = None if identity.admin else identity.client_id
    entries = request.app[CONTEXT].audit.entries(after=after, limit=limit, client_id=only)
    return web.json_response({"entries": [e.to_dict() for e in entries]})


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The whole v1 contract."""
    from .openapi import document

    return web.json_response(document())
