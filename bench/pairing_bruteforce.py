"""Guessing pairing codes over the real HTTPS API, and what it costs a paired workstation.

A box runs in this process (its API on a private loopback; no pcscd: the pcsc
device is just 'unavailable'). Attacker threads run full SPAKE2 exchanges with
wrong codes (``/v1/pairing/start`` then ``/v1/pairing/complete``), reopening the
window each time ``pairing_max_failures`` wrong codes have closed it, as an
owner pressing the button again would. Each thread guesses from five loopback
addresses in turn: one address may spend only two wrong codes per window. Meanwhile a paired workstation calls
``GET /v1/status`` in a loop; the same is measured first with no attack
(baseline, same run).

Run as root: ``.venv/bin/python bench/pairing_bruteforce.py [--attempts N] [--attackers K]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import secrets
import tempfile
import threading
import time
from pathlib import Path

from _common import percentile, summary


def _csr() -> bytes:
    from borne.client.pairing import make_key_and_csr

    return make_key_and_csr("Intrus")[1]


class Attack:
    """Shared state of the attacker threads."""

    def __init__(self, pairing, attempts: int) -> None:
        self.pairing = pairing
        self.attempts = attempts
        self.lock = threading.Lock()
        self.code: str | None = None
        self.windows = 0
        self.verdicts: dict[str, int] = {}  # completion answers: pairing_wrong_code, 201...
        self.refusals: dict[str, int] = {}  # exchanges cut short (window closed, busy...)
        self.done = threading.Event()

    def wrong_code(self) -> str:
        with self.lock:
            if self.code is None or not self.pairing.status()["open"]:
                self.code, self.windows = self.pairing.open().code, self.windows + 1
            return f"{(int(self.code) + 1 + secrets.randbelow(999_998)) % 1_000_000:06d}"

    def count(self, table: dict[str, int], key: str) -> int:
        with self.lock:
            table[key] = table.get(key, 0) + 1
            return sum(self.verdicts.values())

    def run(self, base: str, csr_pem: bytes, first_host: int) -> None:
        import contextlib

        import httpx

        from borne.client.pairing import _unverified_tls
        from borne.secure_channel.pairing import PairingClient

        with contextlib.ExitStack() as stack:
            clients = [stack.enter_context(httpx.Client(
                transport=httpx.HTTPTransport(verify=_unverified_tls(),
                                              local_address=f"127.0.0.{first_host + n}"),
                base_url=base, timeout=10)) for n in range(5)]
            turn = 0
            while not self.done.is_set():
                http, turn = clients[turn % len(clients)], turn + 1
                spake = PairingClient(self.wrong_code())
                started = http.post("/v1/pairing/start",
                                    json={"client_msg": base64.b64encode(spake.start()).decode()})
                if started.status_code != 200:
                    self.count(self.refusals, f"start {started.json()['error']}")
                    continue
                spake.finish(base64.b64decode(started.json()["server_msg"]))
                done = http.post("/v1/pairing/complete", json={
                    "session": started.json()["session"], "csr": csr_pem.decode(), "name": "Intrus",
                    "mac": base64.b64encode(spake.request_mac(csr_pem, "Intrus")).decode()})
                key = "paired" if done.status_code == 201 else done.json()["error"]
                if key in {"pairing_wrong_code", "paired"}:
                    if self.count(self.verdicts, key) >= self.attempts:
                        self.done.set()
                else:  # the window closed under this exchange (another thread's 5th guess)
                    self.count(self.refusals, f"complete {key}")


def poll_status(base: str, context, stop: threading.Event, out: list[float],
                limit: int | None = None) -> None:
    import httpx

    with httpx.Client(verify=context, base_url=base, timeout=5.0) as http:
        while not stop.is_set() and (limit is None or len(out) < limit):
            started = time.perf_counter()
            response = http.get("/v1/status")
            out.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"/v1/status answered {response.status_code}: {response.text}")
            time.sleep(0.005)


async def run(attempts: int, attackers: int, baseline_n: int) -> None:
    from borne.client import pair
    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles

    from support.box import start_box

    with tempfile.TemporaryDirectory(prefix="borne-bench-") as work:
        box = await start_box(Path(work))
        config = box.config
        try:
            base = f"https://127.0.0.1:{box.api.port}"
            window = box.api_context.pairing.open()
            await pair(base, code=window.code, name="Comptoir", directory=Path(work) / "ws")
            context = mtls_context(WorkstationFiles(Path(work) / "ws"))

            baseline: list[float] = []
            await asyncio.to_thread(poll_status, base, context, threading.Event(), baseline,
                                    baseline_n)

            attack = Attack(box.api_context.pairing, attempts)
            csr_pem = _csr()
            during: list[float] = []
            poller = asyncio.create_task(asyncio.to_thread(poll_status, base, context, attack.done,
                                                           during))
            started = time.perf_counter()
            await asyncio.gather(*(asyncio.to_thread(attack.run, base, csr_pem, 2 + 5 * n)
                                   for n in range(attackers)))
            elapsed = time.perf_counter() - started
            await poller
            registered = box.api_context.clients.count()
        finally:
            await box.stop()

    wrong = attack.verdicts.get("pairing_wrong_code", 0)
    successes = attack.verdicts.get("paired", 0)
    print(f"{attackers} attacker thread(s), {attack.windows} windows of "
          f"{config.api.pairing_max_failures} wrong codes")
    print(f"attempts (full exchanges refused as wrong code): {wrong}")
    print(f"successes: {successes}   clients registered: {registered} (the workstation paired first)")
    print(f"exchanges cut short: {dict(sorted(attack.refusals.items())) or 'none'}")
    print(f"attempts/s: {wrong / elapsed:.1f}   ({elapsed:.1f} s)")
    print(summary("GET /v1/status, no attack (baseline)", baseline))
    print(summary("GET /v1/status, during the attack", during))
    print(f"p50 ratio attack/baseline: {percentile(during, 50) / percentile(baseline, 50):.2f}x   "
          f"p99: {percentile(during, 99) / percentile(baseline, 99):.2f}x")
    if successes or registered != 1:
        raise SystemExit("a wrong code paired a workstation")


if __name__ == "__main__":
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--attackers", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=300, help="status calls with no attack")
    arguments = parser.parse_args()
    isolate_pcscd_socket()  # while single-threaded: no pcscd in here, and a private loopback
    isolate_network()
    asyncio.run(run(arguments.attempts, arguments.attackers, arguments.baseline))
