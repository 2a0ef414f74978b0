"""Real TLS sockets against the API's server context: who gets in, who is refused, and how.

A real asyncio TLS server on 127.0.0.1, behind the API's :class:`TlsGate`,
replies with the identity it read from the peer certificate. A refused
certificate never reaches the server's connection handler, and the client
receives OpenSSL's alert: a TLS 1.3 client has finished its handshake before the
server judges its certificate, so it reads the alert (``TLSV1_ALERT_UNKNOWN_CA``,
``SSLV3_ALERT_CERTIFICATE_EXPIRED``...) on its first read. A plain ``ssl`` socket
server is checked too, for the reason OpenSSL gives on the server side.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from borne.api.tls_gate import TlsGate
from borne.secure_channel.ca import BoxCA
from borne.secure_channel.tls import client_context, peer_identity, server_context

NOW = datetime.now(timezone.utc)


def _csr(key: ec.EllipticCurvePrivateKey) -> bytes:
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ignored")]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM)


def _forge(key: ec.EllipticCurvePrivateKey, *, issuer_key: ec.EllipticCurvePrivateKey,
           issuer: x509.Name, start: datetime, end: datetime,
           usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.CLIENT_AUTH) -> x509.Certificate:
    """A throwaway client-like certificate, signed by whatever key the test says."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intruder"),
                         x509.NameAttribute(NameOID.USER_ID, "ws-intruder")])
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            # SKI/AKI as the box CA writes them: VERIFY_X509_STRICT refuses a leaf
            # without AKI, and each certificate here must fail for one reason only.
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), False)
            .sign(issuer_key, hashes.SHA256()))


def _save(directory: Path, stem: str, key: ec.EllipticCurvePrivateKey,
          cert: x509.Certificate) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The box CA with its server certificate, and one client certificate per case."""
    base = tmp_path_factory.mktemp("pki")
    box_dir, out = base / "box", base / "clients"
    box_dir.mkdir(mode=0o700)
    out.mkdir()
    ca = BoxCA.load_or_create(box_dir)
    server_crt, server_key = ca.ensure_server_cert(["borne.local"], ["127.0.0.1"])
    ca_key = serialization.load_pem_private_key((box_dir / "ca.key").read_bytes(), None)
    paths: dict[str, object] = {"ca": ca, "box": box_dir, "server": (server_crt, server_key)}

    key = ec.generate_private_key(ec.SECP256R1())
    good = ca.issue_client_cert(_csr(key), client_id="ws-good", name="Comptoir 1", admin=True)
    paths["good"] = _save(out, "good", key, good)

    foreign_key = ec.generate_private_key(ec.SECP256R1())
    foreign = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "borne CA deadbeef")])
    hour, year = timedelta(hours=1), timedelta(days=365)
    cases = {
        "foreign_ca": dict(issuer_key=foreign_key, issuer=foreign, start=NOW - hour, end=NOW + year),
        "expired": dict(issuer_key=ca_key, issuer=ca.certificate.subject,
                        start=NOW - 2 * year, end=NOW - hour),
        "not_yet_valid": dict(issuer_key=ca_key, issuer=ca.certificate.subject,
                              start=NOW + year, end=NOW + 2 * year),
        "wrong_eku": dict(issuer_key=ca_key, issuer=ca.certificate.subject, start=NOW - hour,
                          end=NOW + year, usage=ExtendedKeyUsageOID.SERVER_AUTH),
    }
    for stem, kwargs in cases.items():
        key = ec.generate_private_key(ec.SECP256R1())
        paths[stem] = _save(out, stem, key, _forge(key, **kwargs))  # type: ignore[arg-type]
    key = ec.generate_private_key(ec.SECP256R1())
    self_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intruder"),
                           x509.NameAttribute(NameOID.USER_ID, "ws-intruder")])
    paths["self_signed"] = _save(out, "self_signed", key, _forge(
        key, issuer_key=key, issuer=self_name, start=NOW - hour, end=NOW + year))
    return paths


async def _start_server(pki: dict[str, object], *, allow_tls12: bool = False):
    """An echo server: one JSON line with what :func:`peer_identity` made of the peer."""
    crt, key = pki["server"]  # type: ignore[misc]
    context = server_context(Path(pki["box"]) / "ca.crt", crt, key,  # type: ignore[arg-type]
                             allow_tls12=allow_tls12)
    handled: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        identity = peer_identity(der)
        handled.append(identity.client_id if identity else "none")
        reply = ({"client_id": identity.client_id, "name": identity.name, "admin": identity.admin}
                 if identity else None)
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()

    loop = asyncio.get_running_loop()

    def app_protocol() -> asyncio.StreamReaderProtocol:
        return asyncio.StreamReaderProtocol(asyncio.StreamReader(), handle)

    server = await loop.create_server(lambda: TlsGate(app_protocol, context, 5.0),
                                      "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], handled


async def _talk(port: int, context: ssl.SSLContext) -> object:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="127.0.0.1")
    try:
        line = await asyncio.wait_for(reader.readline(), 5)
        if not line:
            raise ConnectionResetError("closed without a reply")
        return json.loads(line)
    finally:
        writer.close()


def _client(pki: dict[str, object], stem: str | None) -> ssl.SSLContext:
    ca_pem = (Path(pki["box"]) / "ca.crt").read_bytes()  # type: ignore[arg-type]
    if stem is None:
        return client_context(ca_pem)
    crt, key = pki[stem]  # type: ignore[misc]
    return client_context(ca_pem, crt, key)


async def test_valid_client_certificate_is_read(pki):
    server, port, handled = await _start_server(pki)
    async with server:
        reply = await _talk(port, _client(pki, "good"))
    assert reply == {"client_id": "ws-good", "name": "Comptoir 1", "admin": True}
    assert handled == ["ws-good"]


async def test_no_certificate_connects_without_identity(pki):
    # The pairing endpoint needs this; the API refuses everything else without identity.
    server, port, handled = await _start_server(pki)
    async with server:
        assert await _talk(port, _client(pki, None)) is None
    assert handled == ["none"]


# Each refusal: what OpenSSL says on the server side (verify_message) and the alert it sends.
REFUSALS = {
    "foreign_ca": ("unable to get local issuer certificate", "TLSV1_ALERT_UNKNOWN_CA"),
    "self_signed": ("self-signed certificate", "TLSV1_ALERT_UNKNOWN_CA"),
    "expired": ("certificate has expired", "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
    "not_yet_valid": ("certificate is not yet valid", "SSLV3_ALERT_BAD_CERTIFICATE"),
    "wrong_eku": ("unsuitable certificate purpose", "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE"),
}


@pytest.mark.parametrize("stem", sorted(REFUSALS))
async def test_gate_refuses_before_the_app_and_the_client_reads_the_alert(pki, stem, caplog):
    server, port, handled = await _start_server(pki)
    async with server:
        with pytest.raises(ssl.SSLError) as refused:
            await _talk(port, _client(pki, stem))
    assert refused.value.reason == REFUSALS[stem][1]  # not a bare EOF
    assert handled == []  # the application never saw the connection
    assert f"client certificate rejected: {REFUSALS[stem][0]}" in caplog.text


def _blocking_exchange(pki: dict[str, object], client: ssl.SSLContext, *,
                       allow_tls12: bool = False) -> tuple[str, str]:
    """One connection to a plain ``ssl`` server in a thread: (server outcome, client outcome)."""
    crt, key = pki["server"]  # type: ignore[misc]
    context = server_context(Path(pki["box"]) / "ca.crt", crt, key,  # type: ignore[arg-type]
                             allow_tls12=allow_tls12)
    outcome: dict[str, str] = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def serve() -> None:
            raw, _ = listener.accept()
            try:
                with context.wrap_socket(raw, server_side=True) as tls:
                    outcome["server"] = "ok"
                    tls.sendall(b"hello\n")
            except ssl.SSLError as error:
                outcome["server"] = getattr(error, "verify_message", None) or str(error.reason)
            finally:
                raw.close()

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname(), timeout=5) as raw, \
                    client.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                outcome["client"] = "ok" if tls.recv(16) == b"hello\n" else "eof"
        except ssl.SSLError as error:
            outcome["client"] = str(error.reason)
        finally:
            thread.join(5)
    return outcome["server"], outcome["client"]


@pytest.mark.parametrize("stem", sorted(REFUSALS))
def test_openssl_refusal_reason_and_alert(pki, stem):
    # The same server context on a plain ssl socket shows why OpenSSL refused and which
    # alert it sends (after the client's Finished in TLS 1.3: the client reads it on recv).
    assert _blocking_exchange(pki, _client(pki, stem)) == REFUSALS[stem]
    assert _blocking_exchange(pki, _client(pki, "good")) == ("ok", "ok")


async def test_tls12_refused_by_default_accepted_when_allowed(pki):
    context = _client(pki, "good")
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    server, port, _ = await _start_server(pki)
    async with server:
        with pytest.raises(ssl.SSLError) as refused:
            await _talk(port, context)
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION"
    assert _blocking_exchange(pki, context) == ("UNSUPPORTED_PROTOCOL",
                                                "TLSV1_ALERT_PROTOCOL_VERSION")
    server, port, handled = await _start_server(pki, allow_tls12=True)
    async with server:
        assert (await _talk(port, context))["client_id"] == "ws-good"
    assert handled == ["ws-good"]
    # In TLS 1.2 the client certificate is judged inside the handshake.
    expired = _client(pki, "expired")
    expired.minimum_version = expired.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _blocking_exchange(pki, expired, allow_tls12=True) == REFUSALS["expired"]


async def test_client_pins_the_box_ca(pki, tmp_path):
    # A workstation pinning another box's CA refuses this box.
    other = BoxCA.load_or_create(tmp_path)
    server, port, _ = await _start_server(pki)
    async with server:
        with pytest.raises(ssl.SSLCertVerificationError):
            await _talk(port, client_context(other.cert_pem))
