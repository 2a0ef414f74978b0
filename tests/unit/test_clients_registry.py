"""Paired clients in SQLite: add, list, revoke, authorise, and it all survives a restart."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict
from datetime import datetime, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from borne.secure_channel.ca import BoxCA
from borne.secure_channel.clients import ClientRegistry
from borne.secure_channel.tls import ClientIdentity

BIG_SERIAL = (1 << 158) + 12345  # certificate serials go beyond SQLite's 64-bit integers


def identity(client_id: str = "ws-1", serial: int = BIG_SERIAL, admin: bool = False) -> ClientIdentity:
    return ClientIdentity(client_id=client_id, name="Comptoir 1", serial=serial, admin=admin,
                          not_after=datetime(2028, 1, 1, tzinfo=timezone.utc),
                          fingerprint_sha256="ab" * 32)


@pytest.fixture
def registry(tmp_path):
    reg = ClientRegistry(tmp_path / "clients.db")
    yield reg
    reg.close()


def test_add_get_list_count(registry):
    record = registry.add(**asdict(identity()))
    assert registry.get("ws-1") == record and record.serial == BIG_SERIAL
    registry.add(**asdict(identity("ws-2", 7, admin=True)))
    assert [r.client_id for r in registry.list()] == ["ws-1", "ws-2"]
    assert registry.count() == 2 and registry.get("nope") is None
    data = record.to_dict()
    assert data["serial"] == format(BIG_SERIAL, "x") and data["revoked"] is False
    assert data["not_after"].startswith("2028-01-01") and data["paired_at"]
    json.dumps(data)
    with pytest.raises(ValueError):
        registry.add(**asdict(identity()))


def test_authorised_only_with_the_right_serial_and_not_revoked(registry):
    registry.add(**asdict(identity()))
    assert registry.is_authorised("ws-1", BIG_SERIAL)
    assert not registry.is_authorised("ws-1", BIG_SERIAL + 1)  # an older/other certificate
    assert not registry.is_authorised("ws-9", BIG_SERIAL)
    assert registry.revoke("ws-1") is True
    first = registry.get("ws-1").revoked_at
    assert first and registry.get("ws-1").revoked
    assert not registry.is_authorised("ws-1", BIG_SERIAL)
    assert registry.revoke("ws-1") is True and registry.get("ws-1").revoked_at == first
    assert registry.revoke("ws-9") is False
    assert registry.count() == 0 and registry.count(include_revoked=True) == 1
    assert [r.client_id for r in registry.list()] == ["ws-1"]  # kept for the record


def test_survives_reopen_with_wal_and_full_sync(tmp_path):
    path = tmp_path / "clients.db"
    reg = ClientRegistry(path)
    reg.add(**asdict(identity()))
    reg.add(**asdict(identity("ws-2", 2)))
    reg.revoke("ws-2")
    reg.close()
    again = ClientRegistry(path)
    assert again.is_authorised("ws-1", BIG_SERIAL) and again.get("ws-2").revoked
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert again._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    again.close()


def test_no_key_material_is_stored(tmp_path):
    ca = BoxCA.load_or_create(tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    cert = ca.issue_client_cert(csr, client_id="ws-7", name="Poste infirmier", admin=True)
    reg = ClientRegistry(tmp_path / "clients.db")
    record = reg.add_certificate(cert, client_id="ws-7", name="ignored")
    assert record.admin and record.name == "Poste infirmier"
    assert reg.is_authorised("ws-7", cert.serial_number)
    with pytest.raises(ValueError):
        reg.add_certificate(cert, client_id="ws-8", name="x")
    reg.close()
    db = sqlite3.connect(tmp_path / "clients.db")
    columns = [row[1] for row in db.execute("PRAGMA table_info(clients)")]
    assert not [c for c in columns if "key" in c or "pem" in c]
    # The certificate is kept (the offline journal seals for its public key): public, never a key.
    (stored,) = db.execute("SELECT certificate FROM clients").fetchone()
    assert stored.encode() == cert.public_bytes(serialization.Encoding.PEM)
    assert "PRIVATE" not in " ".join(str(v) for v in db.execute("SELECT * FROM clients").fetchone())
    db.close()
    assert set(record.to_dict()) == {"client_id", "name", "serial", "admin", "not_after",
                                     "fingerprint_sha256", "paired_at", "revoked_at", "revoked"}


def test_usable_from_several_threads(registry):
    def work(n: int) -> None:
        for i in range(20):
            registry.add(**asdict(identity(f"ws-{n}-{i}", i)))
            assert registry.is_authorised(f"ws-{n}-{i}", i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.count() == 80


def test_active_admins_are_the_admins_not_revoked_nor_expired(tmp_path):
    from borne.runtime.clock import Clock

    now = [datetime(2027, 6, 1, tzinfo=timezone.utc).timestamp()]
    clock = Clock(kernel_synced=lambda: True, kernel_time=lambda: now[0],
                  earliest=datetime(2026, 11, 1, tzinfo=timezone.utc))
    registry = ClientRegistry(tmp_path / "clients.db", clock=clock)
    registry.add(**asdict(identity("ws-plain")))
    registry.add(**asdict(identity("ws-a", 2, admin=True)))
    registry.add(**{**asdict(identity("ws-b", 3, admin=True)),
                    "not_after": datetime(2027, 1, 1, tzinfo=timezone.utc)})  # expired
    registry.add(**asdict(identity("ws-c", 4, admin=True)))
    assert registry.active_admins() == ["ws-a", "ws-c"]
    registry.revoke("ws-c")
    assert registry.active_admins() == ["ws-a"]
    now[0] = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()  # before ws-b's expiry
    assert registry.active_admins() == ["ws-a", "ws-b"]
    registry.close()
