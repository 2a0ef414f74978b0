"""A pharmacy counter's day: medicine boxes' GS1 codes through the scanner and the camera twins.

The box runs with its default recognition rules (any code of 64 bytes or more is
an apCV), the ``keylog:`` scanner twin, the ``images:`` camera twin and the dummy
screen. A medicine box's GS1 DataMatrix, as a keyboard-mode scanner types it
(AIM identifier ``]d2``, FNC1 as Ctrl+]) or as the camera sees a GS1 code, must
leave the event stream and the screen as they were, and be counted
(``borne status --json``: ``apcv.gs1_ignored``). A code that only looks like one
(a wrong GTIN check digit) goes through the rules like any other.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time

import pytest

from borne.config import load_config_for_tools
from borne.control.client import call
from borne.display import views as v
from borne.sim.qr_frames import render_qr_frame
from borne.sim.scanner_keys import type_code

from support.box import running_box
from support.sim_cli import start_sim
from support.waiting import wait_for

pytestmark = pytest.mark.pcscd

GS = "\x1d"
PRESCRIPTION = "01S2TBPZ2JCNZZYGHZ"
#: A French medicine box: GTIN 0 + CIP13 3400930000001 (check digit 4), expiry 31 Dec 2027,
#: batch, GS, serial: 72 characters with the identifier, over the apCV rule's 64-byte floor.
MEDICINE = f"]d201034009300000141727123110BATCH2024061700A1{GS}21SN7QK2ZD9R4HXW1CLM42"
ELEMENTS = "(01)03400930000014(17)271231(10)BATCH2024061700A1(21)SN7QK2ZD9R4HXW1CLM42"
#: The same box misread: the GTIN's check digit is wrong.
MISREAD = MEDICINE.replace("0103400930000014", "0103400930000015")
SHOWN = {"apcv.presented", "prescription.scanned", "capture.error"}


@pytest.fixture
def counter(tmp_path):
    """The sections of a pharmacy counter's box: scanner and camera twins, a dummy screen."""
    camera = tmp_path / "camera"
    camera.mkdir()

    def sections(layout: str = "azerty") -> dict:
        return {"readers": {"camera": f"images:{camera}",
                            "scanner": f"keylog:{tmp_path / 'scanner.jsonl'}"},
                "scanner": {"layout": layout, "gap_s": 2.0},
                "camera": {"fps": 20.0, "forget_after_s": 0.3},
                "display": {"device": "dummy:128x64", "retry_s": 0.2},
                "panel": {"pins": "mock"}}
    return sections


def shown_since(box, seq: int) -> list:
    """The events since ``seq`` that a person or a billing client would see."""
    return [event for event in box.bus.history(seq) if event.type in SHOWN]


async def until_shown(box, seq: int) -> list:
    """Wait until something is shown after ``seq``; the events shown."""
    await asyncio.to_thread(wait_for, lambda: shown_since(box, seq), 10.0)
    return shown_since(box, seq)


async def scanner_listening(box) -> None:
    """Until the scanner twin follows its keylog: it starts at the file's end (as ``tail -f``),
    so what is typed before it opened the file is never read."""
    await asyncio.to_thread(wait_for, lambda: box.core.devices.get("scanner", {}).get("state")
                            == "available", 10.0)


async def idle_screen(box) -> v.View:
    await asyncio.to_thread(wait_for, lambda: box.display.last_image is not None and isinstance(
        box.display.state.view(box.clock.monotonic()), v.IdleView), 10.0)
    return box.display.state.view(box.clock.monotonic())


async def show_picture(camera, image, name: str) -> None:
    part = camera / f".{name}.png"
    await asyncio.to_thread(image.save, part, "PNG")
    os.replace(part, camera / f"{name}.png")


def printed(barcode):
    """A camera frame of a carton with ``barcode`` (zxing-cpp's) printed on it."""
    import numpy as np
    from PIL import Image

    symbol = Image.fromarray(np.asarray(barcode.to_image(scale=8)))
    frame = Image.new("L", (1280, 720), 128)
    carton = Image.new("L", (symbol.width + 160, symbol.height + 100), 240)
    carton.paste(symbol, (80, 50))
    frame.paste(carton, ((1280 - carton.width) // 2, (720 - carton.height) // 2))
    return frame


@pytest.mark.parametrize("layout", ["azerty", "qwerty"])
async def test_scanned_medicine_boxes_leave_the_stream_and_the_screen_alone(
        tmp_path, sim_pcscd, counter, layout):
    async with running_box(tmp_path, **counter(layout)) as box:
        idle = await idle_screen(box)
        await scanner_listening(box)
        before, image = box.bus.last_seq, box.display.last_image.tobytes()
        keys = tmp_path / "scanner.jsonl"
        last = type_code(keys, MEDICINE, layout)          # GS typed as Ctrl+], as scanners do
        type_code(keys, MEDICINE[3:], layout, start=last + 0.5)  # without the AIM identifier
        await asyncio.to_thread(wait_for, lambda: box.apcv.gs1_ignored == 2, 10.0)
        await asyncio.sleep(0.5)  # what an event would have changed, it would have by now
        assert shown_since(box, before) == []
        assert box.display.state.view(box.clock.monotonic()) == idle
        assert box.display.last_image.tobytes() == image
        status = await asyncio.to_thread(call, box.config.control_socket, "status")
        assert status["apcv"] == {"presentations_waiting": 0, "sessions_open": 0,
                                  "gs1_ignored": 2}
        # The scanner still reads what it is for: the next thing shown is the prescription.
        type_code(keys, PRESCRIPTION, layout)
        assert [e.type for e in await until_shown(box, before)] == ["prescription.scanned"]


async def test_a_code_that_only_looks_like_a_medicine_box_is_recognised_as_usual(
        tmp_path, sim_pcscd, counter):
    async with running_box(tmp_path, **counter("qwerty")) as box:
        await scanner_listening(box)
        keys = tmp_path / "scanner.jsonl"
        before = box.bus.last_seq
        type_code(keys, MISREAD, "qwerty")
        [shown] = await until_shown(box, before)
        assert shown.type == "apcv.presented"  # 72 bytes: the default rules make it an apCV
        before = box.bus.last_seq
        type_code(keys, MISREAD[:40], "qwerty")
        [shown] = await until_shown(box, before)
        assert (shown.type, shown.data.code) == ("capture.error", "capture_unrecognised")
        await asyncio.to_thread(wait_for, lambda: isinstance(
            box.display.state.view(box.clock.monotonic()), v.ErrorView), 5.0)
        assert box.apcv.gs1_ignored == 0


async def test_medicine_boxes_shown_to_the_camera_leave_the_stream_and_the_screen_alone(
        tmp_path, sim_pcscd, counter):
    import zxingcpp

    camera = tmp_path / "camera"
    async with running_box(tmp_path, **counter()) as box:
        idle = await idle_screen(box)
        before = box.bus.last_seq
        # A GS1 QR code (zxing-cpp in GS1 mode, read back as "]Q3"): the camera decodes it.
        gs1_qr = zxingcpp.create_barcode(ELEMENTS, zxingcpp.BarcodeFormat.QRCode, gs1=True)
        assert gs1_qr.symbology_identifier == "]Q3" and len(gs1_qr.bytes) >= 64
        await show_picture(camera, printed(gs1_qr), "qr")
        await asyncio.to_thread(wait_for, lambda: box.apcv.gs1_ignored == 1, 10.0)
        # The box's own GS1 DataMatrix: the camera looks for QR codes only, so it is not even
        # decoded (the counter stays), and nothing is shown either.
        matrix = zxingcpp.create_barcode(ELEMENTS, zxingcpp.BarcodeFormat.DataMatrix, gs1=True)
        assert matrix.symbology_identifier == "]d2"
        assert [r.bytes for r in zxingcpp.read_barcodes(printed(matrix))] == [matrix.bytes]
        (camera / "qr.png").unlink()
        await show_picture(camera, printed(matrix), "matrix")
        await asyncio.sleep(1.0)  # twenty frames
        assert shown_since(box, before) == []
        assert box.display.state.view(box.clock.monotonic()) == idle
        assert box.apcv.gs1_ignored == 1
        (camera / "matrix.png").unlink()
        await show_picture(camera, render_qr_frame(PRESCRIPTION.encode()), "prescription")
        assert [e.type for e in await until_shown(box, before)] == ["prescription.scanned"]


def test_done_when_sim_medicine_is_counted_and_the_screen_stays_idle(tmp_path):
    """The closing note's commands: `borne sim medicine [--qr]`, `borne status --json`."""
    run = tmp_path / "run"
    sim, cli = start_sim(tmp_path, readers={"camera": f"images:{run}/sim-camera",
                                            "scanner": f"keylog:{run}/sim-scanner.jsonl"},
                         display={"device": "dummy:128x64"}, panel={"pins": "mock"})

    def borne(*args: str) -> str:
        return subprocess.run(cli + list(args), check=True, capture_output=True, text=True,
                              timeout=30).stdout

    def screen(name: str) -> bytes:
        borne("sim", "screen", "--png", str(tmp_path / name))
        return (tmp_path / name).read_bytes()

    try:
        idle, seq = screen("idle.png"), json.loads(borne("status", "--json"))["last_event_seq"]
        assert "medicine box (scanner)" in borne("sim", "medicine")
        assert "medicine box (qr)" in borne("sim", "medicine", "--qr")
        deadline = time.monotonic() + 20
        while (status := json.loads(borne("status", "--json")))["apcv"]["gs1_ignored"] < 2:
            assert time.monotonic() < deadline, status["apcv"]
            time.sleep(0.2)
        socket = load_config_for_tools(cli[-1]).control_socket  # what `borne status` asks
        shown = [e["type"] for e in call(socket, "events", {"after": seq}) if e["type"] in SHOWN]
        assert shown == []
        assert screen("after.png") == idle
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(30) == 0
