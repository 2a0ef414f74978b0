"""apCV presentations, sessions and invoice claims; ordonnance numérique captures.

The flow for billing software (docs/api.md, "apCV"):

1. ``apcv.presented`` arrives on the event stream with a ``presentation_id``;
2. ``GET /v1/apcv/presentations/{id}``: the opaque payload, once (journaled);
3. the billing software authenticates it with its licensed components;
4. ``POST /v1/apcv/sessions`` ``{"presentation_id": ...}``: 201, the session;
5. before each invoice, ``POST /v1/apcv/sessions/{id}/invoices``: 201 with the
   invoice number, 409 ``reauthentication_required`` once the quota is used,
   410 ``session_expired`` after 20 minutes;
6. if its signature or transmission fails, ``POST .../invoices/{n}/release``
   ``{"reason": ...}`` gives it back (journaled with its reason); once sent,
   ``POST .../invoices/{n}/confirm`` keeps it for good (optional).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

import msgspec
from aiohttp import web
from msgspec import Meta

from ..apcv.sessions import MAX_INVOICES

from .bodies import CameraScan, Scanning, json_body
from .context import AUDIT_DETAIL, CLIENT, CONTEXT
from .errors import ApiError
from .flow_bodies import (InvoiceChanged, InvoiceClaimed, InvoiceRelease, Prescription,
                          Presentation, Session, SessionOpen)
from .json_input import read_object
from .operation import Answer, Query
from .parameters import integer
from .routes import operations

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


def _fetched(request: web.Request, kind: str, body: type[msgspec.Struct],
             fields: tuple[str, ...] = ()) -> web.Response:
    """Give the capture (and its ``fields``) to the calling client, once; never cached."""
    item = _service(request).fetch(request.match_info["presentation_id"], kind,
                                   request[CLIENT].client_id)
    extras = {name: getattr(item, name) for name in fields}
    view = {"id": item.id, "channel": item.channel, "captured_at": item.captured_wall,
            **extras, **_payload_view(item.payload)}
    return json_body(msgspec.convert(view, body), headers={"Cache-Control": "no-store"})


@operations.get("/v1/apcv/presentations/{presentation_id}",
                "An apCV presentation's opaque payload, given once (journaled); 404 after "
                "2 minutes, 409 presentation_already_fetched the second time, 409 "
                "presentation_taken when another workstation fetched it",
                Answer(200, Presentation, "Presentation"), errors=(404, 409))
async def presentation(request: web.Request) -> web.Response:
    """An apCV presentation's opaque payload, given once to the first client that asks."""
    return _fetched(request, "apcv", Presentation)


@operations.get("/v1/prescriptions/{presentation_id}",
                "A scanned ordonnance numérique (number and raw code), given once; 409 "
                "presentation_already_fetched the second time, presentation_taken when another "
                "workstation fetched it",
                Answer(200, Prescription, "Prescription"), errors=(404, 409))
async def prescription(request: web.Request) -> web.Response:
    """A scanned ordonnance numérique: its number and the raw code, once."""
    return _fetched(request, "prescription", Prescription, ("number",))


@operations.post("/v1/apcv/sessions",
                 "Open a session on a presentation you fetched and authenticated; the invoice "
                 "quota follows the profession of the CPS in the box, else the box's `[apcv] "
                 "site_profession` (`quota_source` says which). 409 presentation_not_fetched "
                 "if you did not fetch it, presentation_taken if another workstation did",
                 Answer(201, Session, "Opened", links={"session_id": "$response.body#/id"}),
                 request=SessionOpen, errors=(400, 404, 409))
async def open_session(request: web.Request) -> web.Response:
    """Open a session on a presentation this client fetched and authenticated."""
    service = _service(request)
    try:
        wanted = msgspec.convert(await read_object(request), SessionOpen)
    except msgspec.ValidationError:
        raise ApiError("bad_request", field="presentation_id") from None
    if not wanted.presentation_id:
        raise ApiError("bad_request", field="presentation_id")
    session = service.open_session(wanted.presentation_id, request[CLIENT].client_id)
    return json_body(msgspec.convert(session.view(service.now()), Session), status=201)


@operations.get("/v1/apcv/sessions/{session_id}",
                "A session: state, seconds left, invoices used and allowed, where the quota "
                "came from",
                Answer(200, Session, "Session"), errors=(404,))
async def get_session(request: web.Request) -> web.Response:
    """A session: state, time left, invoices used and allowed."""
    service = _service(request)
    session = service.session(request.match_info["session_id"], request[CLIENT].client_id)
    return json_body(msgspec.convert(session.view(service.now()), Session))


@operations.post("/v1/apcv/sessions/{session_id}/invoices",
                 "Claim the next invoice before signing it: 409 reauthentication_required once "
                 "the quota is used, 410 session_expired after the session's duration",
                 Answer(201, InvoiceClaimed, "Claimed",
                        links={"session_id": "$response.body#/session/id",
                               "invoice": "$response.body#/invoice"}),
                 errors=(404, 409, 410))
async def claim_invoice(request: web.Request) -> web.Response:
    """Claim the next invoice before signing it: 201, or 409 / 410."""
    service = _service(request)
    invoice, session = service.claim(request.match_info["session_id"],
                                     request[CLIENT].client_id)
    claimed = {"invoice": invoice, "session": session.view(service.now())}
    return json_body(msgspec.convert(claimed, InvoiceClaimed), status=201)


#: The ``{invoice}`` of the path: a session gives out at most ``MAX_INVOICES`` numbers.
INVOICE = Query("invoice", Annotated[int, Meta(ge=1, le=MAX_INVOICES)], where="path",
                description="the invoice's number in the session")


def _invoice_number(request: web.Request) -> int:
    """The ``{invoice}`` of the path (400 naming it when it is not a number a session gives)."""
    return integer(request, INVOICE)


def _changed(service: Any, change: Any) -> web.Response:
    view = {**change.invoice.view(), "session": change.session.view(service.now())}
    return json_body(msgspec.convert(view, InvoiceChanged))


@operations.post("/v1/apcv/sessions/{session_id}/invoices/{invoice}/release",
                 "Give back a claimed invoice whose signature or transmission failed: it no "
                 "longer counts, an exhausted session is open again (event "
                 "`apcv.invoice.released`; the reason is journaled). 409 invoice_confirmed once "
                 "confirmed, 409 invoice_released the second time, 410 session_expired at or "
                 "after the session's end",
                 Answer(200, InvoiceChanged, "Released"), request=InvoiceRelease,
                 errors=(400, 404, 409, 410), query=(INVOICE,))
async def release_invoice(request: web.Request) -> web.Response:
    """Give back a claimed invoice, with a reason from a closed list."""
    service = _service(request)
    number = _invoice_number(request)
    try:
        wanted = msgspec.convert(await read_object(request), InvoiceRelease)
    except msgspec.ValidationError:
        raise ApiError("bad_request", field="reason") from None
    # Journaled with the request, refused or not (the reason is one of a closed list).
    request[AUDIT_DETAIL] = {"invoice": number, "reason": wanted.reason}
    change = service.release(request.match_info["session_id"], request[CLIENT].client_id,
                             number, wanted.reason)
    return _changed(service, change)


@operations.post("/v1/apcv/sessions/{session_id}/invoices/{invoice}/confirm",
                 "Confirm a claimed invoice once it is sent (optional, final: it can no longer "
                 "be released; again: same answer). 409 invoice_released if it was released",
                 Answer(200, InvoiceChanged, "Confirmed"), errors=(400, 404, 409),
                 query=(INVOICE,))
async def confirm_invoice(request: web.Request) -> web.Response:
    """Keep a claimed invoice for good (it was signed and sent)."""
    service = _service(request)
    change = service.confirm(request.match_info["session_id"], request[CLIENT].client_id,
                             _invoice_number(request))
    return _changed(service, change)


@operations.post("/v1/camera/scan",
                 "Start (`{\"on\": true}`) or stop the QR camera when it scans on demand "
                 "(mobile mode); it stops by itself after `[camera] on_demand_timeout_s`",
                 Answer(200, Scanning, "Scanning"), request=CameraScan, errors=(400, 404))
async def camera_scan(request: web.Request) -> web.Response:
    """Start (or stop) the QR camera in on-demand mode: the patient is about to show the app."""
    try:
        wanted = msgspec.convert(await read_object(request), CameraScan)
    except msgspec.ValidationError:
        raise ApiError("bad_request", field="on") from None
    on = True if wanted.on is msgspec.UNSET else wanted.on
    scan = request.app[CONTEXT].scan
    if scan is None or not scan(on):
        raise ApiError("no_camera")
    return json_body(Scanning(on))
