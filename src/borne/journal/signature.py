"""A journal record's proof of origin: the box's CA key signs it, the workstation checks it.

Pure functions, no I/O, both sides: :func:`signed_bytes` says what is signed, the box signs
with :meth:`borne.secure_channel.ca.BoxCA.sign` (the journal service gets a :func:`signer`),
and the workstation checks with :func:`verify` and the CA certificate it pinned at pairing.
Sealing alone (:mod:`borne.journal.crypto`) proves nothing about who wrote a record: the
workstation's public key is no secret, so anyone who can write ``journal.db`` can seal a
record for it. A signature by the key that only the box holds (wrapped with the board's
secret, :mod:`borne.secure_channel.wrapped_keys`) can only come from the box.

Signed bytes, version 1: four lines joined by ``\\n`` (0x0A), no final newline::

    borne-journal-record/v1
    <ca_sha256: SHA-256 of the box's CA certificate (DER), 64 lowercase hex digits>
    <SHA-256 of the envelope's bytes (as in envelope_b64, decoded), 64 lowercase hex digits>
    <the header's exact bytes (the `header` text of GET /v1/journal)>

The header holds the seq, the read id, the client id, the kind and the times, as canonical
JSON without a newline; the first three lines have fixed forms, so no two records give the
same bytes. The label keeps these bytes apart from anything else the CA key signs (a
certificate's DER starts with ``0x30``). Signature: ECDSA P-256 with SHA-256, DER-encoded
(RFC 3279), as OpenSSL's ``dgst -sha256 -sign`` writes it; in the API, ``signature_b64``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .errors import JournalError

__all__ = ["LABEL", "signed_bytes", "signer", "verify"]

#: The first line of the signed bytes.
LABEL = b"borne-journal-record/v1"


def signed_bytes(ca_sha256: str, header: bytes, envelope: bytes) -> bytes:
    """The bytes the box signs for one record (module docstring)."""
    return b"\n".join([LABEL, ca_sha256.lower().encode("ascii"),
                       hashlib.sha256(envelope).hexdigest().encode("ascii"), header])


def signer(sign: Callable[[bytes], bytes], ca_sha256: str) -> Callable[[bytes, bytes], bytes]:
    """``(header, envelope) -> signature`` for the journal store, from the CA's ``sign``."""
    return lambda header, envelope: sign(signed_bytes(ca_sha256, header, envelope))


def verify(ca_certificate: Any, header: bytes, envelope: bytes, signature: bytes | None) -> None:
    """Check a record's signature against the pinned CA certificate (a ``cryptography`` x509).

    Raises :class:`JournalError` ``journal_record_unsigned`` (no signature) or
    ``journal_record_forged`` (a signature that is not the box's over these bytes).
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if not signature:
        raise JournalError("the record carries no signature of the box",
                           code="journal_record_unsigned")
    key = ca_certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise JournalError("the pinned CA's key is not EC", code="journal_record_forged")
    message = signed_bytes(ca_certificate.fingerprint(hashes.SHA256()).hex(), header, envelope)
    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise JournalError("the signature is not the paired box's over this record",
                           code="journal_record_forged") from None
