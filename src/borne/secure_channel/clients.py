"""Paired workstations, kept in SQLite: who they are, which certificate, revoked or not.

Only public facts are stored (id, name, certificate serial, fingerprint,
expiry, and the certificate itself, whose public key the offline journal seals
records for): the box never sees a workstation's private key. A revoked client keeps
its row (for the audit trail and ``GET /v1/clients``) with ``revoked_at`` set;
the API checks :meth:`ClientRegistry.is_authorised` on every request, so a
revocation takes effect at once without a CRL.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..runtime.clock import Clock

__all__ = ["ClientRecord", "ClientRegistry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id          TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    serial             TEXT NOT NULL,     -- hex: serials are up to 159 bits, beyond SQLite INTEGER
    admin              INTEGER NOT NULL,
    not_after          TEXT NOT NULL,
    fingerprint_sha256 TEXT NOT NULL,
    paired_at          TEXT NOT NULL,
    revoked_at         TEXT
)
"""
_COLUMNS = "client_id, name, serial, admin, not_after, fingerprint_sha256, paired_at, revoked_at"


@dataclass(frozen=True)
class ClientRecord:
    """One paired workstation as the registry knows it."""

    client_id: str
    name: str
    serial: int
    admin: bool
    not_after: str
    fingerprint_sha256: str
    paired_at: str
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        """Whether the client has been revoked."""
        return self.revoked_at is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the serial as hex (a 159-bit integer does not survive JavaScript)."""
        data = asdict(self)
        data["serial"] = format(self.serial, "x")
        data["revoked"] = self.revoked
        return data

    @classmethod
    def _from_row(cls, row: tuple[Any, ...]) -> ClientRecord:
        client_id, name, serial, admin, not_after, fingerprint, paired_at, revoked_at = row
        return cls(client_id, name, int(serial, 16), bool(admin), not_after, fingerprint,
                   paired_at, revoked_at)


class ClientRegistry:
    """The paired clients in ``db_path`` (created if missing). Safe to call from several threads."""

    def __init__(self, db_path: Path, *, clock: Clock | None = None) -> None:
        self._clock = clock or Clock()
        self._lock = threading.Lock()
        # One connection shared under a lock: calls are rare and tiny, and SQLite
        # objects must not be used by two threads at once.
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a pairing or a revocation acknowledged to a person survives a power cut.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
            # Added with the offline journal; a registry made before gets the column.
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(clients)")]
            if "certificate" not in columns:
                self._db.execute("ALTER TABLE clients ADD COLUMN certificate TEXT")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add(self, *, client_id: str, name: str, serial: int, admin: bool, not_after: datetime | str,
            fingerprint_sha256: str, certificate_pem: bytes | None = None) -> ClientRecord:
        """Record a newly paired client (``ClientIdentity`` fields: ``add(**asdict(identity))``).

        Raises ``ValueError`` if ``client_id`` is already known: ids are never reused.
        """
        expiry = not_after.isoformat() if isinstance(not_after, datetime) else not_after
        record = ClientRecord(client_id, name, int(serial), bool(admin), expiry,
                              fingerprint_sha256, self._clock.wall().iso, None)
        try:
            with self._lock:
                self._db.execute(f"INSERT INTO clients ({_COLUMNS}, certificate) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 (client_id, name, format(record.serial, "x"), int(admin), expiry,
                                  fingerprint_sha256, record.paired_at, None,
                                  certificate_pem.decode("ascii") if certificate_pem else None))
        except sqlite3.IntegrityError:
            raise ValueError(f"client {client_id!r} is already registered") from None
        return record

    def add_certificate(self, certificate: Any, *, client_id: str, name: str) -> ClientRecord:
        """Record the client named by a ``cryptography`` certificate the box CA just issued.

        The name stored is the certificate's (sanitised) CN; ``name`` is the fallback.
        """
        from cryptography.hazmat.primitives.serialization import Encoding

        from .tls import peer_identity

        identity = peer_identity(certificate.public_bytes(Encoding.DER))
        if identity is None or identity.client_id != client_id:
            raise ValueError("the certificate does not name this client_id")
        return self.add(client_id=client_id, name=identity.name or name, serial=identity.serial,
                        admin=identity.admin, not_after=identity.not_after,
                        fingerprint_sha256=identity.fingerprint_sha256,
                        certificate_pem=certificate.public_bytes(Encoding.PEM))

    def certificate(self, client_id: str) -> bytes | None:
        """The PEM certificate of ``client_id`` (None: unknown, or paired before it was kept)."""
        with self._lock:
            row = self._db.execute("SELECT certificate FROM clients WHERE client_id = ?",
                                   (client_id,)).fetchone()
        return row[0].encode("ascii") if row and row[0] else None

    def remember_certificate(self, client_id: str, serial: int, certificate_pem: bytes) -> bool:
        """Keep the certificate of a client paired before certificates were kept.

        Only when none is on file and ``serial`` is the one paired: the caller
        passes the certificate the client has just presented over verified TLS.
        """
        with self._lock:
            cursor = self._db.execute(
                "UPDATE clients SET certificate = ? WHERE client_id = ? AND serial = ? "
                "AND certificate IS NULL",
                (certificate_pem.decode("ascii"), client_id, format(int(serial), "x")))
        return cursor.rowcount == 1

    def get(self, client_id: str) -> ClientRecord | None:
        """The client ``client_id``, revoked or not; ``None`` if unknown."""
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM clients WHERE client_id = ?",
                                   (client_id,)).fetchone()
        return ClientRecord._from_row(row) if row else None

    def list(self) -> list[ClientRecord]:
        """Every client ever paired, revoked ones included, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM clients ORDER BY paired_at, client_id").fetchall()
        return [ClientRecord._from_row(row) for row in rows]

    def revoke(self, client_id: str) -> bool:
        """Revoke ``client_id`` (idempotent): True if the client is known, False if not."""
        with self._lock:
            self._db.execute("UPDATE clients SET revoked_at = ? WHERE client_id = ? "
                             "AND revoked_at IS NULL", (self._clock.wall().iso, client_id))
            row = self._db.execute("SELECT 1 FROM clients WHERE client_id = ?",
                                   (client_id,)).fetchone()
        return row is not None

    def active_admins(self) -> list[str]:
        """The admin workstations that can still call the box: not revoked, certificate not
        expired by the box's clock (the ids; oldest first)."""
        now = self._clock.time()
        return [record.client_id for record in self.list()
                if record.admin and not record.revoked
                and datetime.fromisoformat(record.not_after).timestamp() > now]

    def is_authorised(self, client_id: str, serial: int) -> bool:
        """True when ``client_id`` is known, not revoked, and ``serial`` is its certificate's."""
        with self._lock:
            row = self._db.execute("SELECT serial FROM clients WHERE client_id = ? "
                                   "AND revoked_at IS NULL", (client_id,)).fetchone()
        return row is not None and int(row[0], 16) == serial

    def count(self, *, include_revoked: bool = False) -> int:
        """How many clients may connect (or were ever paired, with ``include_revoked``)."""
        query = "SELECT COUNT(*) FROM clients" + ("" if include_revoked else
                                                   " WHERE revoked_at IS NULL")
        with self._lock:
            return int(self._db.execute(query).fetchone()[0])
