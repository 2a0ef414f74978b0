"""The operator's tools all look at the same box: the daemon that answers on the control socket.

``borne sim run --config F`` with a one-setting file, on fresh default paths, as a person runs
it: the simulator keeps its data in ``/var/lib/borne-sim``, and the machine also has a real
box's ``/var/lib/borne`` (here a decoy journal). ``borne clients list`` asks the daemon;
``borne audit verify``, ``borne audit show`` and ``borne doctor`` must read that daemon's files
too, with the same file given or none, never the other box's.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest

from support.sim_cli import BORNE, pair_workstation, start_sim

pytestmark = pytest.mark.pcscd

# Run in the simulated box's mount namespace: a real box's audit journal at the real box's
# place, with one entry no simulated box ever writes.
DECOY = ("import pathlib; from borne.audit.trail import AuditTrail; from borne.runtime.clock "
         "import Clock\n"
         "pathlib.Path('/var/lib/borne').mkdir(mode=0o700)\n"
         "with AuditTrail(pathlib.Path('/var/lib/borne/audit.db'), Clock()) as trail:\n"
         "    trail.record(client_id='decoy', action='DECOY', resource='/decoy', status=200)\n")


def test_audit_and_doctor_read_the_running_simulators_data(tmp_path):
    config = tmp_path / "apcv.toml"
    config.write_text("[apcv]\nsession_seconds = 4\n")
    sim, cli = start_sim(tmp_path, config_file=config)
    inside = ["nsenter", f"--mount=/proc/{sim.pid}/ns/mnt", f"--net=/proc/{sim.pid}/ns/net"]
    try:
        subprocess.run(inside + [sys.executable, "-c", DECOY], check=True, timeout=30)
        pair_workstation(sim, cli, tmp_path / "ws", "Comptoir 1")
        listed = subprocess.run(cli + ["clients", "list"], capture_output=True, text=True,
                                timeout=30)
        assert "Comptoir 1" in listed.stdout  # the simulator's, asked over its socket
        # With the one-setting file, and with no file at all (as a person types it).
        for prefix in (cli, inside + BORNE):
            verified = subprocess.run(prefix + ["audit", "verify"], capture_output=True,
                                      text=True, timeout=30)
            assert verified.returncode == 0, verified.stderr
            assert "Journal d'audit intact" in verified.stdout
            assert "Fichier : /var/lib/borne-sim/audit.db" in verified.stdout
            shown = subprocess.run(prefix + ["audit", "show", "--json", "--limit", "1000"],
                                   capture_output=True, text=True, timeout=30)
            assert shown.returncode == 0, shown.stderr
            actions = {entry["action"] for entry in json.loads(shown.stdout)}
            assert "DECOY" not in actions
            assert "POST /v1/pairing/complete" in actions, actions
        doctor = subprocess.run(inside + BORNE + ["doctor"], capture_output=True, text=True,
                                timeout=60)
        lines = {match.group(1): line for line in doctor.stdout.splitlines()
                 if (match := re.match(r"^\[[^\]]*\] (\S+)", line))}
        assert "/var/lib/borne-sim" in lines["data_dir"], doctor.stdout
        assert lines["ca_cert"].startswith("[OK"), doctor.stdout  # the simulator's CA
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
