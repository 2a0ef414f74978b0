"""The pairing exchange: the only endpoints reachable without a client certificate.

Two steps of SPAKE2 bound to the code shown on the box (see
:mod:`borne.secure_channel.pairing`): the workstation proves it knows the code
without sending it, and the box proves the same when it returns the CA and
the workstation's new certificate, so a machine in the middle without the code
can neither obtain a certificate nor pass its own CA off as the box's.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
from typing import Any

from aiohttp import web

from .context import CONTEXT
from .errors import ApiError
from .routes import routes

__all__: list[str] = []


async def _body(request: web.Request, *fields: str) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError("bad_request", reason="body is not JSON") from None
    if not isinstance(body, dict) or any(not isinstance(body.get(f), str) for f in fields):
        raise ApiError("bad_request", required=list(fields))
    return body


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("bad_request", field=field) from None


@routes.post("/v1/pairing/start")
async def pairing_start(request: web.Request) -> web.Response:
    """SPAKE2 first message in, the box's message and a session id out."""
    body = await _body(request, "client_msg")
    pairing = request.app[CONTEXT].pairing
    # SPAKE2 is pure-Python arithmetic (tens of ms on a Pi): keep it off the event loop.
    # Its refusals (pairing_*) reach the guard, which answers each code with its status.
    session, server_msg = await asyncio.to_thread(
        pairing.start, _b64(body["client_msg"], "client_msg"))
    return web.json_response({"session": session,
                              "server_msg": base64.b64encode(server_msg).decode()})


@routes.post("/v1/pairing/complete")
async def pairing_complete(request: web.Request) -> web.Response:
    """CSR + workstation name + proof in; certificate, CA and the box's proof out."""
    body = await _body(request, "session", "csr", "name", "mac")
    context = request.app[CONTEXT]
    name = body["name"]
    # Refused rather than cleaned: the proof covers the name exactly as sent.
    if not 1 <= len(name) <= 64 or not name.isprintable() or name != name.strip():
        raise ApiError("bad_request", field="name")
    client_id = f"ws-{secrets.token_hex(6)}"

    def issue(csr_pem: bytes, workstation: str) -> tuple[bytes, bytes]:
        from cryptography.hazmat.primitives.serialization import Encoding

        certificate = context.ca.issue_client_cert(csr_pem, client_id=client_id, name=workstation,
                                                   admin=context.pairing_admin)
        context.clients.add_certificate(certificate, client_id=client_id, name=workstation)
        return certificate.public_bytes(Encoding.PEM), context.ca.cert_pem

    cert_pem, ca_pem, box_mac = await asyncio.to_thread(
        context.pairing.complete, body["session"], body["csr"].encode(), name,
        _b64(body["mac"], "mac"), issue)
    context.pairing_admin = False
    context.bus.publish("pairing.completed", {"client_id": client_id})
    return web.json_response({"client_id": client_id, "certificate": cert_pem.decode(),
                              "ca": ca_pem.decode(), "mac": base64.b64encode(box_mac).decode()},
                             status=201)
