"""The update routes: upload a signed bundle (admin), read where an update stands, reboot into it.

- ``PUT /v1/update``: an admin workstation streams a RAUC bundle
  (:mod:`borne.api.bundle_upload`); the update service vets it (signature, compatible,
  version: a downgrade only with ``?allow_downgrade=true``) before anything is written to a
  slot, answers 202 with its version, and installs it in the background. The uploaded file is
  removed once the install ends, or at once when it is refused.
- ``GET /v1/update``: any paired workstation. What it says (the system's version, the booted
  slot, an install's state and progress, what holds the reboot) is no secret, ``/v1/status``
  shows most of it already, and billing software can warn the pharmacist that the box will
  restart, or why it does not.
- ``POST /v1/update/reboot``: an admin asks for the reboot into the installed slot; it waits
  for the gate (no card being read, no lease, no apCV session, battery not low) unless
  ``force``.

Every request is journaled by the guard with the client's id; an upload adds its size, the
bundle's version and the refusal's code (``AUDIT_DETAIL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from ..errors import BorneError
from .bodies import json_body
from .bundle_upload import BundleInbox, continue_later, receive_bundle
from .context import AUDIT_DETAIL, CONTEXT
from .errors import ApiError
from .guard import require_admin
from .json_input import read_json
from .operation import Answer, Query
from .request_deadline import streams_body
from .routes import operations
from ..update.state import UpdateStatus
from .update_bodies import RebootRequest, UpdateAccepted

__all__ = ["ALLOW_DOWNGRADE"]

#: ``?allow_downgrade=true``: install an older version than the running one (admin's choice).
ALLOW_DOWNGRADE = Query("allow_downgrade", bool, default=False,
                        description="install a version older than the running one")


def _service(request: web.Request) -> Any:
    from ..update.service import update_status

    service = request.app[CONTEXT].updates
    if update_status(service).state == "unavailable":
        raise ApiError("update_unavailable")
    return service


def _ready_for_a_bundle(service: Any) -> None:
    """Refuse before the body is read what the service would refuse after: an install or a
    reboot under way (the upload would be for nothing)."""
    if service.snapshot().state in ("installing", "rebooting"):
        raise ApiError("update_busy")


def _flag(request: web.Request, query: Query) -> bool:
    """A boolean of the query string: ``true`` or ``false`` (400 for anything else)."""
    text = request.query.get(query.name)
    if text is None:
        return bool(query.default)
    if text not in ("true", "false"):
        raise ApiError("bad_request", parameter=query.name, allowed=["true", "false"])
    return text == "true"


async def _received(request: web.Request, inbox: BundleInbox) -> Path:
    """:func:`receive_bundle`; a refusal of its own (no room, busy) is an ``update.refused``
    event too, as the service's are (the screen and the event stream show them)."""
    from ..events import UpdateRefusedEvent

    try:
        return await receive_bundle(request, inbox)
    except ApiError as refused:
        if refused.code.startswith("update_"):
            request.app[CONTEXT].bus.publish(UpdateRefusedEvent(code=refused.code, origin="api"))
        raise


@operations.put(
    "/v1/update",
    "Upload a signed update bundle and install it (admin only): vetted before anything is "
    "written, then installed in the background; `update.progress` events follow",
    Answer(202, UpdateAccepted, "Vetted; installing"), errors=(400, 409, 413, 422, 507),
    request=bytes, request_media="application/octet-stream", query=(ALLOW_DOWNGRADE,),
    expect_handler=continue_later,
    description="The body is the RAUC bundle (`application/octet-stream`), with its "
                "`Content-Length`; refused before it is read when it is over `[update] "
                "max_bundle_mb` (413), when the box has not the room (507 `update_no_space`) or "
                "while another upload or install runs (409 `update_busy`). Then "
                "`update_bad_signature`, `update_invalid_bundle`, `update_wrong_compatible` "
                "(422), `update_downgrade_refused`, `update_battery_low` (409). The reboot into "
                "the new system waits for `POST /v1/update/reboot`.")
@streams_body
async def upload(request: web.Request) -> web.Response:
    """Receive a bundle (admin), have it vetted and installed; 202 with its version."""
    identity = require_admin(request)  # before a byte of the body is read
    allow_downgrade = _flag(request, ALLOW_DOWNGRADE)
    context = request.app[CONTEXT]
    service = _service(request)
    inbox: BundleInbox = context.inbox
    detail = request[AUDIT_DETAIL] = {"bytes": request.content_length,
                                      "allow_downgrade": allow_downgrade}
    try:
        _ready_for_a_bundle(service)
        path = await _received(request, inbox)
        try:
            info = await service.install(path, origin="api", actor=identity.client_id,
                                         allow_downgrade=allow_downgrade)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    except BorneError as refused:
        detail["refused"] = refused.code
        raise
    inbox.remove_after(path, lambda: service.snapshot().state == "installing")
    detail["version"] = info.version
    return json_body(UpdateAccepted(version=info.version, compatible=info.compatible),
                     status=202)


@operations.get("/v1/update",
                "The system's version, booted slot, and where an update stands (any paired "
                "workstation)", Answer(200, UpdateStatus, "Update state"))
async def update_state(request: web.Request) -> web.Response:
    """Where an update stands: version, slot, state, progress, what holds the reboot."""
    from ..update.service import update_status

    return json_body(update_status(request.app[CONTEXT].updates))


@operations.post("/v1/update/reboot",
                 "Reboot into the installed system (admin only): once nothing holds it "
                 "(a card being read, a lease, an apCV session, a low battery), or at once "
                 "with `force`; 409 `update_not_installed` when no update waits for it",
                 Answer(202, UpdateStatus, "Reboot asked for"),
                 request=RebootRequest, errors=(400, 409))
async def reboot(request: web.Request) -> web.Response:
    """Ask for the reboot into the installed slot; the state after asking."""
    identity = require_admin(request)
    body = await read_json(request)
    try:
        wanted = msgspec.convert(body if body is not None else {}, RebootRequest)
    except msgspec.ValidationError as error:
        raise ApiError("bad_request", reason=str(error)[:200]) from None
    service = _service(request)
    request[AUDIT_DETAIL] = {"force": wanted.force}
    if service.snapshot().state not in ("installing", "installed", "rebooting"):
        # The reboot is a tryboot into the other slot: with nothing installed there, it would
        # try whatever that slot holds (an older system, or nothing). (During an install, the
        # service answers update_busy.)
        raise ApiError("update_not_installed", state=service.snapshot().state)
    status = await service.request_reboot(actor=identity.client_id, force=wanted.force)
    return json_body(status, status=202)

