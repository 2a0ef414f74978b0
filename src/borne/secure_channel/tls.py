"""TLS contexts for the API, and who a verified client certificate says the caller is.

The server asks for a client certificate but does not require one
(``CERT_OPTIONAL``): the pairing endpoint must serve a workstation that has none
yet, and every other endpoint is refused by the API layer when
:func:`peer_identity` returns ``None``. A certificate that *is* presented and does
not verify against the box CA (foreign CA, expired, not yet valid, self-signed,
no clientAuth purpose) fails the handshake in OpenSSL; the API never sees it.

What the client sees (OpenSSL 3.0; ``tests/integration/test_tls_refusals.py``):
OpenSSL's alert is unknown_ca (foreign CA, self-signed), certificate_expired,
bad_certificate (not yet valid) or unsupported_certificate (no clientAuth). In
TLS 1.3 the client has sent its Finished before the server judges its
certificate, so a client reads that alert on its first ``recv``, not from
``do_handshake``. asyncio alone would not send the alert (it aborts the transport
on a failed server handshake); the API's ``TlsGate`` makes sure it does.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import BorneError

__all__ = ["ClientIdentity", "client_context", "pairing_client_context", "peer_identity",
           "server_context"]


def server_context(ca_cert_path: Path | str, cert_path: Path | str, key_path: Path | str, *,
                   allow_tls12: bool = False, key_password: bytes | None = None) -> ssl.SSLContext:
    """The API's server context: box certificate, box CA as the only trust anchor for clients.

    ``key_password`` opens a wrapped ``server.key`` (:meth:`BoxCA.server_key_password`).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2 if allow_tls12 else ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(str(cert_path), str(key_path), key_password)
    # Only the box CA: no system store, so no public CA can vouch for a client.
    context.load_verify_locations(cafile=str(ca_cert_path))
    context.verify_mode = ssl.CERT_OPTIONAL
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    # No session tickets: every connection verifies the client certificate afresh
    # (expiry included); revocation is checked per request by the API layer anyway.
    context.num_tickets = 0
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    return context


def client_context(ca_pem: bytes | Path | str, cert_path: Path | str | None = None,
                   key_path: Path | str | None = None, *,
                   allow_tls12: bool = False) -> ssl.SSLContext:
    """A workstation's context pinning the box CA (PEM bytes or a file), with its client certificate.

    Host names are checked: connect with ``server_hostname`` set to one of the
    names or addresses in the box's server certificate (its host name, its
    ``.local`` mDNS name, ``127.0.0.1``...), e.g.
    ``asyncio.open_connection(host, 8443, ssl=ctx, server_hostname=host)``.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname, CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2 if allow_tls12 else ssl.TLSVersion.TLSv1_3
    if isinstance(ca_pem, bytes):
        context.load_verify_locations(cadata=ca_pem.decode("ascii"))
    else:
        context.load_verify_locations(cafile=str(ca_pem))
    if cert_path is not None:
        context.load_cert_chain(str(cert_path), str(key_path) if key_path else None)
    return context


def pairing_client_context(*, allow_tls12: bool = False) -> ssl.SSLContext:
    """The context a workstation uses for the pairing exchange only: the box is not yet trusted.

    TLS here only hides the exchange from casual eyes; the security of pairing
    comes from SPAKE2 and the two key-confirmation MACs (:mod:`.pairing`), which
    hold against an active man in the middle. Never use it for anything else.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2 if allow_tls12 else ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class ClientIdentity:
    """Who a verified client certificate names: what the API authorises and audits."""

    client_id: str
    name: str
    serial: int
    admin: bool
    not_after: datetime
    fingerprint_sha256: str


def peer_identity(der: bytes | None) -> ClientIdentity | None:
    """The identity in a peer certificate OpenSSL has already verified; ``None`` without one.

    ``der`` is ``ssl_object.getpeercert(binary_form=True)``. Raises
    ``BorneError("client_cert_invalid")`` when the certificate lacks the UID or
    the clientAuth purpose (e.g. the box's own server certificate replayed as a client's).
    """
    if not der:
        return None
    from cryptography import x509  # the API process has it loaded anyway; keep import borne light
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    try:
        cert = x509.load_der_x509_certificate(der)
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        raise BorneError("no extended key usage", code="client_cert_invalid") from None
    except ValueError:
        raise BorneError("unreadable certificate", code="client_cert_invalid") from None
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        raise BorneError("not a client certificate", code="client_cert_invalid")
    uids = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    if len(uids) != 1 or not uids[0].value:
        raise BorneError("no client id (UID) in the certificate", code="client_cert_invalid")
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return ClientIdentity(
        client_id=str(uids[0].value),
        name=str(names[0].value) if names else "",
        serial=cert.serial_number,
        admin=any(unit.value == "admin" for unit in units),
        not_after=cert.not_valid_after_utc,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )
