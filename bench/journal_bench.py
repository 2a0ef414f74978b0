"""The offline journal's figures, each next to a baseline measured in the same run.

1. append (encrypted, synchronous: ``synchronous=FULL``, on this machine's disk) per record:
   median and p99, for 1 and 2 paired workstations, next to the same append unencrypted and
   to the audit journal's append (also WAL + FULL, hash-chained); and ``seal`` alone; the
   append signed by the box's CA key as the daemon does (issue 16), and ``sign``/``verify``
   alone;
2. 10,000 records collected and acknowledged through the API (mTLS, pages of 1000,
   decrypted on the "workstation", a separate process): total time, and the share spent
   decrypting;
3. crash loop: a writer process appending (and acknowledging) is SIGKILLed ``--kills`` times
   (default 200) at random moments: records announced as stored but missing afterwards
   (goal 0), and databases found corrupted at any reopen (goal 0).

Run as root (a private pcscd and network namespace for part 2):
``.venv/bin/python bench/journal_bench.py [--appends 2000] [--collect 10000] [--kills 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import private_pcscd, summary

from support import journal_writer
from support.journal_writer import STAMP_ARGS, vitale_body



# -- 1. append ------------------------------------------------------------------------------

class _Plain:
    """The baseline recipient: the same append, the plaintext stored as is."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def seal(self, header: bytes, plaintext: bytes) -> bytes:
        return plaintext


def bench_append(work: Path, n: int) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from borne.audit.trail import AuditTrail
    from borne.runtime.clock import Clock
    from borne.journal.crypto import seal
    from borne.journal.signature import signer, verify
    from borne.journal.store import JournalStore, Recipient, Stamp
    from borne.secure_channel.ca import BoxCA

    body, stamp = vitale_body(), Stamp(**STAMP_ARGS)
    (work / "ca").mkdir()
    ca = BoxCA.load_or_create(work / "ca")
    sign = signer(ca.sign, ca.fingerprint_sha256)
    signature = sign(b"h" * 200, body)
    keys = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(2)]
    sealed = [Recipient(f"ws-{i}", key) for i, key in enumerate(keys)]
    plain = [_Plain(f"ws-{i}") for i in range(2)]

    def timed(actions: dict) -> dict[str, list[float]]:
        """Each action ``n`` times, interleaved, so that the disk's moods hit them alike."""
        for _ in range(20):  # warm-up: page cache, WAL files grown
            for action in actions.values():
                action()
        values: dict[str, list[float]] = {label: [] for label in actions}
        for _ in range(n):
            for label, action in actions.items():
                start = time.perf_counter()
                action()
                values[label].append((time.perf_counter() - start) * 1000)
        for label, measured in values.items():
            print(summary(label, measured))
        return values

    print(f"\n1. append, {n} records each, {len(body)}-byte plaintext, WAL + synchronous=FULL on "
          f"{work} (ext4); the actions interleaved")
    stores = []

    def appender(name: str, recipients: list, signing: object = None) -> object:
        store = JournalStore(work / f"{name}.db", sign=signing)
        stores.append(store)
        return lambda: store.append("vitale", recipients, body, stamp, "boot")

    audit = AuditTrail(work / "audit.db", Clock())
    results = timed({
        "append sealed, 1 workstation": appender("sealed-1", sealed[:1]),
        "append clear, 1 ws (baseline)": appender("clear-1", plain[:1]),
        "append sealed+signed, 1 workstation": appender("signed-1", sealed[:1], sign),
        "append sealed, 2 workstations": appender("sealed-2", sealed),
        "append clear, 2 ws (baseline)": appender("clear-2", plain),
        "audit journal record() (baseline)": lambda: audit.record(
            client_id="ws-0", action="GET /v1/readers", resource="/v1/readers", status=200),
        "seal() alone, P-256 (no disk)": lambda: seal(keys[0], b"h" * 200, body, client_id="ws"),
        "sign() alone, CA key P-256 (no disk)": lambda: sign(b"h" * 200, body),
        "verify() alone, workstation (no disk)": lambda: verify(ca.certificate, b"h" * 200, body,
                                                               signature),
    })
    for store in stores:
        store.close()
    audit.close()
    results = {label.replace("append ", ""): v for label, v in results.items()}
    results["audit"] = results.pop("audit journal record() (baseline)")
    m = {k: statistics.median(v) for k, v in results.items()}
    print(f"ratio sealed/clear (median), 1 workstation: "
          f"{m['sealed, 1 workstation'] / m['clear, 1 ws (baseline)']:.2f}; "
          f"2 workstations: {m['sealed, 2 workstations'] / m['clear, 2 ws (baseline)']:.2f}; "
          f"sealed (1 ws)/audit record: {m['sealed, 1 workstation'] / m['audit']:.2f}; "
          f"signed/sealed (1 ws): {m['sealed+signed, 1 workstation'] / m['sealed, 1 workstation']:.2f}")


# -- 2. collection through the API ----------------------------------------------------------

def _collector(folder: str, base: str, out) -> None:
    from borne.client.api import BoxClient, mtls_context
    from borne.client.store import WorkstationFiles
    from borne.client.journal_reader import JournalReader

    async def main() -> dict:
        reader = JournalReader.from_directory(folder)
        decrypting = 0.0
        count = pages = 0
        start = time.perf_counter()
        async with BoxClient(base, mtls_context(WorkstationFiles(Path(folder))),
                             timeout=120) as box:
            while records := await box.journal(limit=1000):
                t = time.perf_counter()
                opened = [reader.open(r) for r in records]
                decrypting += time.perf_counter() - t
                assert all(o.body["kind"] == "vitale" for o in opened)
                await box.ack([r["seq"] for r in records])
                count += len(records)
                pages += 1
        return {"records": count, "pages": pages, "total_s": time.perf_counter() - start,
                "decrypt_s": decrypting}

    out.put(asyncio.run(main()))


async def bench_collect(work: Path, n: int) -> None:
    from support.box import paired, running_box, url

    from borne.journal.crypto import public_key_of
    from borne.journal.store import Recipient, Stamp

    async with running_box(work) as box:
        ws = await paired(box, work / "ws", "Tablette")
        recipient = Recipient(ws.client_id, public_key_of(
            box.api_context.clients.certificate(ws.client_id)))
        body, stamp = vitale_body(), Stamp(**STAMP_ARGS)
        store = box.journal._store
        fill = time.perf_counter()

        def fill_all() -> None:
            for _ in range(n):
                store.append("vitale", [recipient], body, stamp, "boot")

        await box.journal._run(fill_all)  # on the journal's own thread, as the daemon does
        fill = time.perf_counter() - fill
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        child = ctx.Process(target=_collector, args=(str(work / "ws"), url(box), out))
        child.start()
        result = await asyncio.get_running_loop().run_in_executor(None, out.get)
        child.join()
        left = await box.journal._run(store.waiting, ws.client_id)
    print(f"\n2. {n} records (filled in {fill:.1f} s) collected through the API over mTLS, "
          f"pages of 1000, decrypted in another process, acknowledged page by page")
    print(f"   total {result['total_s']:.2f} s for {result['records']} records in "
          f"{result['pages']} pages ({result['records'] / result['total_s']:.0f} records/s); "
          f"decrypting {result['decrypt_s']:.2f} s of it; left on the box: {left}")


# -- 3. crash loop --------------------------------------------------------------------------

def bench_crash(work: Path, kills: int) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.generate_private_key(ec.SECP256R1())
    pem = work / "public.pem"
    pem.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    db = work / "crash.db"
    rng = random.Random(200)
    stored, acking, corrupt = [], set(), []
    lost_total = 0
    bad_checks = 0
    started = time.perf_counter()
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, journal_writer.PATH, str(db),
                                  str(pem), "--ack-every", "5"],
                                 stdout=subprocess.PIPE, text=True)
        while (line := child.stdout.readline().strip()) != "ready":
            if line.startswith("corrupt"):
                corrupt.append(line)
            if not line:
                raise SystemExit("the writer died before it was ready")
        time.sleep(rng.uniform(0.0, 0.1))
        child.send_signal(signal.SIGKILL)
        child.wait()
        for line in child.stdout.read().splitlines():
            what, _, seq = line.partition(" ")
            if what == "stored":
                stored.append(int(seq))
            elif what == "acking":
                acking.add(int(seq))
        child.stdout.close()
        # After each power cut: the file is sound, and everything announced is in it.
        check = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        bad_checks += check.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        present = {row[0] for row in check.execute("SELECT seq FROM records")}
        check.close()
        lost_total = len([s for s in stored if s not in acking and s not in present])
    elapsed = time.perf_counter() - started
    print(f"\n3. crash loop: {kills} SIGKILLs of a writer mid-write ({elapsed:.0f} s); "
          f"{len(stored)} records announced, {len(acking)} acknowledgements begun")
    print(f"   records lost: {lost_total} (goal 0); corrupted databases: "
          f"{len(corrupt) + bad_checks} (goal 0: {len(corrupt)} set aside at reopen, "
          f"{bad_checks} failed integrity_check)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--collect", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--append-only", action="store_true", help="part 1 only")
    args = parser.parse_args()
    # On the machine's disk, not a tmpfs: fsync must really reach the device.
    with tempfile.TemporaryDirectory(prefix="borne-journal-bench-", dir="/var/tmp") as work:
        bench_append(Path(work), args.appends)
        if args.append_only:
            return
        bench_crash(Path(work), args.kills)
        with private_pcscd():
            asyncio.run(bench_collect(Path(work) / "api", args.collect))


if __name__ == "__main__":
    main()
