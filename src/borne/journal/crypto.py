"""The journal's envelope: a record readable only by the workstation it was sealed for.

Pure functions, no I/O: :func:`seal` on the box, :func:`open_record` on the
workstation. The box uses the public key of the workstation's client
certificate; only the workstation's private key (``client.key``, made by
``borne client pair``, never sent) opens the envelope. The box keeps neither the
ephemeral private key nor the data key: it cannot read its own journal back.

Envelope, version 1 (all integers big-endian)::

    byte 0      version = 1
    byte 1      scheme: 1 ECDH P-256, 2 ECDH P-384, 3 RSA-OAEP-SHA256
    EC:  point  the ephemeral public key, uncompressed SEC1 (65 bytes P-256, 97 bytes P-384)
    RSA: u16    length of the wrapped key, then the wrapped key (the modulus' size)
    12 bytes    AES-GCM nonce
    rest        AES-256-GCM ciphertext, then its 16-byte tag

EC schemes: ECDH between a fresh ephemeral key and the certificate's key, on the
certificate's curve (NIST SP 800-56A, "one-pass Diffie-Hellman"), then
HKDF-SHA256 (RFC 5869) with ``salt = b"borne-journal/v1"`` and ``info`` = the
length-prefixed (u16) concatenation of ``b"borne-journal"``, the version byte, the
scheme's name, the client id, the ephemeral point and the recipient's point: the
derived 32-byte key is the AES-256-GCM key. Binding both points and the client id
into the key is the usual ECIES precaution (SEC 1 v2, section 5.1) against an
envelope being re-targeted.

RSA scheme: a random 32-byte AES key, wrapped with RSA-OAEP (MGF1-SHA256,
SHA-256) whose label is that same ``info`` (without points).

In both, the AES-GCM associated data is the record's header bytes
(:mod:`borne.journal.header`): a header moved onto another record, or changed by
a single bit, fails the tag. Each key is used for one message, so the random
nonce never repeats under a key.

Note: the certificate's key usage says ``digitalSignature`` (it signs the TLS
handshake); this module also uses the EC key for key agreement. That is an
application-level choice documented in ``docs/journal.md``.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import JournalError

__all__ = ["ENVELOPE_VERSION", "SCHEMES", "open_record", "public_key_of", "seal"]

ENVELOPE_VERSION = 1
_SALT = b"borne-journal/v1"
_NONCE = 12
_TAG = 16
#: Scheme byte -> name (the name goes into the key derivation).
SCHEMES = {1: b"ecdh-p256-hkdf-sha256-aes256gcm", 2: b"ecdh-p384-hkdf-sha256-aes256gcm",
           3: b"rsa-oaep-sha256-aes256gcm"}
_EC_SCHEMES = {"secp256r1": (1, ec.SECP256R1, 65), "secp384r1": (2, ec.SECP384R1, 97)}
_RSA = 3
_MIN_RSA_BITS = 2048


def _lp(*parts: bytes) -> bytes:
    """Length-prefixed concatenation: no two different lists give the same bytes."""
    return b"".join(struct.pack(">H", len(part)) + part for part in parts)


def _info(scheme: int, client_id: str, *points: bytes) -> bytes:
    return _lp(b"borne-journal", bytes([ENVELOPE_VERSION]), SCHEMES[scheme],
               client_id.encode("utf-8"), *points)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def _derive(shared: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(shared)


def _ec_scheme(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> tuple[int, Any, int]:
    scheme = _EC_SCHEMES.get(key.curve.name)
    if scheme is None:
        raise JournalError(f"curve {key.curve.name} is not supported (P-256 or P-384)",
                           code="journal_key_unsupported")
    return scheme


def _check_rsa(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> None:
    if key.key_size < _MIN_RSA_BITS:
        raise JournalError(f"RSA key of {key.key_size} bits (at least {_MIN_RSA_BITS})",
                           code="journal_key_unsupported")


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(),
                        label=label)


def public_key_of(certificate_pem: bytes) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    """The public key of a PEM certificate, if the journal can seal for it."""
    from cryptography import x509

    try:
        key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    except ValueError:
        raise JournalError("unreadable certificate", code="journal_key_unsupported") from None
    if isinstance(key, ec.EllipticCurvePublicKey):
        _ec_scheme(key)
    elif isinstance(key, rsa.RSAPublicKey):
        _check_rsa(key)
    else:
        raise JournalError(f"{type(key).__name__} keys are not supported",
                           code="journal_key_unsupported")
    return key


def seal(public_key: Any, header: bytes, plaintext: bytes, *, client_id: str) -> bytes:
    """Encrypt ``plaintext`` for the holder of ``public_key``, bound to ``header`` and ``client_id``.

    ``public_key`` is an EC P-256/P-384 or RSA (2048 bits or more) public key
    (see :func:`public_key_of`); the returned envelope is described in the module
    docstring. Raises :class:`JournalError` ``journal_key_unsupported``.
    """
    nonce = os.urandom(_NONCE)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        scheme, curve, _ = _ec_scheme(public_key)
        ephemeral = ec.generate_private_key(curve())
        point = _point(ephemeral.public_key())
        key = _derive(ephemeral.exchange(ec.ECDH(), public_key),
                      _info(scheme, client_id, point, _point(public_key)))
        prefix = bytes([ENVELOPE_VERSION, scheme]) + point
    elif isinstance(public_key, rsa.RSAPublicKey):
        _check_rsa(public_key)
        key = AESGCM.generate_key(bit_length=256)
        wrapped = public_key.encrypt(key, _oaep(_info(_RSA, client_id)))
        prefix = bytes([ENVELOPE_VERSION, _RSA]) + struct.pack(">H", len(wrapped)) + wrapped
    else:
        raise JournalError(f"{type(public_key).__name__} keys are not supported",
                           code="journal_key_unsupported")
    # ``key`` and ``ephemeral`` go out of scope here: nothing that opens the envelope is kept.
    return prefix + nonce + AESGCM(key).encrypt(nonce, plaintext, header)


def _unreadable(why: str) -> JournalError:
    return JournalError(why, code="journal_record_unreadable")


def _malformed(why: str) -> JournalError:
    return JournalError(why, code="journal_envelope_malformed")


def open_record(private_key: Any, header: bytes, envelope: bytes, *, client_id: str) -> bytes:
    """The plaintext of ``envelope``, checked against ``header`` and this workstation's ``client_id``.

    Raises :class:`JournalError`: ``journal_envelope_malformed`` (unknown version
    or scheme, wrong length), ``journal_record_unreadable`` (header or envelope
    altered, another client id, or not sealed for this key: AES-GCM cannot tell
    which, and says nothing more), ``journal_key_unsupported``.
    """
    if len(envelope) < 2:
        raise _malformed("shorter than its 2-byte prefix")
    version, scheme = envelope[0], envelope[1]
    if version != ENVELOPE_VERSION:
        raise _malformed(f"envelope version {version} (this code reads {ENVELOPE_VERSION})")
    if scheme not in SCHEMES:
        raise _malformed(f"unknown scheme {scheme}")
    if scheme == _RSA:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise _unreadable("sealed for an RSA key; this key is not RSA")
        if len(envelope) < 4:
            raise _malformed("truncated before the wrapped key")
        (size,) = struct.unpack(">H", envelope[2:4])
        wrapped, rest = envelope[4:4 + size], envelope[4 + size:]
        if len(wrapped) != size:
            raise _malformed("truncated in the wrapped key")
        try:
            key = private_key.decrypt(wrapped, _oaep(_info(_RSA, client_id)))
        except ValueError:
            raise _unreadable("the data key does not unwrap with this key") from None
        if len(key) != 32:
            raise _unreadable("the unwrapped data key is not 32 bytes")
    else:
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise _unreadable("sealed for an EC key; this key is not EC")
        mine, curve, size = _ec_scheme(private_key)
        if mine != scheme:
            raise _unreadable("sealed for another curve than this key's")
        point, rest = envelope[2:2 + size], envelope[2 + size:]
        if len(point) != size:
            raise _malformed("truncated in the ephemeral key")
        try:
            ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(curve(), point)
        except ValueError:
            raise _unreadable("the ephemeral key is not a point of the curve") from None
        shared = private_key.exchange(ec.ECDH(), ephemeral)
        key = _derive(shared, _info(scheme, client_id, point, _point(private_key.public_key())))
    if len(rest) < _NONCE + _TAG:
        raise _malformed("truncated before the end of the tag")
    try:
        return AESGCM(key).decrypt(rest[:_NONCE], rest[_NONCE:], header)
    except InvalidTag:
        raise _unreadable("authentication failed: header or envelope altered, or "
                          "sealed for another workstation") from None
