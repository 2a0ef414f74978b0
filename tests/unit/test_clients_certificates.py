"""The client registry keeps each workstation's certificate (public), for the offline journal."""

from __future__ import annotations

import sqlite3

from cryptography.hazmat.primitives.serialization import Encoding

from borne.client.pairing import make_key_and_csr
from borne.secure_channel.ca import BoxCA
from borne.secure_channel.clients import ClientRegistry

OLD_SCHEMA = """CREATE TABLE clients (
    client_id TEXT PRIMARY KEY, name TEXT NOT NULL, serial TEXT NOT NULL, admin INTEGER NOT NULL,
    not_after TEXT NOT NULL, fingerprint_sha256 TEXT NOT NULL, paired_at TEXT NOT NULL,
    revoked_at TEXT)"""


def _certificate(tmp_path, client_id):
    _, csr = make_key_and_csr(client_id)
    return BoxCA.load_or_create(tmp_path).issue_client_cert(csr, client_id=client_id, name="x")


def test_pairing_keeps_the_certificate(tmp_path):
    cert = _certificate(tmp_path, "ws-1")
    registry = ClientRegistry(tmp_path / "clients.db")
    registry.add_certificate(cert, client_id="ws-1", name="x")
    assert registry.certificate("ws-1") == cert.public_bytes(Encoding.PEM)
    assert registry.certificate("ws-unknown") is None
    registry.close()


def test_a_registry_from_before_gets_the_column_and_learns_certificates_safely(tmp_path):
    db = sqlite3.connect(tmp_path / "clients.db")
    db.execute(OLD_SCHEMA)
    cert = _certificate(tmp_path, "ws-1")
    db.execute("INSERT INTO clients VALUES ('ws-1', 'Poste', ?, 0, '2030', 'ff', '2025', NULL)",
               (format(cert.serial_number, "x"),))
    db.commit()
    db.close()
    registry = ClientRegistry(tmp_path / "clients.db")
    assert registry.get("ws-1").name == "Poste" and registry.certificate("ws-1") is None
    pem = cert.public_bytes(Encoding.PEM)
    assert not registry.remember_certificate("ws-1", cert.serial_number + 1, pem)  # not its serial
    assert registry.certificate("ws-1") is None
    assert registry.remember_certificate("ws-1", cert.serial_number, pem)
    assert registry.certificate("ws-1") == pem
    other = _certificate(tmp_path, "ws-1").public_bytes(Encoding.PEM)
    assert not registry.remember_certificate("ws-1", cert.serial_number, other)  # never replaced
    assert registry.certificate("ws-1") == pem
    registry.close()
