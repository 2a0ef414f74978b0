"""Each route's documentation, declared with its handler: the paths of the OpenAPI document.

A route module declares an operation where it defines the handler::

    @operations.get("/v1/readers/{slot_id}", "One slot", Answer(200, Slot, "Slot"),
                    errors=(404,))
    async def reader(request): ...

which registers the handler with aiohttp (as ``routes.get`` would) and records the
summary, the request and response bodies (msgspec structs, see :mod:`borne.api.bodies`)
and the error statuses. :func:`borne.api.openapi.document` builds the paths from
these records; a path's ``{parameters}`` are documented from the template itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from msgspec import UNSET

__all__ = ["Answer", "OneOf", "Operation", "OperationTable", "Query"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Answer:
    """The answer of an operation that succeeds: its status, what it carries and its words.

    ``body`` is a msgspec struct, ``str`` or ``dict`` (any text, any object), the name of
    a schema declared by hand (:data:`borne.api.card_schemas.CARD_SCHEMAS`), or None
    (no body: a WebSocket's 101).
    """

    status: int
    body: Any
    text: str
    media: str = "application/json"


@dataclass(frozen=True)
class Query:
    """A query parameter: its name, its type (``Annotated`` with ``Meta`` for bounds) and the
    default the document shows (none by default)."""

    name: str
    type: Any
    default: Any = UNSET


@dataclass(frozen=True)
class OneOf:
    """A body that is one of several structs, under one name in the document."""

    name: str
    choices: tuple[type, ...]


@dataclass(frozen=True)
class Operation:
    """One operation of the API, as the OpenAPI document describes it.

    ``errors`` are the statuses it answers with the error shape, besides 401 and 403
    which every operation but a ``public`` one (reachable without a client
    certificate) may answer. ``request`` is the body it reads (a struct or a
    :class:`OneOf`), ``request_required`` whether it must be there.
    """

    method: str
    path: str
    summary: str
    answer: Answer
    errors: tuple[int, ...] = ()
    request: Any = None
    request_required: bool = True
    query: tuple[Query, ...] = ()
    description: str | None = None
    public: bool = False


class OperationTable:
    """The API's operations, each recorded as its handler is registered in ``routes`` (an
    aiohttp ``RouteTableDef``): one declaration for the server and its document."""

    def __init__(self, routes: web.RouteTableDef) -> None:
        self.routes = routes
        self._operations: list[Operation] = []

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._operations)

    def declare(self, method: str, path: str, summary: str, answer: Answer,
                **more: Any) -> Operation:
        """Record an operation whose handler is registered elsewhere (the event stream's)."""
        operation = Operation(method.upper(), path, summary, answer, **more)
        self._operations.append(operation)
        return operation

    def route(self, method: str, path: str, summary: str, answer: Answer,
              **more: Any) -> Callable[[Handler], Handler]:
        """Register the decorated handler for ``method path`` and record its operation."""
        self.declare(method, path, summary, answer, **more)
        return self.routes.route(method.upper(), path)

    def get(self, path: str, summary: str, answer: Answer,
            **more: Any) -> Callable[[Handler], Handler]:
        """:meth:`route` for GET."""
        return self.route("GET", path, summary, answer, **more)

    def post(self, path: str, summary: str, answer: Answer,
             **more: Any) -> Callable[[Handler], Handler]:
        """:meth:`route` for POST."""
        return self.route("POST", path, summary, answer, **more)

    def put(self, path: str, summary: str, answer: Answer,
            **more: Any) -> Callable[[Handler], Handler]:
        """:meth:`route` for PUT."""
        return self.route("PUT", path, summary, answer, **more)

    def delete(self, path: str, summary: str, answer: Answer,
               **more: Any) -> Callable[[Handler], Handler]:
        """:meth:`route` for DELETE."""
        return self.route("DELETE", path, summary, answer, **more)
