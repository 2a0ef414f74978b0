"""Collecting the offline journal: a workstation fetches its own records, then acknowledges them.

1. ``GET /v1/journal?after=SEQ&limit=N``: the caller's records with ``seq > after``,
   oldest first (at most ``limit``, 1 to 1000, default 100). Each is the header's
   exact bytes (``header``, the envelope's associated data) and the envelope
   (``envelope_b64``), plus the header's fields in clear for convenience, and the box's
   signature of the record (``signature_b64``, :mod:`borne.journal.signature`; null for a
   record written before signatures). Only records sealed for the calling workstation are
   ever listed.
2. ``POST /v1/journal/ack`` with ``{"seqs": [...]}`` (up to 1000) or ``{"up_to": SEQ}``:
   deletes them. All or nothing: one seq that is not the caller's (unknown, or
   another workstation's) refuses the whole request with ``404
   journal_record_unknown`` (``details.unknown``). Acknowledging a record again
   (the first answer was lost) succeeds and counts it in ``already_acked``.

An interrupted collection resumes with ``after`` = the last seq received; records
stay on the box until acknowledged (or until ``[journal] retention_days``).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

import msgspec
from aiohttp import web
from msgspec import Meta

from .bodies import json_body
from .context import CLIENT, CONTEXT
from .errors import ApiError
from .flow_bodies import AckSeqs, AckUpTo, Journal, JournalAcked
from .json_input import read_json
from .operation import Answer, OneOf, Query
from .parameters import MAX_SQLITE_INTEGER, Seq, integer, whole_number
from .routes import operations

__all__: list[str] = []

#: Most records per page, and most seqs per acknowledgement.
MAX_PAGE = 1000
#: What ``POST /v1/journal/ack`` reads. Documentation only: :func:`_ack_body` checks it
#: by hand, to keep its precise refusals (which field, and why) and accept any positive seq.
JOURNAL_ACK = OneOf("JournalAck", (AckSeqs, AckUpTo))


def _service(request: web.Request) -> Any:
    service = request.app[CONTEXT].journal
    if service is None or not service.available:
        raise ApiError("journal_unavailable")
    return service


#: ``?after=`` and ``?limit=`` of GET /v1/journal: read by the handler, shown by the document.
AFTER = Query("after", Seq, default=0, description="records with a greater `seq`")
LIMIT = Query("limit", Annotated[int, Meta(ge=1, le=MAX_PAGE)], default=100,
              description="at most this many records")


def _peer_pem(request: web.Request) -> bytes | None:
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return None
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


@operations.get(
    "/v1/journal",
    "The offline journal: your waiting records (sealed for you only), oldest first; resume "
    "with `after` = the last seq you received",
    Answer(200, Journal, "Records"), errors=(400, 503), query=(AFTER, LIMIT))
async def journal(request: web.Request) -> web.Response:
    """The calling workstation's waiting records, oldest first."""
    service = _service(request)
    identity = request[CLIENT]
    after = integer(request, AFTER)
    limit = integer(request, LIMIT)
    pem = _peer_pem(request)
    if pem is not None:  # a workstation paired before the journal: seal for it from now on
        await service.remember_certificate(identity.client_id, identity.serial, pem)
    # A JournalError reaches the guard, which answers its code with the code's status.
    records, waiting = await service.collect(identity.client_id, after=after, limit=limit)
    items = [{**record.header.to_dict(), "header": record.header_bytes.decode("ascii"),
              "envelope_b64": base64.b64encode(record.envelope).decode("ascii"),
              "signature_b64": (base64.b64encode(record.signature).decode("ascii")
                                if record.signature is not None else None)}
             for record in records]
    return json_body(msgspec.convert({"records": items, "waiting": waiting}, Journal),
                     headers={"Cache-Control": "no-store"})


def _ack_body(body: Any) -> tuple[list[int] | None, int | None]:
    if not isinstance(body, dict) or len(body) != 1 or not ({"seqs", "up_to"} & set(body)):
        raise ApiError("bad_request", reason='one of {"seqs": [...]} or {"up_to": SEQ}')
    seqs, up_to = body.get("seqs"), body.get("up_to")
    if "seqs" in body:
        wanted = ([whole_number(s, 1, MAX_SQLITE_INTEGER) for s in seqs]
                  if isinstance(seqs, list) else [])
        if not 1 <= len(wanted) <= MAX_PAGE or None in wanted:
            raise ApiError("bad_request", field="seqs", reason=f"1 to {MAX_PAGE} integers",
                           minimum=1, maximum=MAX_SQLITE_INTEGER)
        return wanted, None
    wanted_up_to = whole_number(up_to, 1, MAX_SQLITE_INTEGER)
    if wanted_up_to is None:
        raise ApiError("bad_request", field="up_to", reason="an integer", minimum=1,
                       maximum=MAX_SQLITE_INTEGER)
    return None, wanted_up_to


@operations.post(
    "/v1/journal/ack",
    "Acknowledge records once stored on your side: the box deletes them. All or nothing: 404 "
    "journal_record_unknown (`details.unknown`) if one is not yours; acknowledging again is "
    "not an error (`already_acked`)",
    Answer(200, JournalAcked, "Acknowledged"), request=JOURNAL_ACK, errors=(400, 404, 503, 507))
async def ack(request: web.Request) -> web.Response:
    """Acknowledge (delete) the caller's records: all of them, or none."""
    service = _service(request)
    body = await read_json(request)
    seqs, up_to = _ack_body(body)
    result = await service.ack(request[CLIENT].client_id, seqs=seqs, up_to=up_to)
    return json_body(msgspec.convert(result, JournalAcked))
