"""apCV presentation latencies, each next to a baseline measured in the same run.

1. **Frame captured -> ``apcv.presented`` received by an SSE client** (over mTLS, in
   another process). The box runs with the ``images:DIR`` camera twin; each run
   puts a new phone frame (1280x720, a distinct token) in DIR. ``detected_ns`` in
   the event is when the camera loop grabbed the frame, so the figure covers
   decoding, recognition, the event bus and the SSE stream, not the wait for the
   next frame. Baseline: the same frames through the decoding pipeline alone.
2. **Virtual phone placed -> ``apcv.presented`` received** (``--nfc-runs``), through
   nfcpy's UDP driver. Most of it is the driver's polling (it waits 1 s for an
   answer to each poll while no phone is there). Baseline: the phone's own
   exchange as the box measures it (``detected_ns`` -> received).

Run as root: ``.venv/bin/python bench/apcv_latency.py [--runs 100] [--nfc-runs 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import free_udp_port, percentile, private_pcscd, summary


def _follow(folder: str, base: str, after: int, ready, out) -> None:
    """Child process: follow the event stream; put (type, detected_ns, received_ns)."""
    from borne.client import BoxClient

    async def main() -> None:
        async with BoxClient.from_directory(folder) as client:
            ready.set()
            async for event in client.events(after=after):
                if event.type in ("apcv.presented", "capture.error"):
                    out.put((event.type, event.data["detected_ns"], time.monotonic_ns()))

    asyncio.run(main())


async def run(args: argparse.Namespace) -> None:
    import numpy as np

    from borne.client import pair
    from borne.readers.qr.decoders import make_decoder
    from borne.readers.qr.pipeline import FramePipeline
    from borne.sim.phone import VirtualPhone
    from borne.sim.presenter import sim_apcv_token
    from borne.sim.qr_frames import render_qr_frame

    from support.box import start_box

    work = Path(tempfile.mkdtemp(prefix="borne-apcv-bench-"))
    camera = work / "camera"
    camera.mkdir()
    nfc_port = free_udp_port()
    box = await start_box(work, readers={"camera": f"images:{camera}",
                                         "nfc": f"udp:127.0.0.1:{nfc_port}"})
    config = box.config
    window = box.api_context.pairing.open()
    await pair(f"https://127.0.0.1:{box.api.port}", code=window.code, name="bench",
               directory=work / "ws")
    frames = [render_qr_frame(sim_apcv_token()) for _ in range(args.runs)]

    # Baseline: the same frames through the pipeline alone.
    pipeline = FramePipeline(make_decoder(config.camera.decoder))
    decode_ms = []
    for frame in frames:
        gray = np.asarray(frame)
        start = time.perf_counter_ns()
        assert pipeline.decode(gray)
        decode_ms.append((time.perf_counter_ns() - start) / 1e6)

    ready, out = multiprocessing.Event(), multiprocessing.Queue()
    child = multiprocessing.Process(target=_follow, args=(
        str(work / "ws"), f"https://127.0.0.1:{box.api.port}", box.bus.last_seq, ready, out))
    child.start()
    await asyncio.to_thread(ready.wait, 30)
    await asyncio.sleep(0.5)

    presented_ms = []
    for index, frame in enumerate(frames):
        path = camera / f"{index:05d}.png"
        await asyncio.to_thread(frame.save, path.with_suffix(".part"), "PNG")
        os.replace(path.with_suffix(".part"), path)
        kind, detected, received = await asyncio.to_thread(out.get, True, 10)
        assert kind == "apcv.presented", kind
        presented_ms.append((received - detected) / 1e6)
        path.unlink()

    placed_ms, exchange_ms = [], []
    for _ in range(args.nfc_runs):
        phone = VirtualPhone(nfc_port, bytes.fromhex(config.nfc.aid), sim_apcv_token())
        placed = time.monotonic_ns()
        await asyncio.to_thread(phone.present, 15.0)
        kind, detected, received = await asyncio.to_thread(out.get, True, 15)
        assert kind == "apcv.presented", kind
        placed_ms.append((received - placed) / 1e6)
        exchange_ms.append((received - detected) / 1e6)

    child.terminate()
    child.join()
    await box.stop()

    print(f"decoder: {config.camera.decoder}, frames 1280x720, camera twin at "
          f"{config.camera.fps:g} fps")
    print(summary("baseline: pipeline decode of the frame", decode_ms))
    print(summary("frame captured -> apcv.presented (SSE)", presented_ms))
    print(f"  ratio of medians: {statistics.median(presented_ms) / statistics.median(decode_ms):.2f}x"
          f"  (p99 {percentile(presented_ms, 99):.1f} ms; goal under 100 ms)")
    if placed_ms:
        print(summary("baseline: phone detected -> apcv.presented", exchange_ms))
        print(summary("phone placed -> apcv.presented (SSE)", placed_ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--nfc-runs", type=int, default=50)
    args = parser.parse_args()
    with private_pcscd():
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
