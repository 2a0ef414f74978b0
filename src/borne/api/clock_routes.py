"""``POST /v1/clock``: a paired workstation tells a box that has no NTP what time it is.

Any paired (not revoked) workstation may, not only an admin one, because:

- the box takes it only while NTP has not synchronised its clock (409
  ``clock_synchronised`` otherwise), and NTP, once it comes, overrides it: a
  workstation can never replace a trustworthy clock;
- it changes no order: every record also carries the monotonic time and the boot
  id, and says where its wall time came from (``wall_synced``, ``source``);
- the workstation that collects a nurse's offline journal is the one that should
  stamp it, and it is normally an ordinary paired client; asking for admin
  would push deployments to give it the power to revoke the others too;
- every setting is in the audit journal (who, and by how much the clock moved),
  besides the request itself;
- it never sends the clock back: a time more than a minute before the latest the box
  has known (kept across reboots, :mod:`borne.runtime.last_known_time`) is refused
  (409 ``clock_before_last_known``), one within that minute keeps the clock as it is;
- it moves the clock forward a bounded way: at most ``CLIENT_MAX_AHEAD_S`` (10 days) ahead of
  the time the box trusted first in this run plus the time run since, however many steps
  (409 ``clock_too_far_ahead``); only an admin workstation may go further (a box that was
  off for months), up to the plausibility bound. Retention does not depend on it: records'
  ages are counted on clocks no workstation can move (:mod:`borne.journal.retention`);
- each try, refused or not, is in the audit journal with the box's time before and the time
  asked (``before``, ``asked``), and ``offset_s`` when taken.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import msgspec
from aiohttp import web

from .. import events
from ..runtime.clock import CLIENT_MAX_AHEAD_S
from .bodies import ClockSet, ClockSetResult, json_body
from .context import AUDIT_DETAIL, CLIENT, CONTEXT
from .errors import ApiError
from .json_input import read_json
from .operation import Answer
from .routes import operations

__all__: list[str] = []


def _parse_utc(body: Any) -> datetime:
    try:
        value = msgspec.convert(body, ClockSet).utc
    except msgspec.ValidationError:
        raise ApiError("bad_request", field="utc") from None
    try:
        when = datetime.fromisoformat(value)  # "Z" is read as UTC from Python 3.11 on
    except ValueError:
        raise ApiError("bad_request", field="utc", reason="not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise ApiError("bad_request", field="utc", reason="no time zone (add Z)")
    return when


@operations.post(
    "/v1/clock",
    "Tell the box the time while NTP has not synchronised it (any paired workstation; "
    "journaled). Kept as an offset on the box's monotonic clock (`/v1/status` clock source "
    "`client`) until NTP takes over; `offset_s` is how far the clock moved. It never goes "
    "back: 409 clock_before_last_known for a time more than 60 s before the latest the box "
    "has known (`details.last_known`, `behind_s`), and a time within those 60 s keeps the "
    "clock (`offset_s` 0). 409 clock_too_far_ahead more than 10 days after the time the box "
    "trusted first since it started, plus the time run since (`details.latest`, `ahead_s`; "
    "an admin workstation may go further). 409 clock_synchronised once NTP has; 400 "
    "clock_implausible before the box's build date or more than 20 years after it",
    Answer(200, ClockSetResult, "Set"), request=ClockSet, errors=(400, 409))
async def set_clock(request: web.Request) -> web.Response:
    """Set the box's wall clock from a paired workstation while NTP has not."""
    context = request.app[CONTEXT]
    body = await read_json(request)
    clock = context.core.clock
    known = context.last_known
    utc, identity = _parse_utc(body), request[CLIENT]
    request[AUDIT_DETAIL] = {"before": clock.wall().iso,
                             "asked": utc.isoformat(timespec="milliseconds")}
    bounded = known is not None and not identity.admin
    change = clock.set_client_time(  # ClockRefused: 400 / 409
        utc, not_before=known.value if known is not None else None,
        not_after=known.latest_allowed(clock.monotonic(), CLIENT_MAX_AHEAD_S) if bounded
        else None)
    request[AUDIT_DETAIL]["offset_s"] = round(change.offset_s, 3)
    if known is not None:  # kept at once: a reboot must not forget the time just given
        known.note(clock.time(), clock.source)
        known.anchor(clock.time(), clock.source, clock.monotonic())
        await asyncio.to_thread(known.save)
    client_id = identity.client_id
    await context.audit.arecord(client_id=client_id, action="clock.set", resource="/v1/clock",
                                status=200, detail=change.event_data())
    context.bus.publish(events.ClockSet(**change.event_data()))
    wall = clock.wall()
    return json_body(ClockSetResult(wall.iso, wall.synchronised, wall.source,
                                    round(change.offset_s, 3)))
