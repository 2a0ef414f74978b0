"""aiohttp's HTTP/1.1 connection handler, answering malformed requests in the API's error shape.

A request aiohttp cannot parse (a header line over the limit, too many headers,
a broken request line, a bad chunk) never reaches the application or its
middleware: aiohttp answers it from ``RequestHandler.handle_error``, in
``text/plain``, and logs the exception, whose text quotes the first 100 bytes of
the refused line. ``handle_error`` is the documented override point; this
subclass answers ``{"error", "message", "details"}`` instead, and logs the
client's address and the kind of problem, never the bytes it sent.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong

from .errors import error_response
from .statuses import http_status

__all__ = ["JsonErrorRequestHandler"]

log = logging.getLogger("borne.api")


def _error_code(status: int, exc: BaseException | None) -> tuple[str, str]:
    """(stable code, what went wrong) for a request aiohttp refused."""
    if status >= 500:
        return "internal_error", "handler failure"
    if isinstance(exc, LineTooLong) or "Too many headers" in str(exc):
        return "header_too_large", "header too large"
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return "payload_too_large", "body too large"
    if isinstance(exc, BadHttpMethod):
        return "bad_request", "not an HTTP request"
    return "bad_request", "malformed HTTP request"


class JsonErrorRequestHandler(web.RequestHandler):
    """A :class:`aiohttp.web.RequestHandler` whose parser errors use the API's error shape.

    ``language`` is the box's default (the request's own ``Accept-Language`` may
    be the header that could not be read).
    """

    def __init__(self, manager: web.Server, *, language: str = "fr", **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._language = language

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        code, what = _error_code(status, exc)
        if request.writer.output_size > 0:  # a response is already under way: nothing to add
            raise ConnectionError("response already started")
        log.warning("HTTP request refused from %s: %s (%s)", request.remote, what, code)
        response = error_response(http_status(code), code, self._language)
        response.force_close()
        return response
