"""The JSON bodies of the API's flows in several steps, as msgspec structs: pairing, apCV
presentations and sessions, leases of the APDU channel, the offline journal.

The same conventions as :mod:`borne.api.bodies` (docstrings and ``Meta`` descriptions
are the document's words; ``inline`` structs have no name in ``components``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from msgspec import Meta, Struct

from ..apcv.sessions import ReleaseReason
from .parameters import MAX_SQLITE_INTEGER

__all__ = [
    "AckSeqs", "AckUpTo", "Invoice", "InvoiceChanged", "InvoiceClaimed", "InvoiceRelease",
    "Journal", "JournalAcked", "JournalRecord", "Lease", "LeaseHolder", "LeaseRequest", "Leases",
    "PairingComplete", "PairingCompleted", "PairingStart", "PairingStarted", "Prescription",
    "Presentation", "Released", "Session", "SessionOpen",
]

_BASE64 = {"contentEncoding": "base64"}
#: What JSON Schema can say of a workstation's name (str.isprintable() is the whole rule): no
#: C0 or C1 control character, and no white space at either end.
NAME_PATTERN = ("^[^\\s\\x00-\\x1f\\x7f-\\x9f](?:[^\\x00-\\x1f\\x7f-\\x9f]*"
                "[^\\s\\x00-\\x1f\\x7f-\\x9f])?$")


# -- pairing ----------------------------------------------------------------------------------
# The forms the box takes, exactly: a SPAKE2 message A is 33 bytes, "A" then a point (base64:
# 44 characters, "Q" then one of Q-Z a-f); a MAC is HMAC-SHA256 (32 bytes: 43 characters and
# "="); a pairing session is secrets.token_urlsafe(16) (22 characters); a CSR is PEM (ASCII).

#: A pairing session's id (borne.secure_channel.pairing: ``secrets.token_urlsafe(16)``).
PairingSession = Annotated[str, Meta(min_length=22, max_length=22, pattern="^[A-Za-z0-9_-]+$")]
#: HMAC-SHA256 in base64 (32 bytes).
PairingMac = Annotated[str, Meta(min_length=44, max_length=44,
                                 pattern="^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
                                 extra_json_schema=_BASE64)]


class PairingStart(Struct):
    """Pairing step 1: the workstation's SPAKE2 message."""

    client_msg: Annotated[str, Meta(min_length=44, max_length=44,
                                    pattern="^Q[Q-Za-f][A-Za-z0-9+/]+$",
                                    description="SPAKE2 message A (code as password): 33 bytes, "
                                                "`A` then the point",
                                    extra_json_schema=_BASE64)]


class PairingStarted(Struct):
    """The box's SPAKE2 message, and the pairing session to complete."""

    session: PairingSession
    server_msg: Annotated[str, Meta(extra_json_schema=_BASE64)]


class PairingComplete(Struct):
    """Pairing step 2: the workstation's CSR and name, and its proof of the code."""

    session: PairingSession
    csr: Annotated[str, Meta(min_length=1, max_length=16384, pattern="^[\t\n\r -~]+$",
                             description="PEM CSR (ASCII, up to 16 KiB)")]
    name: Annotated[str, Meta(
        min_length=1, max_length=64, pattern=NAME_PATTERN,
        description="the workstation's name, shown on the box and in its journal: printable "
                    "characters (Unicode letters, marks, numbers, punctuation, symbols and the "
                    "space; no control or format character), no space at either end. The box "
                    "refuses another name (400 `bad_request`, `field` `name`) once your proof "
                    "of the code is checked")]
    mac: PairingMac


class PairingCompleted(Struct):
    """The workstation's certificate, the box's CA, and the box's proof of the code."""

    client_id: str
    certificate: str
    ca: str
    mac: Annotated[PairingMac, Meta(
        description="the first version's proof, over `ca` and `certificate` only: kept for "
                    "SDKs written before `answer_mac`; check `answer_mac` instead")]
    answer_mac: Annotated[PairingMac, Meta(
        description="the box's proof over every field you keep: HMAC-SHA256(K_confirm, "
                    "b\"borne-pair-answer\\0\" + SHA256(client_id) + SHA256(certificate) + "
                    "SHA256(ca)), each field the UTF-8 of its string (docs/api.md, section 1)")]


# -- apCV presentations, prescriptions, sessions ----------------------------------------------

class Presentation(Struct):
    """An apCV presentation's opaque payload."""

    id: str
    channel: Literal["qr_camera", "qr_scanner", "nfc", "pcsc_contactless"]
    captured_at: Annotated[str, Meta(description="wall clock (see /v1/status clock)")]
    payload_b64: Annotated[str, Meta(description="the opaque payload: authenticate it yourself",
                                     extra_json_schema=_BASE64)]
    payload_text: Annotated[str | None, Meta(description="the payload if it is UTF-8")]
    size: int


class Prescription(Struct):
    """A scanned ordonnance numérique: its number and the raw code."""

    id: str
    channel: str
    captured_at: str
    number: str
    payload_b64: Annotated[str, Meta(extra_json_schema=_BASE64)]
    payload_text: str | None
    size: int


class SessionOpen(Struct):
    """The presentation to open a session on (fetched and authenticated first)."""

    presentation_id: Annotated[str, Meta(min_length=1, max_length=64)]


class Invoice(Struct):
    """An invoice of a session: `claimed` (counted; may be released or confirmed),
    `confirmed` (counted for good) or `released` (given back, not counted)."""

    invoice: Annotated[int, Meta(ge=1, description="its number in the session, never reused")]
    state: Literal["claimed", "confirmed", "released"]
    reason: ReleaseReason | None


class Session(Struct):
    """An apCV session: its state, time left, invoices used and allowed."""

    id: str
    state: Literal["open", "exhausted", "expired"]
    presentation_id: str
    profession: Annotated[str | None, Meta(
        description="the profession the quota follows (`pharmacist`, `nurse`...), or null")]
    quota_source: Annotated[Literal["card", "site", "default"], Meta(
        description="where the quota came from: the CPS's own profession (`card`), the box's "
                    "`[apcv] site_profession` (`site`), or neither (`default`: 1 invoice)")]
    invoices_allowed: Annotated[int, Meta(ge=1)]
    invoices_used: Annotated[int, Meta(ge=0, description="claimed or confirmed, not released")]
    invoices: Annotated[list[Invoice], Meta(description="every invoice claimed, in order")]
    seconds_left: Annotated[float, Meta(ge=0)]


class InvoiceClaimed(Struct):
    """The invoice's number in the session, and the session after it."""

    invoice: Annotated[int, Meta(ge=1)]
    session: Session


class InvoiceRelease(Struct, forbid_unknown_fields=True):
    """Why the invoice is given back: a closed list (no free text reaches the audit journal)."""

    reason: ReleaseReason


class InvoiceChanged(Struct):
    """The invoice released or confirmed, and the session after it."""

    invoice: Annotated[int, Meta(ge=1)]
    state: Literal["claimed", "confirmed", "released"]
    reason: ReleaseReason | None
    session: Session


# -- leases of the APDU channel ---------------------------------------------------------------

# Documentation only: the lease book checks ``seconds`` itself, against the configured
# ``[apdu] max_lease_s`` (the document says 300, the default): a whole number (60.0 too, as JSON
# Schema's integers), never null (borne.apdu.leases.LeaseBook, borne.api.apdu_routes._seconds).
class LeaseRequest(Struct):
    """How long to lease the slot for."""

    seconds: Annotated[int, Meta(ge=1, le=300, description="up to `[apdu] max_lease_s`")] = 60


class LeaseHolder(Struct):
    """Who holds the lease."""

    inline: ClassVar[bool] = True
    client_id: str
    name: str


class Lease(Struct):
    """A slot leased to the calling workstation for the APDU channel."""

    lease_id: str
    slot: str
    expires_in_s: Annotated[float, Meta(ge=0)]
    holder: LeaseHolder


class Leases(Struct):
    """The caller's live leases."""

    leases: list[Lease]


class Released(Struct):
    """The lease is over; the slot is free."""

    inline: ClassVar[bool] = True
    released: Literal[True]


# -- the offline journal ----------------------------------------------------------------------

class JournalRecord(Struct, forbid_unknown_fields=True):
    """A record sealed for the calling workstation (docs/journal.md). `header` is the exact
    text sealed as the envelope's associated data: decrypt with it, then trust the fields
    parsed from it; the others repeat them in clear."""

    seq: Annotated[int, Meta(ge=1)]
    read_id: int
    client_id: str
    kind: Literal["vitale", "cps", "apcv", "prescription"]
    mono_ns: Annotated[int, Meta(description="monotonic clock, within boot_id")]
    boot_id: str
    wall: str
    wall_synced: bool
    wall_source: str | None
    created: Annotated[int, Meta(description="Unix seconds (retention)")]
    v: Literal[1]
    header: str
    envelope_b64: Annotated[str, Meta(extra_json_schema=_BASE64)]
    signature_b64: Annotated[str | None, Meta(
        description="the box's ECDSA P-256/SHA-256 signature (DER) of the record, checked with "
                    "the CA pinned at pairing (docs/api.md); null: written before signatures",
        extra_json_schema=_BASE64)]


class Journal(Struct):
    """The caller's waiting records, oldest first."""

    records: list[JournalRecord]
    waiting: Annotated[int, Meta(ge=0, description="records waiting for you in all")]


class AckSeqs(Struct, forbid_unknown_fields=True):
    """Acknowledge these records."""

    inline: ClassVar[bool] = True
    seqs: Annotated[list[Annotated[int, Meta(ge=1, le=MAX_SQLITE_INTEGER)]],
                    Meta(min_length=1, max_length=1000)]


class AckUpTo(Struct, forbid_unknown_fields=True):
    """Acknowledge every record up to this one."""

    inline: ClassVar[bool] = True
    up_to: Annotated[int, Meta(ge=1, le=MAX_SQLITE_INTEGER)]


class JournalAcked(Struct):
    """What the acknowledgement did."""

    acked: Annotated[int, Meta(ge=0)]
    already_acked: Annotated[int, Meta(ge=0)]
    waiting: Annotated[int, Meta(ge=0)]
