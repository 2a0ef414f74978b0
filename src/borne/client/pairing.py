"""Pairing a workstation with a box, from the workstation's side.

1. Make a key pair and a CSR here (the private key never leaves this machine).
2. SPAKE2 with the code shown on the box (``POST /v1/pairing/start``).
3. Send the CSR with a proof of the code (``POST /v1/pairing/complete``).
4. Check the box's proof over the returned CA and certificate: only the box
   that showed the code can make it, so a machine in the middle cannot pass
   its own CA off as the box's. Then pin that CA.

Steps 2 and 3 run over TLS without checking the box's certificate (we do not
know its CA yet); the SPAKE2 binding is what makes them safe.
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..errors import BorneError
from .api import BoxError, raise_for_error
from .store import WorkstationFiles

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


async def pair(url: str, *, code: str, name: str, directory: str | Path,
               timeout: float = 15.0, language: str = "fr") -> PairedBox:
    """Pair this workstation with the box at ``url`` using the code it shows.

    Writes ``client.key`` (0600), ``client.crt``, ``ca.crt`` and ``box.json``
    into ``directory``. Raises :class:`BoxError` with the box's stable code
    (``pairing_wrong_code``, ``pairing_closed``...) or
    ``pairing_box_not_authenticated`` when the answer is not from the box. Their messages
    are in ``language`` ("fr" or "en"), the box's too.
    """
    from ..secure_channel.pairing import PairingClient

    name = name.strip()
    files = WorkstationFiles(Path(directory))
    if files.key.exists():
        raise BoxError(0, "already_paired", f"{files.key} existe : prenez un autre dossier"
                       if language != "en" else f"{files.key} exists: use another folder")
    key_pem, csr_pem = make_key_and_csr(name)
    spake = PairingClient(code)
    base = url.rstrip("/")
    async with httpx.AsyncClient(verify=_unverified_tls(), timeout=timeout,
                                 headers={"Accept-Language": language}) as http:
        started = await http.post(f"{base}/v1/pairing/start",
                                  json={"client_msg": base64.b64encode(spake.start()).decode()})
        raise_for_error(started)
        spake.finish(base64.b64decode(started.json()["server_msg"]))
        mac = spake.request_mac(csr_pem, name)
        done = await http.post(f"{base}/v1/pairing/complete", json={
            "session": started.json()["session"], "csr": csr_pem.decode(), "name": name,
            "mac": base64.b64encode(mac).decode()})
        raise_for_error(done)
    body = done.json()
    certificate, ca = body["certificate"].encode(), body["ca"].encode()
    try:
        spake.verify_response(certificate, ca, base64.b64decode(body["mac"]))
    except Exception as error:  # the secure channel's own error, with its stable code
        said = error.message(language) if isinstance(error, BorneError) else str(error)
        raise BoxError(0, getattr(error, "code", "pairing_box_not_authenticated"), said) from None
    files.write_key(key_pem)
    files.write_pairing(certificate=certificate, ca=ca, url=base, client_id=body["client_id"])
    return PairedBox(base, body["client_id"], files.directory)
