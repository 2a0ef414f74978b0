"""The attack suite's figures (issue 16): every attack against a baseline measured in the same run.

Each attack is one module, ``bench/attack_<topic>.py``, whose ``run(quick)`` measures its
baseline first and then the same figure under attack, and returns the lines to print, each with
the issue's goal. This driver runs every module in a fresh interpreter of its own: each starts
its own box in its own private namespaces (pcscd socket, network), which one process can make
only once.

Run as root: ``.venv/bin/python bench/attacks.py [--quick] [topic ...]``
(``--quick``: about a minute per attack, with smaller counts that each line states).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The attacks, in the order of the issue's list.
TOPICS = ("unauthenticated", "slow_connections", "pairing_window", "clock_forward", "wrong_pins",
          "keys", "update_bundles")

# Isolated before the module loads (while single-threaded): a private /run/pcscd and loopback,
# so no attack reaches the machine's pcscd or network. Both calls are idempotent: a module that
# starts its own private pcscd (bench/_common.private_pcscd) isolates again, harmlessly.
_RUN_ONE = ("import sys; sys.path.insert(0, sys.argv[1]); import importlib, _common; "
            "from borne.sim.namespace import isolate_network, isolate_pcscd_socket; "
            "isolate_pcscd_socket(); isolate_network(); "
            "module = importlib.import_module('attack_' + sys.argv[2]); "
            "print('\\n'.join(module.run(quick=sys.argv[3] == '1')), flush=True)")


def run_topic(topic: str, quick: bool) -> tuple[int, float]:
    """Run one attack module in its own interpreter, its lines going to our stdout."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _RUN_ONE, str(HERE), topic, "1" if quick else "0"],
                          cwd=HERE.parent)
    return done.returncode, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Run the attacks named (all by default); exit 1 if one of them failed to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, about a minute each")
    parser.add_argument("topics", nargs="*", metavar="topic",
                        help=f"some of: {', '.join(TOPICS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.topics) - set(TOPICS))
    if unknown:
        parser.error(f"unknown attack(s): {', '.join(unknown)}; known: {', '.join(TOPICS)}")
    failed = []
    for topic in args.topics or TOPICS:
        print(f"== {topic}", flush=True)
        code, seconds = run_topic(topic, args.quick)
        print(f"   ({seconds:.0f} s{'' if code == 0 else f', FAILED with exit code {code}'})",
              flush=True)
        if code != 0:
            failed.append(topic)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
