"""The apCV issue's "done when", as a new vendor tries it: `borne sim run` and a paired client.

The simulated box runs in its own namespaces; the vendor's program (the SDK)
runs inside the box's network namespace, like the API issue's end-to-end test.
Every presentation goes through the box's real input path: a QR frame decoded
by the real decoder from the camera twin's directory, key events decoded by the
scanner's keymap, a virtual phone on nfcpy's UDP driver.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from support.sim_cli import insert_and_read, pair_workstation, start_sim

#: The vendor's side: pairs, then runs one scenario given on the command line and prints
#: what the box answered as JSON lines.
VENDOR = r'''
import asyncio, json, sys
from borne.client import BoxClient, BoxError, pair

async def next_event(events, wanted):
    async def find():
        async for event in events:
            if event.type in wanted:
                return event
    return await asyncio.wait_for(find(), 30)

async def main(directory, cli, command, claims, delay):
    async with BoxClient.from_directory(directory) as box:
        events = box.events(after=(await box.status())["last_event_seq"])
        await asyncio.sleep(0.2)
        proc = await asyncio.create_subprocess_exec(*json.loads(cli), *json.loads(command),
                                                    stdout=asyncio.subprocess.DEVNULL)
        assert await proc.wait() == 0
        event = await next_event(events, {"apcv.presented", "prescription.scanned"})
        print(json.dumps({"event": event.type, "channel": event.data["channel"]}), flush=True)
        pid = event.data["presentation_id"]
        if event.type == "prescription.scanned":
            print(json.dumps({"number": (await box.prescription(pid))["number"]}), flush=True)
            return
        shown = await box.presentation(pid)
        try:
            await box.presentation(pid)
            second = "accepted"
        except BoxError as error:
            second = error.code
        print(json.dumps({"size": len(shown["payload"]), "second_fetch": second}), flush=True)
        session = await box.open_session(pid)
        print(json.dumps({"session": bool(session["id"])}), flush=True)
        await asyncio.sleep(delay)
        answers = []
        for _ in range(claims):
            response = await box._http.post(f"/v1/apcv/sessions/{session['id']}/invoices")
            answers.append(response.status_code)
        print(json.dumps({"claims": answers}), flush=True)

asyncio.run(main(*sys.argv[1:4], int(sys.argv[4]), float(sys.argv[5])))
'''


def every_twin(tmp_path) -> dict[str, str]:
    """The ``[readers]`` of a box with every presentation input: the twins `borne sim` drives."""
    run = tmp_path / "run"
    return {"camera": f"images:{run}/sim-camera", "scanner": f"keylog:{run}/sim-scanner.jsonl",
            "nfc": "udp:127.0.0.1:54321"}


def vendor(workstation, folder, cli, command, claims=0, delay=0.0) -> list[dict]:
    run = subprocess.run(workstation + [sys.executable, "-c", VENDOR, str(folder),
                                        json.dumps(cli), json.dumps(command), str(claims),
                                        str(delay)],
                         capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def stop(sim) -> None:
    sim.send_signal(signal.SIGINT)
    assert sim.wait(30) == 0


def test_done_when_qr_pharmacist_then_doctor_then_prescription(tmp_path):
    sim, cli = start_sim(tmp_path, readers=every_twin(tmp_path))
    try:
        workstation = pair_workstation(sim, cli, tmp_path / "ws")
        insert_and_read(cli, workstation, tmp_path / "ws", 1, "cps-pharmacist",
                        profession="pharmacist")
        said = vendor(workstation, tmp_path / "ws", cli, ["sim", "apcv", "--qr"], claims=3)
        assert said[0] == {"event": "apcv.presented", "channel": "qr_camera"}
        assert said[1]["second_fetch"] == "presentation_already_fetched"
        assert said[1]["size"] > 64
        assert said[2] == {"session": True}
        assert said[3] == {"claims": [201, 201, 409]}

        insert_and_read(cli, workstation, tmp_path / "ws", 1, "cps-doctor", profession="doctor")
        said = vendor(workstation, tmp_path / "ws", cli, ["sim", "apcv", "--nfc"], claims=2)
        assert said[0] == {"event": "apcv.presented", "channel": "nfc"}
        assert said[3] == {"claims": [201, 409]}

        said = vendor(workstation, tmp_path / "ws", cli,
                      ["sim", "prescription", "01S2TBPZ2JCNZZYGHZ"])
        assert said == [{"event": "prescription.scanned", "channel": "qr_camera"},
                        {"number": "01S2TBPZ2JCNZZYGHZ"}]
        said = vendor(workstation, tmp_path / "ws", cli,
                      ["sim", "prescription", "01S2TBPZ2JCNZZYGHZ", "--scanner"])
        assert said[0] == {"event": "prescription.scanned", "channel": "qr_scanner"}
    finally:
        stop(sim)


def test_done_when_session_seconds_2_claim_after_3_s_is_410(tmp_path):
    sim, cli = start_sim(tmp_path, readers=every_twin(tmp_path), apcv={"session_seconds": 2})
    try:
        workstation = pair_workstation(sim, cli, tmp_path / "ws")
        insert_and_read(cli, workstation, tmp_path / "ws", 1, "cps-pharmacist",
                        profession="pharmacist")
        said = vendor(workstation, tmp_path / "ws", cli, ["sim", "apcv", "--scanner"], claims=1,
                      delay=3.0)
        assert said[0] == {"event": "apcv.presented", "channel": "qr_scanner"}
        assert said[3] == {"claims": [410]}
    finally:
        stop(sim)


def test_display_done_when_sim_screen_follows_card_apcv_and_pairing(tmp_path):
    """The display issue's "done when": `borne sim screen` shows what a person needs to see."""
    from PIL import Image

    from borne.display import views as v
    from borne.display.render import render
    from borne.display.views import StatusStrip

    def screen(name: str) -> Image.Image:
        path = tmp_path / f"{name}.png"
        subprocess.run(cli + ["sim", "screen", "--png", str(path)], check=True,
                       capture_output=True, timeout=30)
        return Image.open(path)

    def showing(view, name: str, timeout: float = 10.0) -> Image.Image:
        expected = {render(view, status=StatusStrip(clock_synced=synced)).tobytes()
                    for synced in (True, False)}
        deadline = time.monotonic() + timeout
        while True:
            shown = screen(name)
            if shown.convert("1").tobytes() in expected:
                return shown
            assert time.monotonic() < deadline, f"the screen never showed {view}"
            time.sleep(0.2)

    sim, cli = start_sim(tmp_path, readers=every_twin(tmp_path),
                         display={"device": "dummy:128x64"},
                         panel={"pins": "mock", "long_press_s": 1.0})
    try:
        idle = screen("idle")
        assert idle.size == (128, 64)
        subprocess.run(cli + ["sim", "insert", "0", "vitale-family"], check=True,
                       capture_output=True)
        vitale = showing(v.VitaleView(3), "vitale")  # "Carte Vitale lue, 3 bénéficiaires"
        subprocess.run(cli + ["sim", "apcv", "--qr"], check=True, capture_output=True)
        apcv = showing(v.ApcvPresentedView("qr_camera"), "apcv")
        assert apcv.tobytes() != vitale.tobytes()
        subprocess.run(cli + ["sim", "button", "--long"], check=True, capture_output=True,
                       timeout=30)
        pairing = screen("pairing")
        assert pairing.tobytes() not in (apcv.tobytes(), vitale.tobytes(), idle.tobytes())
        printed = subprocess.run(cli + ["sim", "screen"], capture_output=True, text=True,
                                 timeout=30)
        assert printed.returncode == 0 and "█" in printed.stdout
        assert len(printed.stdout.splitlines()) == 64 // 2 + 2  # half blocks + the frame
    finally:
        stop(sim)
