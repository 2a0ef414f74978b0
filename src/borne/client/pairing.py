"""Pairing a workstation with a box, from the workstation's side.

1. Make a key pair and a CSR here (the private key never leaves this machine).
2. SPAKE2 with the code shown on the box (``POST /v1/pairing/start``).
3. Send the CSR with a proof of the code (``POST /v1/pairing/complete``).
4. Check the box's proof over the returned client id, certificate and CA
   (``answer_mac``): only the box that showed the code can make it, so a machine
   in the middle can neither pass its own CA off as the box's nor change the
   client id (the journal's records are sealed for it). Check that the
   certificate is for this key and this client id, signed by that CA. Then pin it.

Steps 2 and 3 run over TLS without checking the box's certificate (we do not
know its CA yet); the SPAKE2 binding is what makes them safe.
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .api import raise_for_error
from .errors import BoxError, box_failure, check_box_url
from .store import WorkstationFiles
from .transport import DEADLINE_S, answer_field, answer_json, exchange

__all__ = ["PairedBox", "make_key_and_csr", "pair"]


@dataclass(frozen=True)
class PairedBox:
    """The outcome of pairing."""

    url: str
    client_id: str
    directory: Path


def make_key_and_csr(name: str) -> tuple[bytes, bytes]:
    """A new EC P-256 private key (PEM, unencrypted) and a CSR for it, named ``name``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
           .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, csr.public_bytes(serialization.Encoding.PEM)


def _unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # authenticated by the pairing code instead
    return context


def _authenticating(step: Any, *args: Any, language: str) -> None:
    """Run a SPAKE2 step; its refusal (the secure channel's error) as a :class:`BoxError`."""
    from ..errors import BorneError

    try:
        step(*args)
    except BorneError as error:
        raise BoxError(0, error.code, error.message(language)) from None


def _check_certificate(certificate: bytes, ca: bytes, key_pem: bytes, client_id: str,
                       box: str, language: str) -> None:
    """The box proved it sent these: still, they must be a certificate of our key and
    ``client_id``, signed by ``ca`` (``box_answer_invalid`` otherwise: a box's fault)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    def public(key: object) -> bytes:
        return key.public_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                                serialization.PublicFormat.SubjectPublicKeyInfo)

    try:
        cert = x509.load_pem_x509_certificate(certificate)
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca))
        ours = serialization.load_pem_private_key(key_pem, password=None).public_key()
        ids = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.USER_ID)]
    except (ValueError, TypeError, InvalidSignature) as error:  # unreadable, or not the CA's
        raise box_failure("box_answer_invalid", box, language,
                          reason=f"certificate: {type(error).__name__}") from None
    if public(cert.public_key()) != public(ours) or ids != [client_id]:
        raise box_failure("box_answer_invalid", box, language,
                          reason="the certificate is not for this key and client id")


async def pair(url: str, *, code: str, name: str, directory: str | Path,
               timeout: float = 15.0, language: str = "fr",
               deadline_s: float = DEADLINE_S) -> PairedBox:
    """Pair this workstation with the box at ``url`` using the code it shows.

    Writes ``client.key`` (0600), ``client.crt``, ``ca.crt`` and ``box.json``
    into ``directory``. Raises :class:`BoxError` with the box's stable code
    (``pairing_wrong_code``, ``pairing_closed``...), ``pairing_box_not_authenticated``
    when the answer is not from the box, or a :class:`~borne.client.errors.BoxConnectionError`
    when no box answers there (:mod:`borne.client.errors`); messages in ``language``.
    ``timeout`` bounds each step, ``deadline_s`` each request whole: until the code is
    checked, whoever answers at ``url`` may be hostile.
    """
    from ..secure_channel.pairing import PairingClient

    name = name.strip()
    base = check_box_url(url, language)
    files = WorkstationFiles(Path(directory))
    if files.key.exists():
        raise box_failure("already_paired", str(files.key), language, connection=False)
    key_pem, csr_pem = make_key_and_csr(name)
    spake = PairingClient(code)

    async def post(path: str, body: dict[str, str]) -> dict[str, str]:
        # The box is not authenticated yet: whatever answers is bounded and checked.
        answer = await exchange(http, "POST", f"{base}{path}", box=base, language=language,
                                deadline_s=deadline_s, json=body)
        raise_for_error(answer, language)
        return answer_json(answer, box=base, language=language)

    def text(body: dict[str, str], field: str) -> str:
        value = answer_field(body, field, box=base, language=language)
        if not isinstance(value, str):
            raise box_failure("box_answer_invalid", base, language, reason=f"{field} not a string")
        return value

    async with httpx.AsyncClient(verify=_unverified_tls(), timeout=timeout,
                                 headers={"Accept-Language": language}) as http:
        started = await post("/v1/pairing/start",
                             {"client_msg": base64.b64encode(spake.start()).decode()})
        try:
            server_msg = base64.b64decode(text(started, "server_msg"), validate=True)
        except ValueError:
            raise box_failure("box_answer_invalid", base, language,
                              reason="server_msg not base64") from None
        _authenticating(spake.finish, server_msg, language=language)
        mac = spake.request_mac(csr_pem, name)
        body = await post("/v1/pairing/complete", {
            "session": text(started, "session"), "csr": csr_pem.decode(), "name": name,
            "mac": base64.b64encode(mac).decode()})
    certificate, ca = text(body, "certificate").encode(), text(body, "ca").encode()
    client_id = text(body, "client_id")
    try:
        proof = base64.b64decode(text(body, "answer_mac"), validate=True)
    except ValueError:
        raise box_failure("box_answer_invalid", base, language,
                          reason="answer_mac not base64") from None
    _authenticating(spake.verify_answer, client_id, certificate, ca, proof, language=language)
    _check_certificate(certificate, ca, key_pem, client_id, base, language)
    try:
        files.write_key(key_pem)
        files.write_pairing(certificate=certificate, ca=ca, url=base, client_id=client_id)
    except OSError as error:
        raise box_failure("pairing_files_unwritable", str(files.directory), language,
                          reason=f"{type(error).__name__}: {error}", connection=False) from None
    return PairedBox(base, client_id, files.directory)
