"""The HTTPS API's figures, each next to a baseline measured in the same run.

1. keep-alive ``GET /v1/readers`` over mTLS with 1 and 16 concurrent clients: requests/s,
   next to a trivial handler (``GET /bench/ping``, same server, same middleware, same TLS);
2. a new connection (full TLS 1.3 handshake with a client certificate) + ``GET /v1/status``:
   median and p99, next to the same over an already open connection;
3. pcscd's notification of a card in a virtual slot (``detected_ns``) -> ``card.inserted`` and
   ``card.decoded`` received by an SSE client over mTLS (another process): p50 and p99;
4. ``--soak-s 300``: 50 SSE clients while cards come and go: the daemon's RSS growth, and
   whether any client lost an event or got one out of order.

Clients run in a separate process so they do not share the server's event loop.
Run as root: ``.venv/bin/python bench/api_bench.py [--insertions 120] [--soak-s 300]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import socket
import ssl
import tempfile
import time
from pathlib import Path

from _common import private_pcscd, summary


def rss_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


# -- client side (child processes) ---------------------------------------------------------

def _context(folder: str) -> ssl.SSLContext:
    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles

    return mtls_context(WorkstationFiles(Path(folder)))


def _load(folder: str, base: str, path: str, clients: int, seconds: float, out) -> None:
    import httpx

    async def one(http: httpx.AsyncClient, stop: float) -> int:
        done = 0
        while time.monotonic() < stop:
            response = await http.get(path)
            assert response.status_code == 200
            done += 1
        return done

    async def main() -> float:
        context = _context(folder)
        https = [httpx.AsyncClient(base_url=base, verify=context) for _ in range(clients)]
        for http in https:
            await http.get(path)  # connect first: keep-alive from here on
        start = time.monotonic()
        counts = await asyncio.gather(*(one(h, start + seconds) for h in https))
        elapsed = time.monotonic() - start
        for http in https:
            await http.aclose()
        return sum(counts) / elapsed

    out.put(asyncio.run(main()))


def _new_connections(folder: str, port: int, count: int, out) -> None:
    context = _context(folder)
    request = b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    fresh, reused = [], []
    for _ in range(count):
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as raw:
            # As curl and httpx do: without it Nagle holds the request ~40 ms behind the
            # client's Finished until the box's delayed ACK.
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tls = context.wrap_socket(raw, server_hostname="localhost")
            tls.sendall(request)
            while tls.recv(65536):
                pass
            tls.close()
        fresh.append((time.perf_counter() - start) * 1000)
    import httpx

    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=context) as http:
        http.get("/v1/status")
        for _ in range(count):
            start = time.perf_counter()
            assert http.get("/v1/status").status_code == 200
            reused.append((time.perf_counter() - start) * 1000)
    out.put((fresh, reused))


def _sse(folder: str, base: str, streams: int, ready, out, stop_after: float) -> None:
    import httpx

    async def follow(http: httpx.AsyncClient, results: list, start_seq: int) -> None:
        last = start_seq
        lost = disorder = 0
        try:
            async with http.stream("GET", "/v1/events", headers={"Last-Event-ID": str(start_seq)},
                                   timeout=httpx.Timeout(10, read=None)) as response:
                ready.put(1)
                seq = None
                async for line in response.aiter_lines():
                    now = time.monotonic_ns()
                    if line.startswith("id: "):
                        seq = int(line[4:])
                        if seq != last + 1:
                            lost += seq > last + 1
                            disorder += seq <= last
                        last = seq
                    elif line.startswith("data: ") and streams == 1:
                        data = json.loads(line[6:])
                        if "detected_ns" in data:
                            results.append((data.get("type", ""), now - data["detected_ns"], seq))
        finally:  # also when cancelled at the end of the run: the stream's verdict counts
            results.append(("summary", lost, disorder, last))

    async def main() -> None:
        context = _context(folder)
        http = httpx.AsyncClient(base_url=base, verify=context,
                                 limits=httpx.Limits(max_connections=streams + 1))
        start_seq = (await http.get("/v1/status")).json()["last_event_seq"]
        results: list = []
        tasks = [asyncio.create_task(follow(http, results, start_seq)) for _ in range(streams)]
        await asyncio.sleep(stop_after)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        out.put(results)

    asyncio.run(main())


# -- box side ------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> None:
    from aiohttp import web

    from borne.api.server import ApiServer, build_app
    from borne.client import pair
    from borne.sim.cardslots import CardSlots

    from support.box import start_box

    ctx = multiprocessing.get_context("spawn")
    with private_pcscd() as pcscd, tempfile.TemporaryDirectory() as work:
        # The box's own heartbeat: the tests' short one would add writes to the SSE figures.
        box = await start_box(Path(work), api={"heartbeat_s": 15.0})
        # Same server and TLS settings, plus a trivial route to compare with.
        app = build_app(box.api_context)

        async def ping(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app.router.add_get("/bench/ping", ping)
        await box.api.stop()
        box.api = ApiServer(box.api_context, box.api._ssl, host="127.0.0.1", port=0, app=app)
        await box.api.start()
        base = f"https://127.0.0.1:{box.api.port}"
        folder = str(Path(work) / "ws")
        window = box.api_context.pairing.open()
        await pair(base, code=window.code, name="bench", directory=folder)
        out = ctx.Queue()

        async def in_child(target, *child_args) -> object:
            process = ctx.Process(target=target, args=(*child_args, out))
            process.start()
            result = await asyncio.to_thread(out.get)
            await asyncio.to_thread(process.join)
            return result

        print("1. keep-alive requests/s over mTLS (client in another process)")
        for clients in (1, 16):
            readers = await in_child(_load, folder, base, "/v1/readers", clients, args.seconds)
            trivial = await in_child(_load, folder, base, "/bench/ping", clients, args.seconds)
            print(f"   {clients:2} client(s): GET /v1/readers {readers:7.0f} req/s   trivial "
                  f"{trivial:7.0f} req/s   ratio {readers / trivial:.2f}  (goal >= 0.7)")

        fresh, reused = await in_child(_new_connections, folder, box.api.port, args.connections)
        print("2. " + summary("new TLS 1.3 connection + GET /v1/status", fresh))
        print("   " + summary("baseline: same GET on an open connection", reused))

        slots = CardSlots(pcscd)
        ready = ctx.Queue()
        listener = ctx.Process(target=_sse, args=(folder, base, 1, ready, out,
                                                  args.insertions * 1.2 + 5))
        listener.start()
        await asyncio.to_thread(ready.get)
        for _ in range(args.insertions):
            await asyncio.to_thread(slots.insert, 0, "vitale-single")
            await asyncio.to_thread(pcscd.wait_card, 0)
            await asyncio.sleep(0.05)
            await asyncio.to_thread(slots.remove, 0, wait=True)
        results = await asyncio.to_thread(out.get)
        await asyncio.to_thread(listener.join)
        timings = [r for r in results if r[0] != "summary"]
        # `type` is only in card.decoded data; card.inserted/removed have no `type`.
        inserted = [ns / 1e6 for kind, ns, _ in timings if kind == "" and ns > 0]
        decoded = [ns / 1e6 for kind, ns, _ in timings if kind == "vitale"]
        print(f"3. pcscd notification -> SSE client (mTLS, other process), {args.insertions} insertions")
        print("   " + summary("card.inserted/removed received", inserted))
        print("   " + summary("card.decoded received", decoded) + "   (goal p99 < 20 ms)")

        if args.soak_s:
            ready = ctx.Queue()
            soak = ctx.Process(target=_sse, args=(folder, base, 50, ready, out, args.soak_s))
            soak.start()
            for _ in range(50):
                await asyncio.to_thread(ready.get)
            start_rss = rss_mb()
            stop = time.monotonic() + args.soak_s - 5
            cycles = 0
            while time.monotonic() < stop:
                await asyncio.to_thread(slots.insert, cycles % 2, "vitale-family")
                await asyncio.sleep(1.0)
                await asyncio.to_thread(slots.remove, cycles % 2)
                await asyncio.sleep(0.5)
                cycles += 1
            end_rss = rss_mb()
            results = await asyncio.to_thread(out.get)
            await asyncio.to_thread(soak.join)
            summaries = [r for r in results if r[0] == "summary"]
            lost = sum(r[1] for r in summaries)
            disorder = sum(r[2] for r in summaries)
            complete = sum(r[3] == box.bus.last_seq for r in summaries)
            print(f"4. soak {args.soak_s:.0f} s, 50 SSE clients, {cycles} card cycles, "
                  f"{box.bus.last_seq} events: RSS {start_rss:.1f} -> {end_rss:.1f} MB "
                  f"(growth {end_rss - start_rss:+.1f} MB, goal < 5); streams checked: "
                  f"{len(summaries)}, reached the last event: {complete}, gaps: {lost}, "
                  f"out of order: {disorder}")
        slots.remove_all()
        await box.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--insertions", type=int, default=120)
    parser.add_argument("--soak-s", type=float, default=0.0)
    args = parser.parse_args()
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()
    isolate_network()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
