"""A developer's simulated box is not the LAN's: its API listens on loopback unless opened.

The simulator has test cards, a pairing button anyone can press (``borne sim button --long``)
and no installer who chose where it serves. A LAN attacker without a certificate must not
even reach its TLS port: ``borne sim run`` serves the API on ``127.0.0.1`` by default, and
only ``--listen 0.0.0.0`` (or ``[api] host`` in its file) opens it, which its banner says
(tests/unit/test_sim_config.py).

The simulated box runs in a network namespace of its own (``support.sim_cli.start_sim``);
a veth link joins it to this test process's (the tests' private network), which plays the
LAN: the developer's machine has a LAN address there, and the attacker connects to it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from support.sim_cli import start_sim

DEVELOPER = "192.0.2.10"  # TEST-NET-1 (RFC 5737): the developer machine's LAN address
ATTACKER = "192.0.2.20"  # another machine of that LAN


def lan_between(sim: subprocess.Popen[str]) -> None:
    """A veth link from the simulated box's network to this process's, both addressed."""
    here = f"lan{os.getpid() % 10**6}"  # interface names: 15 characters at most
    box = ["nsenter", f"--net=/proc/{sim.pid}/ns/net", "ip"]
    for command in (box + ["link", "add", "eth0", "type", "veth", "peer", "name", here,
                           "netns", str(os.getpid())],
                    box + ["addr", "add", f"{DEVELOPER}/24", "dev", "eth0"],
                    box + ["link", "set", "eth0", "up"],
                    ["ip", "addr", "add", f"{ATTACKER}/24", "dev", here],
                    ["ip", "link", "set", here, "up"]):
        subprocess.run(command, check=True, capture_output=True, timeout=30)


def reaches(address: str, port: int = 8443) -> bool:
    """Whether this process (a machine of the LAN) can open a TCP connection to ``address``."""
    deadline = time.monotonic() + 5  # a new link may take a moment to carry packets
    while True:
        with socket.socket() as probe:
            probe.settimeout(2)
            if probe.connect_ex((address, port)) == 0:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def box_reaches_itself(sim: subprocess.Popen[str]) -> bool:
    """Whether the developer's own tools, on the machine, reach the API on 127.0.0.1."""
    probe = ("import socket, sys; s = socket.socket(); s.settimeout(5); "
             "sys.exit(s.connect_ex(('127.0.0.1', 8443)))")
    return subprocess.run(["nsenter", f"--net=/proc/{sim.pid}/ns/net", sys.executable, "-c",
                           probe], timeout=30).returncode == 0


def run_sim(tmp_path, *options: str) -> subprocess.Popen[str]:
    config = tmp_path / "apcv.toml"
    config.write_text("[apcv]\nsession_seconds = 60\n")  # a developer's one-setting file
    sim, _ = start_sim(tmp_path, config_file=config, options=options)
    return sim


def stop(sim: subprocess.Popen[str]) -> None:
    sim.send_signal(signal.SIGINT)
    assert sim.wait(20) == 0


def test_the_default_simulated_box_is_out_of_the_lans_reach(tmp_path):
    sim = run_sim(tmp_path)
    try:
        lan_between(sim)
        assert box_reaches_itself(sim)  # the developer's own tools still reach it
        assert not reaches(DEVELOPER)  # the LAN does not
    finally:
        stop(sim)


def test_listen_opens_it_to_the_lan(tmp_path):
    sim = run_sim(tmp_path, "--listen", "0.0.0.0")
    try:
        lan_between(sim)
        assert reaches(DEVELOPER)
    finally:
        stop(sim)
