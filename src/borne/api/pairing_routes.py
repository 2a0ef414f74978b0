"""The pairing exchange: the only endpoints reachable without a client certificate.

Two steps of SPAKE2 bound to the code shown on the box (see
:mod:`borne.secure_channel.pairing`): the workstation proves it knows the code
without sending it, and the box proves the same when it returns the CA and
the workstation's new certificate and client id (``answer_mac``), so a machine in
the middle without the code can neither obtain a certificate nor pass its own CA
off as the box's, nor change the client id the workstation keeps. The window's
limits count per source address (:func:`_source`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
from typing import Any

import msgspec
from aiohttp import web

from .. import events
from .admission import peer_address
from .bodies import json_body
from .context import CONTEXT
from .errors import ApiError
from .flow_bodies import PairingComplete, PairingCompleted, PairingStart, PairingStarted
from .json_input import read_json
from .operation import Answer
from .routes import operations

__all__: list[str] = []


async def _body(request: web.Request, kind: type[msgspec.Struct]) -> Any:
    """The request's ``kind`` of body. Every field of a pairing body is a string: one that is
    missing or of another type is ``required``; then its own limits say which ``field``."""
    fields = list(kind.__struct_fields__)
    body = await read_json(request)
    if not isinstance(body, dict) or any(not isinstance(body.get(f), str) for f in fields):
        raise ApiError("bad_request", required=fields)
    try:
        return msgspec.convert(body, kind)
    except msgspec.ValidationError as error:  # "Expected `str` of length <= 64 - at `$.name`"
        field = re.search(r"\$\.(\w+)", str(error))
        raise ApiError("bad_request", **({"field": field.group(1)} if field
                                         else {"required": fields})) from None


def _source(request: web.Request) -> str:
    """Where an exchange comes from, for the pairing window's per-address limits: the peer's
    exact address. Never an IPv6 prefix (:func:`~borne.api.admission.address_key`): the
    workstation shares the LAN's /64 with any attacker on it."""
    return peer_address(request.remote or "unknown")


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("bad_request", field=field) from None


@operations.post(
    "/v1/pairing/start",
    "Pairing step 1 (no client certificate): SPAKE2 with the code shown on the box",
    Answer(200, PairingStarted, "Started"), request=PairingStart, errors=(400, 409, 429),
    public=True)
async def pairing_start(request: web.Request) -> web.Response:
    """SPAKE2 first message in, the box's message and a session id out."""
    body = await _body(request, PairingStart)
    pairing = request.app[CONTEXT].pairing
    # SPAKE2 is pure-Python arithmetic (tens of ms on a Pi): keep it off the event loop.
    # Its refusals (pairing_*) reach the guard, which answers each code with its status.
    session, server_msg = await asyncio.to_thread(
        pairing.start, _b64(body.client_msg, "client_msg"), _source(request))
    return json_body(PairingStarted(session, base64.b64encode(server_msg).decode()))


@operations.post(
    "/v1/pairing/complete",
    "Pairing step 2: CSR + proof of the code; certificate + CA + the box's proof",
    Answer(201, PairingCompleted, "Paired"), request=PairingComplete, errors=(400, 403, 409),
    public=True)
async def pairing_complete(request: web.Request) -> web.Response:
    """CSR + workstation name + proof in; certificate, CA and the box's proof out."""
    body = await _body(request, PairingComplete)  # the name's length: field "name"
    context = request.app[CONTEXT]
    name = body.name
    client_id = f"ws-{secrets.token_hex(6)}"

    def issue(csr_pem: bytes, workstation: str) -> tuple[bytes, bytes]:
        from cryptography.hazmat.primitives.serialization import Encoding

        # Refused rather than cleaned: the proof covers the name exactly as sent. Checked once
        # the proof is (the document's pattern is all JSON Schema can say of "printable"), so a
        # name the pattern allows is never refused before the window and the session are.
        if not workstation.isprintable() or workstation != workstation.strip():
            raise ApiError("bad_request", field="name")
        certificate = context.ca.issue_client_cert(csr_pem, client_id=client_id, name=workstation,
                                                   admin=context.pairing_admin)
        context.clients.add_certificate(certificate, client_id=client_id, name=workstation)
        return certificate.public_bytes(Encoding.PEM), context.ca.cert_pem

    done = await asyncio.to_thread(
        context.pairing.complete, body.session, body.csr.encode(), name,
        _b64(body.mac, "mac"), issue, client_id=client_id)
    context.pairing_admin = False
    context.bus.publish(events.PairingCompleted(client_id=client_id))
    return json_body(PairingCompleted(client_id, done.cert_pem.decode(), done.ca_pem.decode(),
                                      base64.b64encode(done.box_mac).decode(),
                                      base64.b64encode(done.answer_mac).decode()), status=201)
