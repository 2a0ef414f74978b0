"""``GET /v1/events``: the event stream as Server-Sent Events.

Each event is sent as ``id: <seq>``, ``event: <type>``, ``data: <json>``. A client
resumes with ``Last-Event-ID`` (or ``?after=SEQ``) from the bus's history (2048
events). If what it asks for is older than the history, it first gets a
``stream.gap`` event saying from where events were lost. A comment line is sent
every ``heartbeat_s`` seconds so idle connections (and the proxies between) stay
alive. Each stream has a bounded queue: a client too slow to keep up gets a final
``stream.overflow`` event with the sequence number to resume after, and is cut
off, never stalling the box. A revoked client's streams end at once. The ``message`` of
an event that has one (``card.error``, ``capture.error``) is in the stream's language:
French, or English with ``Accept-Language: en`` (the box's language setting otherwise).
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from ..events.wire import in_language
from .context import CLIENT, CONTEXT
from .errors import language_of
from .parameters import integer
from .routes import EVENTS_AFTER, LAST_EVENT_ID, routes

__all__ = ["events"]


def _frame(seq: int | None, type_: str, data: dict) -> bytes:
    head = f"id: {seq}\n" if seq is not None else ""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {type_}\ndata: {body}\n\n".encode()


#: A client that does not take a frame within this time is cut off.
WRITE_TIMEOUT_S = 10.0


async def _write(response: web.StreamResponse, frame: bytes) -> None:
    await asyncio.wait_for(response.write(frame), WRITE_TIMEOUT_S)


def _resume_point(request: web.Request) -> int | None:
    """Where to resume: ``Last-Event-ID``, else ``?after=``; a refusal names the one used.
    (An empty ``Last-Event-ID`` is no id, as an SSE client's own empty one is.)"""
    if request.headers.get(LAST_EVENT_ID.name):
        return integer(request, LAST_EVENT_ID)
    return integer(request, EVENTS_AFTER)


@routes.get("/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Stream events; see the module docstring."""
    context = request.app[CONTEXT]
    identity = request[CLIENT]
    # An event's message (card.error, capture.error) in the stream's language, as errors are.
    language = language_of(request, context.language)
    after = _resume_point(request)
    history = context.bus.history()
    # Beyond the last event: the box restarted (sequence numbers start again) or the id is not
    # its own. Never a silent wait for a number that may not come: a gap, then all it holds.
    ahead = after is not None and after > context.bus.last_seq
    subscription = context.bus.subscribe(after=0 if ahead else after, maxsize=context.sse_queue)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.subscription = subscription  # type: ignore[attr-defined]
    response.revoked = False  # type: ignore[attr-defined]
    context.streams.setdefault(identity.client_id, set()).add(response)
    try:
        await response.prepare(request)
        if ahead or (after is not None and history and after < history[0].seq - 1):
            resumes_at = history[0].seq if history else context.bus.last_seq + 1
            await _write(response, _frame(None, "stream.gap", {"lost_after": after,
                                                             "resumes_at": resumes_at}))
        last = 0 if ahead else after or 0
        while True:
            try:
                event = await asyncio.wait_for(subscription.get(), context.heartbeat_s)
            except asyncio.TimeoutError:
                await _write(response, b": heartbeat\n\n")
                continue
            if event is None:
                break
            await _write(response, _frame(event.seq, event.type,
                                          in_language(event.wire_data, language)))
            last = event.seq
        if subscription.overflowed:
            await _write(response, _frame(None, "stream.overflow", {"resume_after": last}))
        elif response.revoked:  # type: ignore[attr-defined]
            await _write(response, _frame(None, "stream.revoked", {}))
    except (ConnectionResetError, asyncio.TimeoutError, asyncio.CancelledError):
        pass
    finally:
        subscription.close()
        context.streams.get(identity.client_id, set()).discard(response)
    return response
