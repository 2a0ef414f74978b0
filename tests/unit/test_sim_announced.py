"""The simulator's commands report what the box announced for a code they showed, not only
that they showed it (borne.sim.announced)."""

from __future__ import annotations

import asyncio
import time

from borne.events import CaptureFailed, EventBus, PrescriptionScanned
from borne.runtime.clock import Clock
from borne.sim.announced import present_and_watch


def scanned(channel: str) -> PrescriptionScanned:
    return PrescriptionScanned(presentation_id="pr-1", channel=channel, expires_in_s=120,
                               detected_ns=0)


def watch(publish, channel: str = "qr", wait_s: float = 0.3) -> tuple[dict, float]:
    async def main() -> dict:
        bus = EventBus(Clock())

        async def present() -> dict:
            for data in publish:
                bus.publish(data)
            return {"channel": channel, "size": 18}

        return await present_and_watch(bus, present, channel, wait_s)

    started = time.monotonic()
    answer = asyncio.run(main())
    return answer, time.monotonic() - started


def test_the_presentation_announced_on_the_channel_is_reported_at_once():
    answer, took = watch([scanned("qr_scanner"), scanned("qr_camera")], wait_s=5.0)
    assert answer == {"channel": "qr", "size": 18, "announced": "prescription.scanned",
                      "presentation_id": "pr-1"}
    assert took < 1.0


def test_a_refusal_is_reported_with_its_code():
    refused = CaptureFailed(channel="qr_scanner", code="capture_unrecognised", message="x",
                            detected_ns=0)
    answer, _ = watch([refused], channel="scanner")
    assert answer["announced"] == "capture.error" and answer["code"] == "capture_unrecognised"


def test_nothing_announced_on_that_channel_is_nothing():
    answer, took = watch([scanned("nfc")], wait_s=0.3)  # another input's presentation
    assert answer == {"channel": "qr", "size": 18, "announced": None}
    assert 0.25 < took < 2.0
