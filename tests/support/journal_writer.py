"""A journal writer to SIGKILL, for the power-cut test and bench: it says each record once committed.

Run as a child process (``python tests/support/journal_writer.py DB PUBLIC_KEY_PEM [--ack-every N]``):
it opens the journal (printing ``corrupt NAME`` if the store had to set a damaged file
aside), prints ``ready``, then appends sealed carte Vitale records for ever, printing
``stored SEQ`` after each ``append`` returned (committed, synced). Every N-th time it
acknowledges the oldest record, printing ``acking SEQ`` first (a kill may come between
the acknowledgement's commit and any line after it). The parent SIGKILLs it at random
moments and checks that everything said is true afterwards.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["PATH", "STAMP_ARGS", "main", "vitale_body"]

#: This file, to run as a child process.
PATH = __file__

#: A fixed stamp: the records' times do not matter to a power-cut test.
STAMP_ARGS = dict(mono_ns=1, wall="2026-01-01T00:00:00.000+00:00", wall_synced=False,
                  wall_source="none", created=1_767_225_600)


def vitale_body() -> bytes:
    """A journal plaintext shaped like a decoded carte Vitale of three beneficiaries (test data)."""
    from borne.journal.service import padded

    people = [{"surname": "LECLERC-TEST", "first_name": "JEAN", "birth_date": "1978-11-02",
               "birth_date_lunar": False, "nir": "178112B00401746", "nir_key_valid": True,
               "nir_kind": "nir"}] * 3
    return padded({"kind": "vitale", "slot": "borne-sim-00-00",
                   "card": {"type": "vitale", "generation": 2, "atr": "3B 95", "beneficiaries": people}})


def main(argv: list[str] | None = None) -> None:
    """Append and say so until killed (see the module docstring)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from borne.journal.store import JournalStore, Recipient, Stamp

    parser = argparse.ArgumentParser(prog="journal_writer.py")
    parser.add_argument("db", type=Path)
    parser.add_argument("public_key", type=Path, help="the workstation's public key (PEM)")
    parser.add_argument("--ack-every", type=int, default=7)
    args = parser.parse_args(argv)
    store = JournalStore(args.db)
    if store.set_aside is not None:
        print(f"corrupt {store.set_aside.name}", flush=True)
    recipient = Recipient("ws-a", load_pem_public_key(args.public_key.read_bytes()))
    body, stamp = vitale_body(), Stamp(**STAMP_ARGS)
    print("ready", flush=True)
    n = 0
    while True:
        (record,) = store.append("vitale", [recipient], body, stamp, "boot")
        print(f"stored {record.header.seq}", flush=True)
        n += 1
        if n % args.ack_every == 0:
            (oldest,) = store.records("ws-a", limit=1)
            print(f"acking {oldest.header.seq}", flush=True)
            store.ack("ws-a", [oldest.header.seq], now=0)


if __name__ == "__main__":
    main()
