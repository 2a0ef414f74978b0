"""The issue's "done when", as a nurse's box does it: `borne sim run` in mobile mode, a paired
tablet that is not connected while three cartes Vitale are read, then `borne client journal`."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from support.sim_cli import BORNE, pair_workstation, start_sim

pytestmark = pytest.mark.pcscd

CARDS = ("vitale-family", "vitale-single", "vitale-badkey")
#: Names and NIRs of the simulator's cartes Vitale, which must not be in the file in clear.
CLEAR = (b"LECLERC", b"NGUYEN", b"MARTIN", b"ALICE", b"BERNARD", b"CAMILLE", b"178112B00401746",
         b"115061305532193", b"785109912604214", b"285047505612322", b"295109912611199")


def _read(cli, card: str) -> None:
    """Insert ``card`` in slot 0, wait for its decoding, remove it, wait for the empty slot."""
    subprocess.run(cli + ["sim", "insert", "0", card], check=True, capture_output=True, timeout=30)
    for wanted in ("decoded", "empty"):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            state = json.loads(subprocess.run(cli + ["status", "--json"], capture_output=True,
                                              text=True, timeout=30).stdout)
            if state["readers"][0]["state"] == wanted:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"{card}: slot 0 never {wanted}")
        if wanted == "decoded":
            subprocess.run(cli + ["sim", "remove", "0"], check=True, capture_output=True)


def _screen_shows(cli, tmp_path, view, status, timeout: float = 10.0) -> None:
    """`borne sim screen --png` shows exactly ``view`` with ``status`` (within ``timeout``)."""
    from PIL import Image

    from borne.display.render import render

    expected = render(view, status=status).tobytes()
    deadline = time.monotonic() + timeout
    while True:
        subprocess.run(cli + ["sim", "screen", "--png", str(tmp_path / "screen.png")], check=True,
                       capture_output=True, timeout=30)
        if Image.open(tmp_path / "screen.png").convert("1").tobytes() == expected:
            return
        assert time.monotonic() < deadline, f"the screen never showed {view}"
        time.sleep(0.2)


def test_three_offline_reads_collected_later_in_order_then_gone(tmp_path):
    from borne.display import views as v

    # `borne sim run --config F` with mode = "mobile", as the issue says (the screen never
    # dims during the test, so its frames can be compared).
    sim, cli = start_sim(tmp_path, daemon={"mode": "mobile"},
                         display={"device": "dummy:128x64", "mobile_dim_after_s": 600})
    ws = tmp_path / "tablet"
    try:
        workstation = pair_workstation(sim, cli, ws, "Tablette infirmière")
        status = json.loads(subprocess.run(cli + ["status", "--json"], capture_output=True,
                                           text=True, timeout=30).stdout)
        assert status["mode"] == "mobile"
        battery = subprocess.run(cli + ["sim", "battery", "64", "--charging"], capture_output=True,
                                 text=True, timeout=30)
        assert battery.returncode == 0, battery.stderr
        for card in CARDS:   # the tablet is not connected meanwhile
            _read(cli, card)
        # The nurse sees it on the box: mobile screen, battery, three reads waiting.
        synced = json.loads(subprocess.run(cli + ["status", "--json"], capture_output=True,
                                           text=True, timeout=30).stdout)["clock"]["synchronised"]
        _screen_shows(cli, tmp_path, v.MobileView(64, True, 3),
                      v.StatusStrip(clock_synced=synced, battery_percent=64, charging=True),
                      timeout=20)
        journal = workstation + BORNE + ["client", "journal", "--dir", str(ws)]
        deadline = time.monotonic() + 10
        while True:          # the last append may still be on its way to the disk
            peek = subprocess.run(journal + ["--no-ack", "--json"], capture_output=True,
                                  text=True, timeout=60)
            assert peek.returncode == 0, peek.stderr
            if len(peek.stdout.splitlines()) == 3 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        records = [json.loads(line) for line in peek.stdout.splitlines()]
        assert [len(r["body"]["card"]["beneficiaries"]) for r in records] == [3, 1, 1]
        assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)
        assert all(r["boot_id"] == records[0]["boot_id"] for r in records)
        assert [r["mono_ns"] for r in records] == sorted(r["mono_ns"] for r in records)
        raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("journal.db*"))
        assert raw and not [clear for clear in CLEAR if clear in raw]
        collected = subprocess.run(journal, capture_output=True, text=True, timeout=60)
        assert collected.returncode == 0, collected.stderr
        lines = collected.stdout.splitlines()
        assert len(lines) == 3 and "LECLERC-TEST JEAN" in lines[0]
        assert "3 acquitté(s)" in collected.stderr
        again = subprocess.run(journal, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and again.stdout == ""
        _screen_shows(cli, tmp_path, v.MobileView(64, True, 0),
                      v.StatusStrip(clock_synced=synced, battery_percent=64, charging=True))
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
