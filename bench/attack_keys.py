"""Issue 16, items 9-10: a thief with the SD card, against the box's keys and its offline journal.

Each figure next to a baseline measured in the same run:

1. the journal's append then open on the workstation, per record, signed and checked (what the
   box does now) against the same without signatures (before): p50/p99, goal p99 under 2x;
2. records forged into ``journal.db`` with sqlite3 (sealed for the workstation, whose public key
   is no secret): how many the workstation's reader refuses (goal: all), and how many the
   same reader without the CA check would have opened (the baseline: all);
3. private keys in clear in a copied data directory: the box's own keys as they are now (goal 0)
   against the same CA written as before issue 16 (2: ``ca.key`` and ``server.key``).

No root needed, no pcscd: the journal store and the CA on this machine's disk
(``/var/tmp``, so fsync reaches the device). ``python bench/attack_keys.py``.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from _common import percentile

from support.journal_writer import STAMP_ARGS, vitale_body

__all__ = ["run"]


def _item(record) -> dict:
    return {"seq": record.header.seq, "kind": record.header.kind,
            "header": record.header_bytes.decode("ascii"),
            "envelope_b64": base64.b64encode(record.envelope).decode("ascii"),
            "signature_b64": (base64.b64encode(record.signature).decode("ascii")
                              if record.signature is not None else None)}


def _round_trips(work: Path, n: int) -> tuple[list[float], list[float], object, object, object]:
    """Append + open, unsigned (baseline) and signed, interleaved; ms per record."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from borne.client.journal_reader import JournalReader
    from borne.journal.signature import signer
    from borne.journal.store import JournalStore, Recipient, Stamp
    from borne.secure_channel.ca import BoxCA
    from borne.secure_channel.key_source import FileKeySource

    (work / "box").mkdir()
    ca = BoxCA.load_or_create(work / "box", keys=FileKeySource(work / "board-secret.twin"))
    key = ec.generate_private_key(ec.SECP256R1())
    recipient = Recipient("ws-a", key.public_key())
    body, stamp = vitale_body(), Stamp(**STAMP_ARGS)
    plain = JournalStore(work / "unsigned.db")
    signed = JournalStore(work / "box" / "journal.db",
                          sign=signer(ca.sign, ca.fingerprint_sha256))
    before, after = JournalReader(key, "ws-a"), JournalReader(key, "ws-a", ca.certificate)
    times: dict[str, list[float]] = {"unsigned": [], "signed": []}
    for i in range(n + 10):
        for label, store, reader in (("unsigned", plain, before), ("signed", signed, after)):
            start = time.perf_counter()
            (record,) = store.append("vitale", [recipient], body, stamp, "boot")
            reader.open(_item(record))
            if i >= 10:  # warm-up: page cache, WAL grown
                times[label].append((time.perf_counter() - start) * 1000)
    plain.close()
    return times["unsigned"], times["signed"], signed, (before, after), ca


def _forge(store, readers, count: int) -> tuple[int, int]:
    """``count`` records sealed for ws-a inserted with sqlite3; (refused now, opened before)."""
    from borne.journal.crypto import seal
    from borne.journal.errors import JournalError
    from borne.journal.header import RecordHeader

    public = readers[0]._key.public_key()
    with sqlite3.connect(store.path) as db:
        for seq in range(1_000_000, 1_000_000 + count):
            header = RecordHeader(seq=seq, read_id=seq, client_id="ws-a", kind="vitale", mono_ns=1,
                                  boot_id="forged", wall="2026-01-01T00:00:00.000+00:00",
                                  wall_synced=True, wall_source="ntp", created=1_767_225_600)
            envelope = seal(public, header.to_bytes(), vitale_body(), client_id="ws-a")
            db.execute("INSERT INTO records (seq, read_id, client_id, kind, mono_ns, boot_id, wall, "
                       "wall_synced, wall_source, created, header, envelope) VALUES "
                       "(?, ?, 'ws-a', 'vitale', 1, 'forged', ?, 1, 'ntp', ?, ?, ?)",
                       (seq, seq, header.wall, header.created, header.to_bytes(), envelope))
    forged = store.records("ws-a", after=999_999, limit=count)
    refused = opened_before = 0
    for record in forged:
        try:
            readers[1].open(_item(record))
        except JournalError:
            refused += 1
        readers[0].open(_item(record))
        opened_before += 1
    return refused, opened_before


def _clear_keys(directory: Path) -> int:
    markers = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN EC PRIVATE KEY-----")
    return sum(any(m in p.read_bytes() for m in markers) for p in directory.iterdir() if p.is_file())


def run(quick: bool = False) -> list[str]:
    """Measure (module docstring); the printed lines."""
    from borne.secure_channel.ca import BoxCA

    n, forged = (200, 50) if quick else (2000, 500)
    with tempfile.TemporaryDirectory(prefix="borne-attack-keys-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        unsigned, signed, store, readers, ca = _round_trips(work, n)
        refused, opened_before = _forge(store, readers, forged)
        store.close()
        ca.ensure_server_cert(["borne"], ["127.0.0.1"])
        (work / "old").mkdir()
        BoxCA.load_or_create(work / "old").ensure_server_cert(["borne"], ["127.0.0.1"])
        now, before = _clear_keys(work / "box"), _clear_keys(work / "old")
    p99 = percentile(signed, 99)
    base99 = percentile(unsigned, 99)
    return [
        f"journal append + open on the workstation, signed and checked: "
        f"p50={statistics.median(signed):.3f} ms p99={p99:.3f} ms (unsigned baseline "
        f"p50={statistics.median(unsigned):.3f} ms p99={base99:.3f} ms; n={n}; goal p99 < 2x: "
        f"{p99 / base99:.2f}x)",
        f"records forged into journal.db with sqlite3: {refused}/{forged} refused by the SDK "
        f"(baseline without the check: {opened_before}/{forged} opened; goal: all refused)",
        f"private keys in clear in a copy of the data directory: {now} (before issue 16: "
        f"{before}; goal 0)",
        f"wrapped key file opened at start: +{_load_cost(os.urandom(32)):.2f} ms over a clear one",
    ]


def _load_cost(secret: bytes) -> float:
    """Extra ms to open a wrapped key file (PBKDF2 at 2048 rounds) than a clear one, median."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from borne.secure_channel.key_source import wrapping_password

    key = ec.generate_private_key(ec.SECP256R1())
    password = wrapping_password(secret, "ca.key")
    fmt = (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8)
    wrapped = key.private_bytes(*fmt, serialization.BestAvailableEncryption(password))
    clear = key.private_bytes(*fmt, serialization.NoEncryption())

    def median(data: bytes, password: bytes | None) -> float:
        times = []
        for _ in range(31):
            start = time.perf_counter()
            serialization.load_pem_private_key(data, password)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    return median(wrapped, password) - median(clear, None)


if __name__ == "__main__":
    print("\n".join(run()))
