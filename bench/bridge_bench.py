"""The workstation bridge on loopback: APDU round trips and whole carte Vitale reads.

Through the bridge: a plain pyscard program on the "workstation" (its own pcscd
with vsmartcard's vpcd driver, in its own mount namespace) -> vpcd -> ``borne
bridge`` -> the box's mTLS APDU channel (WebSocket) -> the box's pcscd -> the
virtual card. Baseline, measured in the same run: the same program straight on
the box's pcscd and the same virtual card. Goal: a whole read at most 2x local.

Two runs: the virtual card as it is (it answers in ~0.1 ms, far faster than any
real card), then the same card held to the time its bytes would take on a real
card's contacts at the speed its ATR offers (``borne.sim.wire_time``: a floor,
real cards also take processing time, so the second ratio is still an upper bound).

Run as root: ``.venv/bin/python bench/bridge_bench.py [--reads 30] [--apdus 300]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import percentile, private_pcscd, summary

PORT = 0xA17B


async def run(args: argparse.Namespace, pcscd: object) -> None:
    from smartcard.scard import SCARD_SCOPE_USER, SCardEstablishContext, SCardReleaseContext

    from borne.bridge.bridge import Bridge
    from borne.client import pair
    from borne.sim.cardslots import CardSlots
    from borne.sim.workstation import _time

    from support.box import start_box

    work = Path(tempfile.mkdtemp(prefix="borne-bridge-bench-"))
    box = await start_box(work)
    window = box.api_context.pairing.open()
    url = f"https://127.0.0.1:{box.api.port}"
    await pair(url, code=window.code, name="bench", directory=work / "ws")
    slots = CardSlots(pcscd)
    slots.insert(0, "vitale-family")
    await asyncio.sleep(1.0)  # the box reads it first

    env = {k: v for k, v in os.environ.items() if k != "BORNE_PRIVATE_PCSCD_SOCKET"}
    station = subprocess.Popen([sys.executable, "-m", "borne.sim.workstation", str(work / "ws-pcscd"),
                                str(PORT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env=env)
    assert station.stdout.readline().strip() == "ready"

    def ask(**command: object) -> dict:
        station.stdin.write(json.dumps(command) + "\n")
        station.stdin.flush()
        return json.loads(station.stdout.readline())

    bridge = Bridge(url, work / "ws", vpcd_port=PORT)
    task = asyncio.create_task(bridge.run())
    results = {}
    for clock in (None, args.clock_hz):
        if clock is not None:
            slots.remove(0, wait=True)
            slots.insert(0, "vitale-family", wire_clock_hz=clock)
            await asyncio.sleep(1.0)
        _, context = SCardEstablishContext(SCARD_SCOPE_USER)
        atr = bytes.fromhex(box.core.slots["borne-sim-00-00"].atr.hex())
        local = _time(context, "Borne Sim 00 00", atr, args.reads, args.apdus)
        SCardReleaseContext(context)
        while not (await asyncio.to_thread(ask, cmd="readers"))["present"]:
            await asyncio.sleep(0.2)
        remote = await asyncio.to_thread(ask, cmd="time", reads=args.reads, apdus=args.apdus)
        results[clock] = (local, remote)
    task.cancel()
    station.stdin.close()
    station.wait(10)
    slots.remove_all()
    await box.stop()

    for clock, (local, remote) in results.items():
        card = "instant virtual card" if clock is None else (
            f"virtual card held to ISO 7816-3 wire time at {clock / 1e6:g} MHz")
        print(f"-- {card}")
        print(summary("baseline: APDU straight to the card", local["apdu_ms"]))
        print(summary("APDU through the bridge", remote["apdu_ms"]))
        print(summary("baseline: whole carte Vitale read, local", local["read_ms"]))
        print(summary("whole carte Vitale read through the bridge", remote["read_ms"]))
        ratio = statistics.median(remote["read_ms"]) / statistics.median(local["read_ms"])
        extra = statistics.median(remote["read_ms"]) - statistics.median(local["read_ms"])
        print(f"  read ratio of medians: {ratio:.2f}x (goal at most 2x), +{extra:.1f} ms; APDU ratio "
              f"{statistics.median(remote['apdu_ms']) / statistics.median(local['apdu_ms']):.2f}x;"
              f" read p99 {percentile(remote['read_ms'], 99):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--apdus", type=int, default=300)
    parser.add_argument("--clock-hz", type=int, default=4_000_000,
                        help="card clock of the second run, whose card answers at real-card wire speed")
    args = parser.parse_args()
    with private_pcscd() as pcscd:
        asyncio.run(run(args, pcscd))


if __name__ == "__main__":
    main()
