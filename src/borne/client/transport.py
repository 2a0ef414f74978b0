"""One HTTP exchange with a box, bounded: its answer whole, or a :class:`~borne.client.errors.BoxError`.

httpx's timeouts bound each step (connect, each read), not the whole: a server that
sends one byte every few seconds, or ten gigabytes, would hold a workstation's
command for ever or fill its memory. :func:`exchange` reads the answer itself,
within a deadline and up to a size, and translates every failure on the way
(:func:`~borne.client.errors.transport_failure`).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx

from .errors import box_failure, transport_failure

__all__ = ["DEADLINE_S", "MAX_ANSWER_BYTES", "answer_json", "answer_field", "exchange"]

#: Longest a whole request may take, answer included (a journal page on a phone's hotspot).
DEADLINE_S = 60.0
#: Largest answer read: a page of 1000 journal records with 4 KB payloads is about 10 MB.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Headers describing the bytes on the wire, not the body handed on (already decoded).
_WIRE_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


async def exchange(http: httpx.AsyncClient, method: str, url: str, *, box: str, language: str,
                   deadline_s: float = DEADLINE_S, max_bytes: int = MAX_ANSWER_BYTES,
                   **options: Any) -> httpx.Response:
    """``method url`` on ``http``: the response with its body read. ``box`` names the box in errors."""
    try:
        async with asyncio.timeout(deadline_s):
            async with http.stream(method, url, **options) as streamed:
                body = bytearray()
                async for chunk in streamed.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise box_failure("box_answer_invalid", box, language,
                                          reason=f"answer over {max_bytes} bytes")
    except (httpx.HTTPError, OSError, ssl.SSLError, TimeoutError) as error:
        raise transport_failure(error, box, language) from None
    except ExceptionGroup as group:  # anyio's task groups (a port out of range...)
        raise transport_failure(group, box, language) from None
    headers = [(name, value) for name, value in streamed.headers.multi_items()
               if name.lower() not in _WIRE_HEADERS]
    return httpx.Response(streamed.status_code, headers=headers, content=bytes(body),
                          request=streamed.request)


def answer_json(response: httpx.Response, *, box: str, language: str) -> dict[str, Any]:
    """The JSON object of a successful answer (every answer of a box is one), or
    ``box_answer_invalid``: a server that is not a box."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise box_failure("box_answer_invalid", box, language,
                          reason=f"HTTP {response.status_code}, not a JSON object")
    return body


def answer_field(body: Any, name: str, *, box: str, language: str) -> Any:
    """``body[name]`` of a JSON object, or ``box_answer_invalid`` when it is not there."""
    if isinstance(body, dict) and name in body:
        return body[name]
    raise box_failure("box_answer_invalid", box, language, reason=f"no {name!r} in the answer")
