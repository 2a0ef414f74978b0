"""Reading a JSON request body (or an APDU channel message): one helper, depth-bounded.

Every route that takes a JSON body reads it here, so they all refuse the same things the
same way: a body that is not UTF-8, not JSON, or nested deeper than :data:`MAX_DEPTH` is a
``400 bad_request`` with ``details.reason``, never a 500. Nesting is what an attacker
without a certificate can send to the pairing exchange: ``"[" * 5000`` made ``json.loads``
raise ``RecursionError``, which the guard answered 500 with a stack trace in the log.

Why parse first and measure after: ``json.loads`` is C and linear, and its own recursion
guard turns a deep document into ``RecursionError`` (caught here) before the C stack is in
danger; the depth of what it returns is then measured without recursion. A regular
expression that skipped strings to count brackets first would be quadratic on unclosed
strings. The API's bodies are flat (three levels at most), so the bound is generous.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import ApiError

__all__ = ["MAX_DEPTH", "JsonRefused", "loads_bounded", "read_json", "read_object"]

#: Deepest nesting of arrays and objects accepted (a scalar is depth 0, ``[]`` depth 1).
MAX_DEPTH = 32


class JsonRefused(ValueError):
    """Text that is not JSON, or JSON nested deeper than :data:`MAX_DEPTH`."""


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and dicts (at most :data:`MAX_DEPTH` + 1), without
    recursion: one level of containers at a time."""
    depth, level = 0, [value]
    while depth <= MAX_DEPTH:
        containers = [item for item in level if isinstance(item, (list, dict))]
        if not containers:
            break
        depth += 1
        level = [child for item in containers
                 for child in (item.values() if isinstance(item, dict) else item)]
    return depth


def loads_bounded(text: str | bytes) -> Any:
    """``json.loads`` that refuses deep nesting: :class:`JsonRefused` (a ``ValueError``) for
    text that is not UTF-8 JSON or nests deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonRefused("body is nested too deeply") from None
    except (ValueError, TypeError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise JsonRefused("body is not JSON") from None
    opening = ("[", "{") if isinstance(text, str) else (b"[", b"{")
    # A body with few brackets cannot be deep (most of them): no walk.
    if sum(text.count(b) for b in opening) > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise JsonRefused("body is nested too deeply")
    return value


async def read_json(request: web.Request, **details: Any) -> Any:
    """The request's body as JSON (UTF-8, whatever charset it claims); else ``ApiError``
    ``bad_request`` with ``details.reason`` and the caller's ``details`` (e.g. ``required``)."""
    raw = await request.read()
    try:
        return loads_bounded(raw)
    except JsonRefused as refused:
        raise ApiError("bad_request", reason=str(refused), **details) from None


async def read_object(request: web.Request) -> dict[str, Any]:
    """:func:`read_json`, which must be a JSON object (``reason``: "body is not a JSON object")."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError("bad_request", reason="body is not a JSON object")
    return body
