"""``borne sim battery`` end to end, against ``borne sim run`` of a mobile box.

The command sets the twin's level; the daemon reads it through the real driver and
the emulated INA219 registers; ``borne status`` shows it, the screen warns, and at
the critical level the power-off request appears in the runtime directory (nothing
acts on it here: on the box, root's ``borne-poweroff.path`` does).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from borne.display import views as v
from borne.display.render import render
from borne.display.views import StatusStrip

from support.sim_cli import start_sim

pytestmark = pytest.mark.pcscd


#: A mobile box whose file names no battery device (so `borne sim run` gives it the twin).
MOBILE = {"daemon": {"mode": "mobile"}, "display": {"device": "dummy:128x64"},
          "battery": {"poll_s": 0.2, "poweroff_delay_s": 0.5}}


def test_sim_battery_drives_status_screen_and_the_power_off_request(tmp_path):
    sim, cli = start_sim(tmp_path, **MOBILE)
    request = tmp_path / "run" / "poweroff-request"

    def status() -> dict:
        run = subprocess.run(cli + ["status", "--json"], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    def battery(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(cli + ["sim", "battery", *args], capture_output=True, text=True,
                              timeout=30)

    def screen_shows(view, percent: int, timeout: float = 10.0) -> None:
        expected = {render(view, status=StatusStrip(clock_synced=synced, battery_percent=percent))
                    .tobytes() for synced in (True, False)}
        from PIL import Image

        deadline = time.monotonic() + timeout
        while True:
            path = tmp_path / "screen.png"
            subprocess.run(cli + ["sim", "screen", "--png", str(path)], check=True,
                           capture_output=True, timeout=30)
            if Image.open(path).convert("1").tobytes() in expected:
                return
            assert time.monotonic() < deadline, f"the screen never showed {view}"
            time.sleep(0.2)

    try:
        deadline = time.monotonic() + 10
        while (state := status())["battery"]["state"] != "ok":
            assert time.monotonic() < deadline, state["battery"]
            time.sleep(0.1)
        assert state["mode"] == "mobile" and state["battery"]["percent"] == 80
        assert state["devices"]["battery"]["state"] == "available"

        run = battery("50")
        assert run.returncode == 0, run.stderr
        assert "50 % (décharge / discharging)" in run.stdout
        assert "the box reads: 50 %, ok" in run.stdout
        assert status()["battery"]["percent"] == 50

        run = battery("15")
        assert "the box reads: 15 %, low" in run.stdout
        screen_shows(v.ErrorView("battery_low"), 15)  # "Batterie faible"

        run = battery("3", "--charging")
        assert "the box reads: 3 %, low" in run.stdout  # charging: never critical
        time.sleep(1.0)
        assert not request.exists()

        run = battery("3")
        assert "the box reads: 3 %, critical" in run.stdout
        screen_shows(v.ErrorView("battery_critical"), 3)  # "Batterie vide / Arrêt"
        deadline = time.monotonic() + 10
        while not request.exists():
            assert time.monotonic() < deadline, "no power-off request"
            time.sleep(0.1)
        assert request.read_text().startswith("battery critical: 3 %")
        assert status()["battery"] == {"percent": 3, "charging": False, "state": "critical",
                                       "voltage_mv": status()["battery"]["voltage_mv"]}

        bad = battery("150")
        assert bad.returncode == 2 and "[control_bad_request]" in bad.stderr
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
