"""Event -> screen updated, through the real display service and luma's dummy panel.

Each run publishes a real event on the daemon's bus (a carte Vitale decoded, an
apCV presented, a session's invoice claimed, a card error...) and times how long
until the frame that reflects it has been handed to the panel (``on_shown``).
Baseline, measured in the same run: rendering the same views alone.

Run: ``.venv/bin/python bench/display_latency.py [--runs 300] [--size 128x64]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _common import percentile, summary


async def run(args: argparse.Namespace) -> None:
    from borne.runtime.clock import Clock
    from borne.config import parse_config
    from borne.display.render import render
    from borne.display.service import DisplayService
    from borne import events as ev
    from borne.events import EventBus
    from borne.registry import load_backend

    config = parse_config({"display": {"device": f"dummy:{args.size}"}})
    clock = Clock()
    bus = EventBus(clock)
    device = load_backend("display", config.display.device, config)
    service = DisplayService(config, bus, clock, device)
    shown: dict[int, int] = {}
    arrived = asyncio.Event()

    def on_shown(seq: int, shown_ns: int) -> None:
        shown[seq] = shown_ns
        arrived.set()

    service.on_shown = on_shown
    await service.start()
    await asyncio.sleep(0.2)
    events = [
        ev.CardDecoded(slot="s0", card_type="vitale", beneficiaries=3, detected_ns=0),
        ev.ApcvPresented(presentation_id="ap-1", channel="qr_camera", expires_in_s=120,
                         detected_ns=0),
        ev.CardFailed(slot="s0", code="card_removed", message="Card removed", detected_ns=0),
        ev.PrescriptionScanned(presentation_id="pr-1", channel="qr_camera", expires_in_s=120,
                               detected_ns=0),
    ]
    latency_ms = []
    for index in range(args.runs):
        arrived.clear()
        event = bus.publish(events[index % len(events)])
        while event.seq not in shown:
            await asyncio.wait_for(arrived.wait(), 5)
            arrived.clear()
        latency_ms.append((shown[event.seq] - event.mono * 1e9) / 1e6)
        service.state.dismiss(clock.monotonic())  # the next event starts from the same screen
    await service.stop()

    render_ms = []
    for index in range(args.runs):
        service.state.apply(events[index % len(events)], clock.monotonic())
        view = service.state.view(clock.monotonic())
        start = time.perf_counter_ns()
        render(view, width=device.width, height=device.height, mode=device.mode)
        render_ms.append((time.perf_counter_ns() - start) / 1e6)

    print(f"panel: dummy {args.size} (mode {device.mode})")
    print(summary("baseline: render the view alone", render_ms))
    print(summary("event published -> frame on the panel", latency_ms))
    print(f"  ratio of medians: {statistics.median(latency_ms) / statistics.median(render_ms):.2f}x"
          f"  (p99 {percentile(latency_ms, 99):.2f} ms; goal under 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--size", default="128x64", choices=["128x64", "256x64"])
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
