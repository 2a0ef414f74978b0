"""The box CA: created once with a private key file, reloaded as is, never replaced silently."""

from __future__ import annotations

import base64
import ipaddress
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from borne.errors import MESSAGES, BorneError
from borne.secure_channel.ca import BoxCA
from borne.secure_channel.tls import peer_identity


def csr_for(key, cn: str = "attacker chosen", sign_with=None) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                   x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "admin")]))
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(sign_with or key, algorithm).public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def ca(tmp_path):
    return BoxCA.load_or_create(tmp_path, box_name="Pharmacie du Port")


def test_created_with_private_key_0600_and_ca_constraints(ca, tmp_path):
    assert stat.S_IMODE(os.stat(tmp_path / "ca.key").st_mode) == 0o600
    cert = ca.certificate
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 3650
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.startswith(
        "Pharmacie du Port CA ")
    assert ca.cert_pem == (tmp_path / "ca.crt").read_bytes()
    assert ca.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()


def test_reload_gives_the_same_ca(ca, tmp_path, tmp_path_factory):
    again = BoxCA.load_or_create(tmp_path)
    assert again.fingerprint_sha256 == ca.fingerprint_sha256
    other = BoxCA.load_or_create(tmp_path_factory.mktemp("other"))
    assert other.fingerprint_sha256 != ca.fingerprint_sha256
    assert other.certificate.subject != ca.certificate.subject  # random suffix in the CN


@pytest.mark.parametrize("damage", ["corrupt_key", "corrupt_cert", "missing_cert", "missing_key",
                                    "other_key", "not_a_ca"])
def test_broken_ca_files_are_refused_and_left_alone(ca, tmp_path, tmp_path_factory, damage):
    key_path, cert_path = tmp_path / "ca.key", tmp_path / "ca.crt"
    if damage == "corrupt_key":
        key_path.write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")
    elif damage == "corrupt_cert":
        cert_path.write_bytes(cert_path.read_bytes()[:200])
    elif damage == "missing_cert":
        cert_path.unlink()
    elif damage == "missing_key":
        key_path.unlink()
    elif damage == "other_key":
        other = tmp_path_factory.mktemp("other")
        BoxCA.load_or_create(other)  # another CA, another key
        key_path.write_bytes((other / "ca.key").read_bytes())
    else:  # a valid leaf certificate whose key we hold is still not a CA
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = ca.issue_client_cert(csr_for(leaf_key), client_id="ws-1", name="x")
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    before = {p.name: p.read_bytes() for p in (key_path, cert_path) if p.exists()}
    with pytest.raises(BorneError) as caught:
        BoxCA.load_or_create(tmp_path)
    assert caught.value.code == "ca_unreadable"
    assert {p.name: p.read_bytes() for p in (key_path, cert_path) if p.exists()} == before


def _sans(cert: x509.Certificate) -> set[str]:
    return {str(n.value) for n in cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value}


def test_server_certificate_issued_kept_and_renewed(ca, tmp_path):
    crt, key = ca.ensure_server_cert(["borne-7", "borne-7.local"], ["192.168.1.20"])
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    assert _sans(cert) == {"borne-7", "borne-7.local", "192.168.1.20"}
    assert ipaddress.ip_address("192.168.1.20") in cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.IPAddress)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert 364 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 366
    cert.verify_directly_issued_by(ca.certificate)
    serial = cert.serial_number

    def serial_now() -> int:
        return x509.load_pem_x509_certificate(crt.read_bytes()).serial_number

    ca.ensure_server_cert(["borne-7.local", "borne-7"], ["192.168.1.20"])  # same set: kept
    assert serial_now() == serial
    ca.ensure_server_cert(["borne-7"], ["192.168.1.20"], renew_before_days=400)  # "expiring"
    assert serial_now() != serial
    serial = serial_now()
    ca.ensure_server_cert(["borne-7"], ["192.168.1.21"])  # address changed
    assert serial_now() != serial and _sans(x509.load_pem_x509_certificate(
        crt.read_bytes())) == {"borne-7", "192.168.1.21"}
    serial = serial_now()
    key.write_bytes(b"junk")  # a damaged key is replaced, still 0600
    ca.ensure_server_cert(["borne-7"], ["192.168.1.21"])
    assert serial_now() != serial and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert not list(tmp_path.glob("*.new"))


def test_server_certificate_from_another_ca_is_replaced(ca, tmp_path, tmp_path_factory):
    other = BoxCA.load_or_create(tmp_path_factory.mktemp("other"))
    crt, key = other.ensure_server_cert(["borne"], [])
    os.replace(crt, tmp_path / "server.crt")
    os.replace(key, tmp_path / "server.key")
    crt, _ = ca.ensure_server_cert(["borne"], [])
    x509.load_pem_x509_certificate(crt.read_bytes()).verify_directly_issued_by(ca.certificate)


def test_expiring_server_certificate_is_renewed_by_the_clock(tmp_path):
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    ca = BoxCA.load_or_create(tmp_path, now=lambda: now[0])
    crt, _ = ca.ensure_server_cert(["borne"], ["10.0.0.2"])
    first = crt.read_bytes()
    now[0] += timedelta(days=300)
    ca.ensure_server_cert(["borne"], ["10.0.0.2"])
    assert crt.read_bytes() == first
    now[0] += timedelta(days=40)  # 25 days left < 30
    ca.ensure_server_cert(["borne"], ["10.0.0.2"])
    assert crt.read_bytes() != first


def test_client_certificate_fields_come_from_the_box_not_the_csr(ca):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca.issue_client_cert(csr_for(key), client_id="ws-0a1b", name="Comptoir\n 2\x00 ")
    cert.verify_directly_issued_by(ca.certificate)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Comptoir 2"
    assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "ws-0a1b"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME) == []
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign and not usage.key_encipherment
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert 824 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 826
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    other = ca.issue_client_cert(csr_for(key), client_id="ws-0a1c", name="x" * 200, admin=True)
    assert other.serial_number != cert.serial_number
    identity = peer_identity(other.public_bytes(serialization.Encoding.DER))
    assert identity.admin and identity.name == "x" * 64 and identity.client_id == "ws-0a1c"
    assert peer_identity(cert.public_bytes(serialization.Encoding.DER)).admin is False


@pytest.mark.parametrize("key", [
    ec.generate_private_key(ec.SECP384R1()),
    rsa.generate_private_key(65537, 2048),
], ids=["p384", "rsa2048"])
def test_accepted_key_types(ca, key):
    ca.issue_client_cert(csr_for(key), client_id="ws-1", name="ok")


@pytest.mark.parametrize("make", [
    lambda: csr_for(rsa.generate_private_key(65537, 1024)),
    lambda: csr_for(ec.generate_private_key(ec.SECP256K1())),
    lambda: csr_for(ec.generate_private_key(ec.SECP521R1())),
    lambda: csr_for(ed25519.Ed25519PrivateKey.generate()),
    lambda: csr_for(dsa.generate_private_key(2048)),
    lambda: b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    lambda: b"not pem at all",
], ids=["rsa1024", "secp256k1", "p521", "ed25519", "dsa", "garbage_der", "not_pem"])
def test_bad_csrs_are_refused(ca, make):
    with pytest.raises(BorneError) as caught:
        ca.issue_client_cert(make(), client_id="ws-1", name="x")
    assert caught.value.code == "pairing_bad_csr"


def test_csr_with_a_bad_signature_is_refused(ca):
    # Proof of possession: the CSR must be signed by the key it carries.
    der = bytearray(x509.load_pem_x509_csr(csr_for(ec.generate_private_key(ec.SECP256R1())))
                    .public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # last byte of the signature's S: still well-formed DER
    pem = (b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der))
           + b"-----END CERTIFICATE REQUEST-----\n")
    with pytest.raises(BorneError) as caught:
        ca.issue_client_cert(pem, client_id="ws-1", name="x")
    assert caught.value.code == "pairing_bad_csr" and "signature" in caught.value.detail


def test_codes_have_messages():
    for code in ("ca_unreadable", "pairing_bad_csr", "client_cert_invalid"):
        assert MESSAGES[code].fr and MESSAGES[code].en
