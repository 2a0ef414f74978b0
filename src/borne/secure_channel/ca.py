"""The box's own certificate authority: created at first start, signs the server and client certificates.

Files in the data directory (which the daemon keeps at 0700)::

    ca.key      ECDSA P-256 private key, mode 0600, created once with O_EXCL
    ca.crt      self-signed CA certificate (CA:true, pathlen 0, 10 years)
    server.key  the API's TLS key, mode 0600, replaced atomically when reissued
    server.crt  the API's TLS certificate (serverAuth, SAN DNS + IP, 1 year)

The two keys are wrapped with the board's secret (:mod:`.wrapped_keys`, :mod:`.key_source`):
a copy of the data directory opens neither. A clear key of an older box is wrapped at load.
The CA key also signs the offline journal's records (:meth:`BoxCA.sign`,
:mod:`borne.journal.signature`): the workstation checks them with the CA it pinned.

The CA is the root of trust of every paired workstation: it is never replaced
behind anyone's back. A missing half or a key that does not match its
certificate stops the daemon with ``ca_unreadable`` and says which file is wrong.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..runtime.durable import fsync_dir, write_new
from ..errors import BorneError
from .key_source import KeySource
from .wrapped_keys import KeyFiles

__all__ = ["BoxCA"]

CA_DAYS = 3650
SERVER_DAYS = 365
# Workstations and boxes do not share a clock, and the Pi has no RTC: after a power
# cut with no network, the box boots at the time systemd-timesyncd last saved (up to
# ~35 min old; the image keeps that file on the data partition), so a certificate made
# just before would be "not yet valid" to the box itself and every workstation would be
# refused until NTP answers. A day of back-dating covers that; it widens no certificate's
# usable life (the end is counted from the same start).
BACKDATE = timedelta(days=1)
_NAME_MAX = 64
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_public(path: Path, data: bytes) -> None:
    write_new(path, data, 0o644)


def _same_key(a: object, b: object) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*fmt) == b.public_bytes(*fmt)  # type: ignore[attr-defined]


def sanitise_name(name: str) -> str:
    """A workstation name fit for a certificate CN: printable, single-spaced, at most 64 chars."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())
    return cleaned[:_NAME_MAX].strip() or "workstation"


class BoxCA:
    """The box's CA: load it with :meth:`load_or_create`, then issue certificates.

    ``now`` (UTC datetime factory) is for tests; the box uses the system clock,
    which is what OpenSSL checks validity against anyway. ``files`` reads and writes the
    private keys (wrapped with the board secret; in clear without one: tests only).
    """

    def __init__(self, data_dir: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
                 *, now: Callable[[], datetime] = _now, files: KeyFiles | None = None) -> None:
        self._dir = data_dir
        self._key = key
        self._cert = cert
        self._now = now
        self._files = files or KeyFiles(data_dir, None)

    @classmethod
    def load_or_create(cls, data_dir: Path, *, box_name: str = "borne",
                       now: Callable[[], datetime] = _now, keys: KeySource | None = None) -> BoxCA:
        """The CA in ``data_dir``, created if neither ``ca.key`` nor ``ca.crt`` exists.

        ``keys``: the board secret's source; the keys are wrapped with it, and a clear
        ``ca.key`` is wrapped now. None keeps them in clear (tests of the certificates only).
        Raises ``BorneError("ca_unreadable")`` when only one exists, either is
        corrupt, the key does not open with this board's secret, or they do not belong
        together: nothing is overwritten. ``box_secret_unavailable`` or
        ``box_secret_unprogrammed`` when the board secret cannot be read.
        """
        data_dir = Path(data_dir)
        files = KeyFiles(data_dir, keys)
        key_path, cert_path = data_dir / "ca.key", data_dir / "ca.crt"
        have_key, have_cert = key_path.exists(), cert_path.exists()
        if not have_key and not have_cert:
            return cls._create(data_dir, box_name, now, files)
        if not (have_key and have_cert):
            missing = cert_path if have_key else key_path
            raise BorneError(f"{missing} is missing; remove both ca.key and ca.crt to create a new CA "
                             "(every workstation must then pair again)", code="ca_unreadable",
                             file=str(missing))
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except (ValueError, OSError) as error:
            raise BorneError(f"{cert_path} is not a readable certificate ({error.__class__.__name__})",
                             code="ca_unreadable", file=str(cert_path)) from None
        try:
            key = files.load("ca.key")
        except (ValueError, TypeError, OSError) as error:
            raise BorneError(f"{key_path} is not a readable private key ({error.__class__.__name__})",
                             code="ca_unreadable", file=str(key_path)) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not _same_key(key.public_key(),
                                                                             cert.public_key()):
            raise BorneError(f"{key_path} does not match {cert_path}", code="ca_unreadable",
                             file=str(key_path))
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            raise BorneError(f"{cert_path} is not a CA certificate", code="ca_unreadable",
                             file=str(cert_path))
        return cls(data_dir, key, cert, now=now, files=files)

    @classmethod
    def _create(cls, data_dir: Path, box_name: str, now: Callable[[], datetime],
                files: KeyFiles) -> BoxCA:
        key = _new_key()
        # A random suffix keeps two boxes' CA names apart on a workstation paired with both.
        name = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, f"{sanitise_name(box_name)[:40]} CA "
                                                    f"{secrets.token_hex(4)}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "borne"),
        ])
        start = now() - BACKDATE
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False), critical=True)
                .add_extension(ski, critical=False)
                .sign(key, hashes.SHA256()))
        # Key first: a crash in between leaves a key without certificate, which the next
        # start refuses loudly rather than replacing a CA someone may already trust.
        files.write_new(data_dir / "ca.key", key)
        _write_public(data_dir / "ca.crt", cert.public_bytes(serialization.Encoding.PEM))
        fsync_dir(data_dir)
        return cls(data_dir, key, cert, now=now, files=files)

    @property
    def certificate(self) -> x509.Certificate:
        """The CA certificate."""
        return self._cert

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate, PEM: what a workstation pins."""
        return self._cert.public_bytes(serialization.Encoding.PEM)

    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 of the CA certificate (DER), lowercase hex: shown on screen for checking by eye."""
        return self._cert.fingerprint(hashes.SHA256()).hex()

    @property
    def server_key_password(self) -> bytes | None:
        """The password of ``server.key``, for ``SSLContext.load_cert_chain`` (None: in clear)."""
        return self._files.password("server.key")

    def sign(self, message: bytes) -> bytes:
        """ECDSA P-256 / SHA-256 signature (DER) of ``message`` with the CA key.

        For the offline journal's records only (:mod:`borne.journal.signature`), whose
        signed bytes begin with an ASCII label: never a certificate's DER (``0x30``...).
        """
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))

    def ensure_server_cert(self, hostnames: list[str], addresses: list[str], *,
                           renew_before_days: int = 30) -> tuple[Path, Path]:
        """``(server.crt, server.key)`` paths, reissued when missing, foreign, expiring or with other SANs."""
        cert_path, key_path = self._dir / "server.crt", self._dir / "server.key"
        wanted = self._sans(hostnames, addresses)
        if not self._server_cert_ok(cert_path, key_path, wanted, renew_before_days):
            self._issue_server_cert(cert_path, key_path, wanted)
        return cert_path, key_path

    @staticmethod
    def _sans(hostnames: list[str], addresses: list[str]) -> set[x509.GeneralName]:
        sans: set[x509.GeneralName] = {x509.DNSName(h) for h in hostnames}
        sans |= {x509.IPAddress(ipaddress.ip_address(a)) for a in addresses}
        if not sans:
            raise ValueError("a server certificate needs at least one host name or address")
        return sans

    def _server_cert_ok(self, cert_path: Path, key_path: Path, wanted: set[x509.GeneralName],
                        renew_before_days: int) -> bool:
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = self._files.load(key_path.name)
            self._cert.public_key().verify(  # type: ignore[call-arg, union-attr]
                cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
            sans = set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            return False
        except BorneError as error:
            if error.code != "ca_unreadable":
                raise  # the board secret itself is unreadable: nothing can be written either
            return False  # wrapped with another secret: a new key replaces it
        fresh = cert.not_valid_after_utc - self._now() > timedelta(days=renew_before_days)
        return fresh and sans == wanted and _same_key(key.public_key(), cert.public_key())

    def _issue_server_cert(self, cert_path: Path, key_path: Path,
                           sans: set[x509.GeneralName]) -> None:
        key = _new_key()
        dns = sorted(s.value for s in sans if isinstance(s, x509.DNSName))
        cn = dns[0] if dns else str(sorted(str(s.value) for s in sans)[0])
        cert = self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn[:64])]),
                             key.public_key(), SERVER_DAYS, ExtendedKeyUsageOID.SERVER_AUTH)
        cert = (cert.add_extension(x509.SubjectAlternativeName(
                    sorted(sans, key=lambda s: (type(s).__name__, str(s.value)))), critical=False)
                .sign(self._key, hashes.SHA256()))
        # New files under temporary names, then renamed over the old ones: a crash
        # leaves either pair, or a mismatched pair that the next start reissues.
        for path, write in ((key_path, lambda p: self._files.write_new(p, key)),
                            (cert_path, lambda p: _write_public(
                                p, cert.public_bytes(serialization.Encoding.PEM)))):
            tmp = path.with_name(path.name + ".new")
            tmp.unlink(missing_ok=True)
            write(tmp)
            os.replace(tmp, path)
        fsync_dir(self._dir)

    def _builder(self, subject: x509.Name, public_key: object, days: int,
                 usage: x509.ObjectIdentifier) -> x509.CertificateBuilder:
        start = self._now() - BACKDATE
        end = min(start + timedelta(days=days), self._cert.not_valid_after_utc)
        ca_ski = self._cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return (x509.CertificateBuilder()
                .subject_name(subject).issuer_name(self._cert.subject)
                .public_key(public_key)  # type: ignore[arg-type]
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False,
                    crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                               critical=False))

    def issue_client_cert(self, csr_pem: bytes, *, client_id: str, name: str, admin: bool = False,
                          days: int = 825) -> x509.Certificate:
        """Sign a workstation's CSR: only its public key is used, the subject is the box's choice.

        Raises ``BorneError("pairing_bad_csr")`` for an unreadable CSR, a bad
        signature (the requester does not hold the key) or a weak or unusual key.
        """
        if not _CLIENT_ID.fullmatch(client_id):
            raise ValueError(f"client_id must match {_CLIENT_ID.pattern}")
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
            valid = csr.is_signature_valid
            public_key = csr.public_key()
        except (ValueError, TypeError, x509.UnsupportedGeneralNameType) as error:
            raise BorneError(f"unreadable CSR ({error.__class__.__name__})",
                             code="pairing_bad_csr") from None
        if not valid:
            raise BorneError("the CSR signature does not verify", code="pairing_bad_csr")
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            acceptable = isinstance(public_key.curve, (ec.SECP256R1, ec.SECP384R1))
        elif isinstance(public_key, rsa.RSAPublicKey):
            acceptable = 2048 <= public_key.key_size <= 8192
        else:
            acceptable = False
        if not acceptable:
            raise BorneError("the CSR key must be EC P-256/P-384 or RSA 2048-8192",
                             code="pairing_bad_csr")
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, sanitise_name(name)),
                      x509.NameAttribute(NameOID.USER_ID, client_id)]
        if admin:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "admin"))
        builder = self._builder(x509.Name(attributes), public_key, days,
                                ExtendedKeyUsageOID.CLIENT_AUTH)
        return builder.sign(self._key, hashes.SHA256())
