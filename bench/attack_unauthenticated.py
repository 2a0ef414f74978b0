"""A LAN attacker without a certificate looping requests: what a paired workstation and the SD
card feel (issue 16, finding 1).

A box runs in this process (its API on a private loopback; no pcscd). Measured in one run:

1. a paired workstation's ``GET /v1/status``, p50/p99, quiet (the baseline), then while
   ``connections`` TLS connections without a certificate loop ``GET /x`` (each answered 401);
   goal: p99 under 5x the quiet p99;
2. how much the data directory grows per 10,000 refused requests (every file under it,
   the summary entry of the interval included: it is flushed before measuring), over
   10,000 refusals or ``growth_s`` (60 s, one summary interval; quick: 15 s), scaled to
   10,000; goal: under 64 KB. Quick mode turns the slow-down below off for this phase, so
   10,000 refusals arrive within seconds (one summary entry for them, as within a minute).

Past a burst, refusals of one address are answered after 1 s (:mod:`borne.api.refusals`):
the attackers' rate is then about one request per connection and second.

The attackers are one child process (asyncio, raw HTTP/1.1 on keep-alive TLS connections:
no HTTP library's overhead on the attacker's side) and the workstation another (httpx), so
neither shares the box's interpreter. The attackers' connections come from
:data:`ATTACKER_HOSTS` (ten machines of the LAN, none the workstation's 127.0.0.1), so the
box's connection caps (``[api.connections]``: 8 per address, 64 in all without a
certificate) are in play as on a real network: each address's connections past its cap are
refused at once, and past the total the addresses settle on a fair share
(:mod:`borne.api.admission`). ``quick`` uses 50 connections and fewer samples (the line says
so). Run as root: ``.venv/bin/python bench/attack_unauthenticated.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import percentile

#: Where the attack comes from: ten addresses of the private loopback (all of 127/8 is local).
ATTACKER_HOSTS = tuple(f"127.0.2.{n}" for n in range(1, 11))

REQUEST = b"GET /x/" + b"A" * 200 + b" HTTP/1.1\r\nHost: box\r\nX-Junk: " + b"B" * 200 + b"\r\n\r\n"


def _attack(port: int, connections: int, stop, done, ready) -> None:
    """Child process: ``connections`` keep-alive TLS connections without a certificate,
    each sending a request as soon as the previous answer came; ``done`` counts 401s."""
    import re
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    length_re = re.compile(rb"(?i)content-length: *(\d+)")

    async def one(counts: list[int], source: str) -> None:
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                               local_addr=(source, 0))
            except OSError:
                await asyncio.sleep(0.2)
                continue
            try:
                while not stop.is_set():
                    writer.write(REQUEST)
                    head = await reader.readuntil(b"\r\n\r\n")
                    await reader.readexactly(int(length_re.search(head).group(1)))
                    counts[0] += b" 401 " in head[:16]
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    AttributeError):
                pass  # the box closed it (a cap, a timeout): connect again
            finally:
                writer.close()

    async def main() -> None:
        counts = [0]
        tasks = [asyncio.create_task(one(counts, ATTACKER_HOSTS[n % len(ATTACKER_HOSTS)]))
                 for n in range(connections)]
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
            with done.get_lock():
                done.value += counts[0]
            counts[0] = 0
        await asyncio.wait(tasks, timeout=5)

    asyncio.run(main())


def _poll(base: str, folder: str, count: int, out) -> None:
    """Child process: a paired workstation's ``GET /v1/status``, ``count`` times, 5 ms apart."""
    import httpx

    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles

    timings = []
    with httpx.Client(verify=mtls_context(WorkstationFiles(Path(folder))), base_url=base,
                      timeout=30.0) as http:
        http.get("/v1/status")  # the connection is open before the first timing
        for _ in range(count):
            started = time.perf_counter()
            response = http.get("/v1/status")
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"/v1/status answered {response.status_code}")
            time.sleep(0.005)
    out.put(timings)


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


async def _measure(quick: bool) -> list[str]:
    from borne.client import pair

    from support.box import start_box

    connections, samples, growth_s = (50, 150, 15.0) if quick else (300, 500, 60.0)
    refused_goal = 10_000
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="borne-bench-") as work:
        box = await start_box(Path(work))
        try:
            base = f"https://127.0.0.1:{box.api.port}"
            folder = str(Path(work) / "ws")
            await pair(base, code=box.api_context.pairing.open().code, name="bench",
                       directory=folder)
            out = ctx.Queue()

            async def poll() -> list[float]:
                process = ctx.Process(target=_poll, args=(base, folder, samples, out))
                process.start()
                timings = await asyncio.to_thread(out.get)
                await asyncio.to_thread(process.join)
                return timings

            quiet = await poll()
            stop, ready, done = ctx.Event(), ctx.Event(), ctx.Value("q", 0)
            attacker = ctx.Process(target=_attack, args=(box.api.port, connections, stop, done,
                                                         ready))
            attacker.start()
            await asyncio.to_thread(ready.wait)
            tally = box.api_context.refusals
            data = Path(box.config.daemon.data_dir)
            while tally.describe()["total"] < connections:  # every connection is looping
                await asyncio.sleep(0.1)
            loud = await poll()
            # The disk: refusals only (the workstation's requests above are journaled, each).
            await tally.flush()
            if quick:  # 10,000 refusals within seconds: the slow-down off (the line says so)
                tally.burst = 10**9
            size_before, refused_before = _tree_bytes(data), tally.describe()["total"]
            started = time.monotonic()
            while tally.describe()["total"] - refused_before < refused_goal \
                    and time.monotonic() - started < growth_s:
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            await tally.flush()  # the interval's summary entry: part of what refusals cost
            refused = tally.describe()["total"] - refused_before
            growth = _tree_bytes(data) - size_before
            stop.set()
            await asyncio.to_thread(attacker.join, 10)
            if attacker.is_alive():
                attacker.kill()
        finally:
            await box.stop()
    q50, q99 = statistics.median(quiet), percentile(quiet, 99)
    l50, l99 = statistics.median(loud), percentile(loud, 99)
    mode = f" (quick: {connections} connections, not 300)" if quick else ""
    fast = " (quick: the slow-down off)" if quick else ""
    per_10k = growth * 10_000 / max(refused, 1)
    return [
        f"status under {connections} unauthenticated loops from {len(ATTACKER_HOSTS)} "
        f"addresses{mode}: p50={l50:.1f} ms "
        f"p99={l99:.1f} ms (quiet p50={q50:.1f} ms p99={q99:.1f} ms, x{l99 / q99:.1f}; "
        f"goal p99 < 5x quiet)",
        f"data directory growth per 10,000 refused requests{fast}: {per_10k / 1024:.1f} KB "
        f"({growth} B for {refused} refusals in {elapsed:.0f} s, "
        f"{refused / elapsed:.0f} refused/s; goal < 64 KB)",
    ]


def run(quick: bool = False) -> list[str]:
    """Measure (baseline first, then under attack) and return the printed lines."""
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()
    isolate_network()
    return asyncio.run(_measure(quick))


if __name__ == "__main__":
    print("\n".join(run(quick="--quick" in sys.argv[1:])))
