"""Uploading an update bundle over the API: its throughput against a plain upload's, same run.

A box runs in this process (its API on a private loopback; no pcscd), with a stand-in update
service (install returns at once: RAUC's install is not what is measured, the upload is). A
~100 MB file is sent:

- baseline: ``curl -T`` to a bare aiohttp TLS server on loopback that writes the body to a file
  (what any server receiving a file does; no certificate checked, no admin check, no limits);
- ``curl -T`` with the admin workstation's certificate to ``PUT /v1/update`` (TLS with client
  certificates, the guard, the streamed write in 1 MiB blocks from a worker thread);
- the SDK (``BoxClient.update``, what ``borne client update`` uses: httpx, 256 KiB blocks read
  in a thread).

Goal: the upload is never what makes an update slow: a pharmacy LAN's 100 Mbit/s is 12 MB/s,
so the API must stay far above it (10x: 120 MB/s here) and within 3x of the bare upload (it
writes from a worker thread, so an SD card's stall never stalls the daemon's loop).

Run as root: ``.venv/bin/python bench/update_upload.py [--quick]``. ``run()`` expects the
private namespaces (``isolate_pcscd_socket``, ``isolate_network``) already made.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import ssl
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import _common  # noqa: F401 (puts src/ and tests/ on the path)

MB = 1024 * 1024
SIZE = 100 * MB
GOAL_RATIO = 3.0
GOAL_MB_S = 120.0


class _Service:
    """Stands for the update service: accepts every bundle at once."""

    async def install(self, bundle: Path, **_: object) -> SimpleNamespace:
        return SimpleNamespace(version="9.9.9", compatible="bench")

    def snapshot(self) -> SimpleNamespace:
        return SimpleNamespace(state="idle")


def _self_signed(work: Path) -> ssl.SSLContext:
    """A server TLS context with a throwaway self-signed P-256 certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (work / "sink.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (work / "sink.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(work / "sink.crt", work / "sink.key")
    return context


async def _sink(work: Path) -> tuple[object, int]:
    """The baseline's server: writes each PUT body to a file, 200."""
    from aiohttp import web

    async def put(request: web.Request) -> web.Response:
        with (work / "sink.bin").open("wb") as out:
            async for chunk in request.content.iter_chunked(MB):
                out.write(chunk)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_put("/sink", put)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=_self_signed(work))
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


async def _curl(url: str, bundle: Path, *extra: str) -> float:
    """Seconds ``curl -T`` takes to upload ``bundle``; fails unless the answer is 2xx."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-k", "--fail", "-o", "/dev/null", "-T", str(bundle), *extra, url)
    if await process.wait() != 0:
        raise RuntimeError(f"curl to {url} failed")
    return time.perf_counter() - started


async def _measure(rounds: int) -> list[str]:
    from borne.api.bundle_upload import BundleInbox
    from borne.client import BoxClient

    from support.box import paired, start_box

    with tempfile.TemporaryDirectory(prefix="borne-bench-") as work_dir:
        work = Path(work_dir)
        bundle = work / "bundle.raucb"
        with bundle.open("wb") as out:
            for _ in range(SIZE // MB):
                out.write(os.urandom(MB))
        runner, port = await _sink(work)
        box = await start_box(work / "box")
        try:
            (work / "incoming").mkdir()
            box.api_context.updates = _Service()
            box.api_context.inbox = BundleInbox(work / "incoming", max_bytes=2 * SIZE)
            await paired(box, work / "ws", "Bureau", admin=True)
            ws = work / "ws"
            api = f"https://127.0.0.1:{box.api.port}/v1/update"
            times: dict[str, list[float]] = {"baseline": [], "curl": [], "sdk": []}
            for _ in range(rounds):
                times["baseline"].append(await _curl(f"https://127.0.0.1:{port}/sink", bundle))
                times["curl"].append(await _curl(api, bundle, "--cert", str(ws / "client.crt"),
                                                 "--key", str(ws / "client.key")))
                async with BoxClient.from_directory(ws, language="en") as client:
                    started = time.perf_counter()
                    await client.update(bundle)
                    times["sdk"].append(time.perf_counter() - started)
        finally:
            await box.stop()
            await runner.cleanup()
    rate = {name: SIZE / MB / statistics.median(values) for name, values in times.items()}
    slowest = min(rate["curl"], rate["sdk"])
    ratio = rate["baseline"] / slowest
    verdict = "met" if ratio < GOAL_RATIO and slowest > GOAL_MB_S else "NOT met"
    return [
        f"bundle upload over loopback ({SIZE // MB} MB, median of {rounds}): "
        f"PUT /v1/update with curl {rate['curl']:.0f} MB/s, with the SDK "
        f"{rate['sdk']:.0f} MB/s (baseline: curl to a bare TLS sink {rate['baseline']:.0f} MB/s; "
        f"goal > {GOAL_MB_S:.0f} MB/s and within {GOAL_RATIO:.0f}x of it: {ratio:.2f}x, "
        f"{verdict})",
    ]


def run(quick: bool = False) -> list[str]:
    """Measure (baseline first, then the API, in each round); the printed lines."""
    subprocess.run(["curl", "--version"], check=True, capture_output=True)
    return asyncio.run(_measure(1 if quick else 3))


if __name__ == "__main__":
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    arguments = parser.parse_args()
    isolate_pcscd_socket()  # while single-threaded: no pcscd in here, and a private loopback
    isolate_network()
    print("\n".join(run(quick=arguments.quick)))
