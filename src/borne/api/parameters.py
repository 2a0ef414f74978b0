"""Integers a request carries, read against their declaration: one bound for document and box.

An operation declares each integer parameter once (:class:`borne.api.operation.Query` with
``Annotated[int, Meta(ge=..., le=...)]``): the OpenAPI document shows those bounds, and
:func:`integer` refuses anything else with ``400 bad_request`` whose ``details`` name the one
parameter and what it allows::

    {"parameter": "after", "type": "integer", "minimum": 0, "maximum": 9223372036854775807}

Only ASCII digits with an optional minus sign are an integer here: Python's ``int()`` also
takes ``" 5"``, ``"+5"``, ``"1_000"`` or ``"٣"``, which the document does not allow. The
bounds are checked before a number reaches SQLite, whose INTEGER is signed 64-bit (a larger
one is an ``OverflowError`` there, which was a 500).

A JSON body's integers (:func:`whole_number`) follow JSON Schema's rule instead: ``270.0`` is
the integer 270, ``270.5`` and ``true`` are not integers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args

from aiohttp import web
from msgspec import UNSET, Meta

from .errors import ApiError
from .operation import Query

__all__ = ["MAX_SQLITE_INTEGER", "Seq", "bounds", "integer", "whole_number"]

#: The largest integer SQLite stores (INTEGER is signed 64-bit).
MAX_SQLITE_INTEGER = 2**63 - 1
#: A sequence number: of the audit journal, of the offline journal (both in SQLite), of an event.
Seq = Annotated[int, Meta(ge=0, le=MAX_SQLITE_INTEGER)]

_INTEGER = re.compile(r"-?[0-9]+")


def bounds(declared: Any) -> tuple[int | None, int | None]:
    """``(minimum, maximum)`` of ``Annotated[int, Meta(ge=..., le=...)]`` (None: no bound)."""
    low = high = None
    for meta in get_args(declared)[1:]:
        if isinstance(meta, Meta):
            low = meta.ge if meta.ge is not None else low
            high = meta.le if meta.le is not None else high
    return low, high


def _raw(request: web.Request, declared: Query) -> str | None:
    if declared.where == "path":
        return request.match_info.get(declared.name)
    if declared.where == "header":
        return request.headers.get(declared.name)
    return request.query.get(declared.name)


def _refused(declared: Query, low: int | None, high: int | None) -> ApiError:
    allowed = {key: value for key, value in (("minimum", low), ("maximum", high))
               if value is not None}
    return ApiError("bad_request", parameter=declared.name, type="integer", **allowed)


def integer(request: web.Request, declared: Query) -> int | None:
    """The integer parameter ``declared`` of ``request``: its default when it is not there,
    else a 400 naming it (and its bounds) unless it is an integer within them."""
    raw = _raw(request, declared)
    if raw is None:
        return None if declared.default is UNSET else declared.default
    low, high = bounds(declared.type)
    # Digits past the 19th are beyond any bound here, and int() of thousands of digits is slow.
    if not _INTEGER.fullmatch(raw) or len(raw.lstrip("-").lstrip("0")) > 19:
        raise _refused(declared, low, high)
    value = int(raw)
    if (low is not None and value < low) or (high is not None and value > high):
        raise _refused(declared, low, high)
    return value


def whole_number(value: object, low: int, high: int) -> int | None:
    """``value`` (from a JSON body) as an integer within ``low..high``, else None.

    JSON Schema's integers: ``270`` and ``270.0`` are, ``270.5``, ``true`` and ``"270"`` are not.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    if not low <= value <= high:
        return None
    return int(value)
