"""1,100 slow connections without a certificate, and what they cost a paired workstation.

A box runs in this process (its API on a private loopback; no pcscd). A child process
(``tests/support/slow_clients.py``) holds 1,100 slow connections from 64 loopback
addresses: handshakes that never start, ClientHellos dripped a byte a second, pairing
requests whose body is dripped; each one the box closes is opened again. A paired
workstation calls ``GET /v1/status`` on a new connection each time (a TLS handshake
included, so the connection caps are crossed every time), first with no attack
(baseline), then under it, in the same run. Issue 16's goal: p99 under 1 s.

Run as root: ``.venv/bin/python bench/attack_slow_connections.py [--quick]``. ``run()``
expects the private namespaces (``isolate_pcscd_socket``, ``isolate_network``) already made.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from _common import percentile

#: Slow connections held, and the issue's goal for a paired client's p99 under them.
CONNECTIONS = 1100
GOAL_P99_MS = 1000.0
#: The unit's LimitNOFILE (systemd/borne.service): the box's process runs with it here too.
UNIT_NOFILE = 4096


async def _status_calls(base: str, context, count: int) -> tuple[list[float], int]:
    """``count`` calls, each on a new connection: (times in ms, failures)."""
    import httpx

    times: list[float] = []
    failures = 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(verify=context, base_url=base, timeout=5.0) as http:
                if (await http.get("/v1/status")).status_code != 200:
                    failures += 1
        except httpx.HTTPError:
            failures += 1
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.01)
    return times, failures


async def _measure(calls: int) -> list[str]:
    from borne.client import pair
    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles

    from support.box import start_box
    from support.slow_clients import SlowClients

    with tempfile.TemporaryDirectory(prefix="borne-bench-") as work:
        box = await start_box(Path(work))
        try:
            base = f"https://127.0.0.1:{box.api.port}"
            window = box.api_context.pairing.open()
            await pair(base, code=window.code, name="Comptoir", directory=Path(work) / "ws")
            context = mtls_context(WorkstationFiles(Path(work) / "ws"))
            quiet, quiet_failures = await _status_calls(base, context, calls)

            attack = SlowClients(box.api.port, CONNECTIONS)
            try:
                await attack.until_opened(CONNECTIONS)
                held = dict(box.api.admission.counts)
                loud, loud_failures = await _status_calls(base, context, calls)
            finally:
                counts = attack.stop()
        finally:
            await box.stop()
    p50, p99 = percentile(loud, 50), percentile(loud, 99)
    q50, q99 = percentile(quiet, 50), percentile(quiet, 99)
    verdict = "met" if p99 < GOAL_P99_MS and not loud_failures else "NOT met"
    return [
        f"status under {CONNECTIONS} slow connections (new connection per call, n={calls}): "
        f"p50={p50:.1f} ms p99={p99:.1f} ms, {loud_failures} failed "
        f"(quiet p50={q50:.1f} ms p99={q99:.1f} ms, {quiet_failures} failed; "
        f"goal p99 < {GOAL_P99_MS:.0f} ms: {verdict})",
        f"slow connections: {counts.get('opened', 0)} opened by the attacker, "
        f"{counts.get('closed', 0)} closed by the box; the box held {held['unauthenticated']} "
        f"without a certificate and {held['clients']} paired (caps "
        f"{box.config.api.connections.max_unauthenticated} and "
        f"{box.config.api.connections.max_clients}; LimitNOFILE {UNIT_NOFILE})",
    ]


def run(quick: bool = False) -> list[str]:
    """Measure (baseline first, then under the attack); the printed lines."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(UNIT_NOFILE, hard), hard))
    try:
        return asyncio.run(_measure(40 if quick else 300))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


if __name__ == "__main__":
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 calls each instead of 300")
    arguments = parser.parse_args()
    isolate_pcscd_socket()  # while single-threaded: no pcscd in here, and a private loopback
    isolate_network()
    print("\n".join(run(quick=arguments.quick)))
