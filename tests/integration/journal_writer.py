"""A child process for the power-cut tests: appends sealed records for ever, says each one once committed.

``python journal_writer.py DB PUBLIC_KEY_PEM`` prints ``ready``, then for each append
``stored SEQ`` (after ``append`` returned: committed, synced), and every 7th time
acknowledges the oldest record, saying ``acking SEQ`` first (a kill may come between
the acknowledgement's commit and any line after it). The parent SIGKILLs it at
random moments and checks that everything said is true afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from borne.journal.service import padded
from borne.journal.store import JournalStore, Recipient, Stamp


def main() -> None:
    store = JournalStore(Path(sys.argv[1]))
    recipient = Recipient("ws-a", load_pem_public_key(Path(sys.argv[2]).read_bytes()))
    stamp = Stamp(mono_ns=1, wall="2026-01-01T00:00:00.000+00:00", wall_synced=False,
                  wall_source="none", created=1_767_225_600)
    body = padded({"kind": "vitale", "card": {"beneficiaries": [{"surname": "X" * 40}] * 3}})
    print("ready", flush=True)
    n = 0
    while True:
        (record,) = store.append("vitale", [recipient], body, stamp, "boot")
        print(f"stored {record.header.seq}", flush=True)
        n += 1
        if n % 7 == 0:
            (oldest,) = store.records("ws-a", limit=1)
            print(f"acking {oldest.header.seq}", flush=True)
            store.ack("ws-a", [oldest.header.seq], now=0)


if __name__ == "__main__":
    main()
