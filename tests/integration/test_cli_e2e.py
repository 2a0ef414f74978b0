"""The README's promises, tried as a newcomer would, through the ``borne`` command itself.

- ``borne serve`` with no configuration file at all, on a machine whose pcscd has vpcd
  readers and a virtual carte Vitale: ``borne status --json`` shows it decoded.
- ``borne sim run``, then ``borne sim insert 0 vitale-family`` and ``borne status``.
- ``borne sim run --config F`` with a file naming one setting: every twin is still there
  (``borne sim apcv --qr`` works), the setting holds (a 4 s apCV session expires), and the
  simulator's data stays in its own directory; ``borne serve --config F`` starts on the
  same file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from support.fresh_defaults import FRESH_DEFAULTS
from support.sim_cli import BORNE, pair_workstation, start_sim

pytestmark = pytest.mark.pcscd


# Runs in a child under FRESH_DEFAULTS: /run/borne, /etc/borne and /var/lib are empty (so the
# defaults are really the built-in ones, the daemon's CA is not made in the machine's
# /var/lib/borne, and a daemon or simulator the machine runs is untouched), the test's
# private /run/pcscd is kept; it drives `borne serve` and `borne status --json` exactly as a
# person would.
SERVE_WITH_NO_CONFIG = textwrap.dedent(r'''
    import json, os, subprocess, sys, time
    assert not os.path.exists("/etc/borne/borne.toml")
    borne = [sys.executable, "-m", "borne.cli.main"]
    options = sys.argv[1:]  # after the command, as people type them
    serve = subprocess.Popen(borne + ["serve"] + options, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            run = subprocess.run(borne + ["status", "--json"] + options, capture_output=True,
                                 text=True)
            if run.returncode == 0:
                state = json.loads(run.stdout)
                if any(r["state"] == "decoded" for r in state["readers"]):
                    print(run.stdout)
                    break
            time.sleep(0.1)
        else:
            sys.exit("no decoded card in time")
    finally:
        serve.terminate()
        serve.wait(10)
''')


def serve_until_decoded(*options: str) -> dict:
    """`borne serve` (with ``options`` after the command) on fresh defaults, until a card decodes."""
    run = subprocess.run(FRESH_DEFAULTS + [sys.executable, "-c", SERVE_WITH_NO_CONFIG, *options],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_serve_with_no_config_file_decodes_a_public_layout_vitale(card_slots):
    card_slots.insert(1, "vitale-family")
    state = serve_until_decoded()
    assert state["devices"]["pcsc"]["state"] == "available"
    reader = next(r for r in state["readers"] if r["state"] == "decoded")
    assert reader["name"] == "Borne Sim 00 01" and reader["backend"] == "pcsc"
    card = reader["card"]
    assert card["type"] == "vitale" and len(card["beneficiaries"]) == 3
    for person in card["beneficiaries"]:
        assert set(person) >= {"surname", "first_name", "birth_date", "nir", "nir_key_valid"}
        assert isinstance(person["nir_key_valid"], bool)
        assert len(person["birth_date"]) == 10 and person["birth_date"][4] == "-"


def test_serve_and_status_take_config_after_the_command(card_slots, tmp_path):
    config = tmp_path / "apcv.toml"
    config.write_text("[apcv]\nsession_seconds = 4\n")  # the one-setting file
    card_slots.insert(0, "vitale-family")
    state = serve_until_decoded("--config", str(config))
    assert state["readers"][0]["state"] == "decoded"


def test_sim_run_insert_status_remove(tmp_path):
    sim, cli = start_sim(tmp_path)
    try:
        inserted = subprocess.run(cli + ["sim", "insert", "0", "vitale-family"], capture_output=True,
                                  text=True, timeout=30)
        assert inserted.returncode == 0, inserted.stderr
        deadline = time.monotonic() + 10
        table = ""
        while time.monotonic() < deadline and "3 bénéficiaire(s)" not in table:
            table = subprocess.run(cli + ["status"], capture_output=True, text=True).stdout
            time.sleep(0.1)
        assert "carte Vitale 2: 3 bénéficiaire(s)" in table
        assert "clé OK" in table and "borne-sim-00-00" in table
        bad = subprocess.run(cli + ["sim", "insert", "9", "vitale-family"], capture_output=True, text=True)
        assert bad.returncode == 2 and "[sim_bad_slot]" in bad.stderr
        bad = subprocess.run(cli + ["sim", "insert", "1", "vitale-famly"], capture_output=True, text=True)
        assert bad.returncode == 2 and "[sim_unknown_card]" in bad.stderr
        removed = subprocess.run(cli + ["sim", "remove", "0"], capture_output=True, text=True)
        assert removed.returncode == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            state = json.loads(subprocess.run(cli + ["status", "--json"], capture_output=True,
                                              text=True).stdout)
            if state["readers"][0]["state"] == "empty":
                break
            time.sleep(0.1)
        assert state["readers"][0]["card"] is None
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
    assert not (tmp_path / "run" / "control.sock").exists()
    assert not (tmp_path / "run" / "sim.sock").exists()


def test_tools_on_a_broken_config_warn_and_use_the_daemons_defaults(tmp_path):
    # The daemon runs on the defaults then (tests/integration/test_serve_notify.py); the
    # operator's tools must look for it where it is, and say why. Where the defaults are
    # empty: not the machine's own daemon, if it runs one.
    config = tmp_path / "borne.toml"
    config.write_text('[readers]\nsmartcard = "pcsx"\n')
    run = subprocess.run(FRESH_DEFAULTS + BORNE + ["--config", str(config), "status"],
                         capture_output=True, text=True, timeout=30)
    assert str(config) in run.stderr and "readers.smartcard" in run.stderr
    assert "using the built-in defaults, as the daemon does" in run.stderr


def test_status_without_a_daemon_says_so(tmp_path):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}"\n')
    run = subprocess.run(BORNE + ["--config", str(config), "status"], capture_output=True, text=True)
    assert run.returncode == 2 and "[control_unavailable]" in run.stderr
    assert "ne répond pas" in run.stderr


def test_vendor_flow_pair_open_client_pair_then_curl(tmp_path):
    """The API issue's "done when", as a new vendor does it, against `borne sim run`."""
    import shutil
    import stat

    sim, cli = start_sim(tmp_path)
    ws = tmp_path / "ws"
    try:
        # The simulated box has its own network: the "workstation" commands run inside it.
        workstation = pair_workstation(sim, cli, ws, "Comptoir 1")
        assert stat.S_IMODE((ws / "client.key").stat().st_mode) == 0o600
        assert (ws / "client.crt").exists() and (ws / "ca.crt").exists()
        listed = subprocess.run(cli + ["clients", "list"], capture_output=True, text=True)
        assert "Comptoir 1" in listed.stdout and "active" in listed.stdout
        subprocess.run(cli + ["sim", "insert", "0", "vitale-family"], check=True, capture_output=True)
        curl = shutil.which("curl")
        assert curl, "curl is installed by dev.sh"
        mtls = ["--cacert", str(ws / "ca.crt"), "--cert", str(ws / "client.crt"),
                "--key", str(ws / "client.key")]
        deadline = time.monotonic() + 10
        card = {}
        while time.monotonic() < deadline and card.get("type") != "vitale":
            run = subprocess.run(workstation + [curl, "-s", *mtls,
                                 "https://localhost:8443/v1/readers/borne-sim-00-00/card"],
                                 capture_output=True, text=True)
            card = json.loads(run.stdout) if run.stdout.startswith("{") else {}
            time.sleep(0.2)
        assert card["type"] == "vitale" and len(card["beneficiaries"]) == 3
        status = json.loads(subprocess.run(workstation + [curl, "-s", *mtls,
                                           "https://localhost:8443/v1/status"],
                                           capture_output=True, text=True).stdout)
        assert status["client"]["name"] == "Comptoir 1"
        # Without a certificate: refused with the JSON error; foreign certificate: no TLS at all.
        bare = subprocess.run(workstation + [curl, "-s", "--cacert", str(ws / "ca.crt"),
                              "https://localhost:8443/v1/status"], capture_output=True, text=True)
        assert json.loads(bare.stdout)["error"] == "unauthenticated"
        audit = subprocess.run(cli + ["audit", "verify"], capture_output=True, text=True)
        assert audit.returncode == 0 and "intact" in audit.stdout
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0


# Runs on the simulated box's network, as the paired workstation: waits for the apCV the test
# shows, opens its session, and reports its state at 2 s and after 4.5 s.
SESSION_LIFETIME = textwrap.dedent(r'''
    import asyncio, json, sys, time
    from borne.client.api import BoxClient

    async def main():
        async with BoxClient.from_directory(sys.argv[1]) as client:
            # Both the CPS decode and the presentation: `sim insert` returns once the card is
            # in the reader, not once the box has read it, so either may come first.
            presentation, cps_read = None, False
            async for event in client.events(after=0):
                if event.type == "apcv.presented":
                    presentation = event.data["presentation_id"]
                cps_read |= event.type == "card.decoded" and event.data.get("type") == "cps"
                if presentation and cps_read:
                    break
            await client.presentation(presentation)
            session = await client.open_session(presentation)
            opened = time.monotonic()
            await asyncio.sleep(2)
            early = (await client.session(session["id"]))["state"]
            await asyncio.sleep(4.5 - (time.monotonic() - opened))
            late = (await client.session(session["id"]))["state"]
            print(json.dumps({"early": early, "late": late}))

    asyncio.run(main())
''')


def test_sim_run_with_a_one_setting_file_keeps_the_twins(tmp_path):
    config = tmp_path / "apcv.toml"
    config.write_text("[apcv]\nsession_seconds = 4\n")
    sim, cli = start_sim(tmp_path, config_file=config)
    ws = tmp_path / "ws"
    try:
        workstation = pair_workstation(sim, cli, ws)
        run = lambda *args: subprocess.run(cli + list(args), capture_output=True, text=True,
                                           timeout=30)
        assert run("sim", "insert", "1", "cps-pharmacist").returncode == 0
        watcher = subprocess.Popen(workstation + [sys.executable, "-c", SESSION_LIFETIME, str(ws)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        shown = run("sim", "apcv", "--qr")
        assert shown.returncode == 0, shown.stderr  # sim_no_twin when the file dropped the twins
        out, err = watcher.communicate(timeout=60)
        assert watcher.returncode == 0, err
        assert json.loads(out) == {"early": "open", "late": "expired"}
        data = subprocess.run(["nsenter", f"--mount=/proc/{sim.pid}/ns/mnt", "ls", "/var/lib"],
                              capture_output=True, text=True).stdout.split()
        assert "borne-sim" in data and "borne" not in data
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
