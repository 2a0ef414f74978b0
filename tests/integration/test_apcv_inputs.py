"""Bad and odd QR codes through the whole box: real frames, the real decoder, the API over mTLS.

Each code is drawn into a phone frame and put in the ``images:`` camera twin's
directory; the box decodes it, recognises it and announces the outcome on the
event stream that a paired client follows.
"""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from borne.client import BoxClient
from borne.config import DEFAULT_RULES, RecognitionRule
from borne.sim.qr_frames import render_qr_frame

from support.box import paired, running_box
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd


@pytest.fixture
async def camera_box(tmp_path, sim_pcscd, card_slots):
    camera = tmp_path / "camera"
    camera.mkdir()
    rules = [
        *DEFAULT_RULES[:3],
        # A deployment that knows its apCV codes start with "AC" and are 100..600 bytes.
        RecognitionRule(kind="apcv", prefix_hex="4143", min_bytes=100),
    ]
    async with running_box(tmp_path, readers={"camera": f"images:{camera}"},
                           camera={"fps": 20.0, "forget_after_s": 0.3},
                           apcv={"max_payload_bytes": 600, "rules": rules}) as box:
        await paired(box, tmp_path / "ws")
        yield box, camera, tmp_path / "ws"


async def show(camera, payload: bytes, name: str) -> None:
    frame = await asyncio.to_thread(render_qr_frame, payload)
    part = camera / f"{name}.part"
    await asyncio.to_thread(frame.save, part, "PNG")
    os.replace(part, camera / f"{name}.png")


async def outcome(events) -> tuple[str, dict]:
    event = await wait_event_any(events, {"apcv.presented", "prescription.scanned",
                                          "capture.error"})
    return event.type, event.data


async def wait_event_any(events, types, timeout: float = 8.0):
    async def find():
        async for event in events:
            if event.type in types:
                return event
    return await asyncio.wait_for(find(), timeout)


async def test_bad_and_odd_codes_each_get_a_clear_outcome(camera_box, caplog):
    box, camera, folder = camera_box
    apcv_like = b"AC" + bytes(range(200))          # binary inside, as a token may be
    cases = [
        ("garbage", b"hello", ("capture.error", "capture_unrecognised")),
        ("oversized", b"AC" + b"x" * 900, ("capture.error", "capture_too_large")),
        ("half_apcv", b"AC" + b"y" * 40, ("capture.error", "capture_unrecognised")),
        ("url", b"https://exemple.fr/" + b"z" * 90, ("capture.error", "capture_unrecognised")),
        ("binary_apcv", apcv_like, ("apcv.presented", None)),
        ("prescription", b"01S2TBPZ2JCNZZYGHZ", ("prescription.scanned", None)),
    ]
    with caplog.at_level(logging.DEBUG):
        async with BoxClient.from_directory(folder) as client:
            events = client.events(after=box.bus.last_seq)
            for name, payload, (kind, code) in cases:
                await show(camera, payload, name)
                got, data = await outcome(events)
                assert got == kind, name
                assert data["channel"] == "qr_camera"
                if code is not None:
                    assert data["code"] == code, name
                if kind == "apcv.presented":
                    fetched = await client.presentation(data["presentation_id"])
                    assert fetched["payload"] == apcv_like  # byte for byte
                    assert fetched["payload_text"] is None
                if kind == "prescription.scanned":
                    fetched = await client.prescription(data["presentation_id"])
                    assert fetched["number"] == "01S2TBPZ2JCNZZYGHZ"
                (camera / f"{name}.png").unlink()
    # Payloads are never logged, whatever happened to them.
    for _, payload, _ in cases:
        assert payload.hex() not in caplog.text
        assert payload[:20].decode("latin-1") not in caplog.text


async def test_a_code_held_in_view_is_one_presentation(camera_box):
    box, camera, folder = camera_box
    token = b"AC" + b"T" * 150
    async with BoxClient.from_directory(folder) as client:
        events = client.events(after=box.bus.last_seq)
        await show(camera, token, "held")
        first = await wait_event(events, "apcv.presented")
        await asyncio.sleep(1.0)  # twenty frames of the same code
        assert box.apcv.presentations.waiting() == 1
        (camera / "held.png").unlink()
        await asyncio.sleep(0.6)  # out of view longer than forget_after_s
        await show(camera, token, "again")
        second = await wait_event(events, "apcv.presented")
        assert second.data["presentation_id"] != first.data["presentation_id"]
