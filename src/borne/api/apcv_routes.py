"""apCV presentations, sessions and invoice claims; ordonnance numérique captures.

The flow for billing software (docs/api.md, "apCV"):

1. ``apcv.presented`` arrives on the event stream with a ``presentation_id``;
2. ``GET /v1/apcv/presentations/{id}``: the opaque payload, once (journaled);
3. the billing software authenticates it with its licensed components;
4. ``POST /v1/apcv/sessions`` ``{"presentation_id": ...}``: 201, the session;
5. before each invoice, ``POST /v1/apcv/sessions/{id}/invoices``: 201 with the
   invoice number, 409 ``reauthentication_required`` once the quota is used,
   410 ``session_expired`` after 20 minutes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from .context import CLIENT, CONTEXT
from .errors import ApiError
from .routes import routes

__all__: list[str] = []


def _service(request: web.Request) -> Any:
    service = request.app[CONTEXT].apcv
    if service is None:
        raise ApiError("not_found")
    return service


def _payload_view(payload: bytes) -> dict[str, Any]:
    """The payload in base64 (it may be binary), and as text when it is UTF-8."""
    try:
        text: str | None = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {"payload_b64": base64.b64encode(payload).decode("ascii"), "payload_text": text,
            "size": len(payload)}


def _fetched(request: web.Request, kind: str, fields: tuple[str, ...] = ()) -> web.Response:
    """Give the capture (and its ``fields``) to the calling client, once; never cached."""
    item = _service(request).fetch(request.match_info["presentation_id"], kind,
                                   request[CLIENT].client_id)
    extras = {name: getattr(item, name) for name in fields}
    return web.json_response({"id": item.id, "channel": item.channel,
                              "captured_at": item.captured_wall, **extras,
                              **_payload_view(item.payload)},
                             headers={"Cache-Control": "no-store"})


@routes.get("/v1/apcv/presentations/{presentation_id}")
async def presentation(request: web.Request) -> web.Response:
    """An apCV presentation's opaque payload, given once to the first client that asks."""
    return _fetched(request, "apcv")


@routes.get("/v1/prescriptions/{presentation_id}")
async def prescription(request: web.Request) -> web.Response:
    """A scanned ordonnance numérique: its number and the raw code, once."""
    return _fetched(request, "prescription", ("number",))


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError("bad_request", reason="body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError("bad_request", reason="body is not a JSON object")
    return body


@routes.post("/v1/apcv/sessions")
async def open_session(request: web.Request) -> web.Response:
    """Open a session on a presentation this client fetched and authenticated."""
    service = _service(request)
    body = await _json_body(request)
    presentation_id = body.get("presentation_id")
    if not isinstance(presentation_id, str) or not 0 < len(presentation_id) <= 64:
        raise ApiError("bad_request", field="presentation_id")
    session = service.open_session(presentation_id, request[CLIENT].client_id)
    return web.json_response(session.view(service.now()), status=201)


@routes.get("/v1/apcv/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    """A session: state, time left, invoices used and allowed."""
    service = _service(request)
    session = service.session(request.match_info["session_id"], request[CLIENT].client_id)
    return web.json_response(session.view(service.now()))


@routes.post("/v1/apcv/sessions/{session_id}/invoices")
async def claim_invoice(request: web.Request) -> web.Response:
    """Claim the next invoice before signing it: 201, or 409 / 410."""
    service = _service(request)
    invoice, session = service.claim(request.match_info["session_id"],
                                     request[CLIENT].client_id)
    return web.json_response({"invoice": invoice, "session": session.view(service.now())},
                             status=201)


@routes.post("/v1/camera/scan")
async def camera_scan(request: web.Request) -> web.Response:
    """Start (or stop) the QR camera in on-demand mode: the patient is about to show the app."""
    body = await _json_body(request)
    on = body.get("on", True)
    if not isinstance(on, bool):
        raise ApiError("bad_request", field="on")
    scan = request.app[CONTEXT].scan
    if scan is None or not scan(on):
        raise ApiError("no_camera")
    return web.json_response({"scanning": on})
