"""Each route's documentation, declared with its handler: the paths of the OpenAPI document.

A route module declares an operation where it defines the handler::

    @operations.get("/v1/readers/{slot_id}", "One slot", Answer(200, Slot, "Slot"),
                    errors=(404,))
    async def reader(request): ...

which registers the handler with aiohttp (as ``routes.get`` would) and records the
summary, the request and response bodies (msgspec structs, see :mod:`borne.api.bodies`)
and the error statuses. :func:`borne.api.openapi.document` builds the paths from
these records; a path's ``{parameters}`` are documented from the template itself (strings),
unless the operation declares one (``query=(Query("invoice", ..., where="path"),)``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from msgspec import UNSET

__all__ = ["Answer", "OneOf", "Operation", "OperationTable", "Query"]

#: Where a parameter is read: the query string, a segment of the path, or a header.
Where = Literal["query", "path", "header"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: A path parameter with aiohttp's pattern: ``{name:regex}``.
_PATTERN = re.compile(r"\{(\w+):[^{}]*\}")


@dataclass(frozen=True)
class Answer:
    """The answer of an operation that succeeds: its status, what it carries and its words.

    ``body`` is a msgspec struct, ``str`` or ``dict`` (any text, any object), the name of
    a schema declared by hand (:data:`borne.api.card_schemas.CARD_SCHEMAS`), or None
    (no body: a WebSocket's 101). Its example is the one :data:`borne.api.examples.EXAMPLES`
    has under its name, or ``example`` (a body with no name). ``links`` says which path
    parameters the answer gives, e.g. ``{"lease_id": "$response.body#/lease_id"}``: the
    document links it to every operation whose path has one of them (OpenAPI links).
    """

    status: int
    body: Any
    text: str
    media: str = "application/json"
    example: Any = UNSET
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """A parameter: its name, its type (``Annotated`` with ``Meta`` for bounds: the same
    declaration bounds the document and the check, :mod:`borne.api.parameters`), the default
    the document shows (none by default), where it is read (the query string by default; a
    path parameter not declared is a string) and its words."""

    name: str
    type: Any
    default: Any = UNSET
    where: Where = "query"
    description: str | None = None


@dataclass(frozen=True)
class OneOf:
    """A body that is one of several structs, under one name in the document."""

    name: str
    choices: tuple[type, ...]


@dataclass(frozen=True)
class Operation:
    """One operation of the API, as the OpenAPI document describes it.

    ``errors`` are the statuses its own refusals answer with the error shape; those the
    box's rules add to every operation (401, 403, 405, 413, 431, 500, 507) the document adds
    itself (:func:`borne.api.openapi._error_statuses`). ``public``: reachable without a client
    certificate. ``request`` is the body it reads (a struct or a :class:`OneOf`),
    ``request_required`` whether it must be there, ``request_media`` its media type (``bytes``
    as ``application/octet-stream``: a file, e.g. an update bundle). ``query`` declares its parameters
    (:class:`Query`: of the query string, the path or the headers).
    """

    method: str
    path: str
    summary: str
    answer: Answer
    errors: tuple[int, ...] = ()
    request: Any = None
    request_required: bool = True
    request_media: str = "application/json"
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

    def route(self, method: str, path: str, summary: str, answer: Answer, *,
              expect_handler: Callable[[web.Request], Awaitable[None]] | None = None,
              **more: Any) -> Callable[[Handler], Handler]:
        """Register the decorated handler for ``method path`` and record its operation.

        A path parameter may carry aiohttp's pattern, ``{client_id:(?!me$)[^/]+}``: the route
        matches only that, the document shows ``{client_id}`` (as aiohttp's ``canonical``).
        ``expect_handler``: aiohttp's, for ``Expect: 100-continue`` (by default it answers 100
        before any check; an upload defers it until the body is wanted)."""
        self.declare(method, _PATTERN.sub(r"{\1}", path), summary, answer, **more)
        options = {"expect_handler": expect_handler} if expect_handler is not None else {}
        return self.routes.route(method.upper(), path, **options)

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
