"""``borne sim wifi`` then ``borne sim button``, against ``borne sim run`` and its stand-in
NetworkManager (python-dbusmock on a private bus): the phone's code is offered, the button
joins, the box reports ``network.joined``; the password is in no
answer and no file the simulated box wrote."""

from __future__ import annotations

import shutil
import subprocess
import signal

import pytest

from support.sim_cli import start_sim

pytestmark = [pytest.mark.pcscd,
              pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                 reason="needs dbus-daemon (Debian package: dbus)"),
              pytest.mark.skipif(__import__("importlib").util.find_spec("dbusmock") is None,
                                 reason="needs python-dbusmock (the test extra)")]

PASSWORD = "Zq7-mot;de:passe"


def test_sim_wifi_then_the_button_joins_through_the_stand_in(tmp_path):
    sim, cli = start_sim(tmp_path, network={"confirm_s": 30})

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(cli + ["--lang", "en", "sim", *args], capture_output=True,
                              text=True, timeout=90)

    try:
        button = run("button")  # nothing offered: a plain press, nothing joined
        assert button.returncode == 0 and "network.joined" not in button.stdout
        shown = run("wifi", "--ssid", "Pharmacie du Port", "--password", PASSWORD, "--hidden")
        assert shown.returncode == 0, shown.stderr
        assert 'Wi-Fi "Pharmacie du Port" offered' in shown.stdout
        joined = run("button")
        assert joined.returncode == 0, joined.stderr
        assert 'network.joined: "Pharmacie du Port", address 192.168.43.17' in joined.stdout
        for answer in (shown, joined):
            assert PASSWORD not in answer.stdout + answer.stderr
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(30)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "borne.toml":
            assert PASSWORD.encode() not in path.read_bytes(), path
