"""docs/api.md's "Your first hour", run exactly as written against ``borne sim run``.

The block is read from the doc itself (after its ``first-hour`` marker) and run by bash in
the simulated box's namespaces, as a vendor runs it in a second terminal: the project's
``borne`` on the PATH, an empty folder, the simulator on its defaults (an empty config file,
under fresh default paths: what ``./dev.sh sim`` runs). It must end with a claimed invoice.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.sim_cli import start_sim

pytestmark = pytest.mark.pcscd

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def first_hour_block() -> str:
    """The shell block that follows the doc's ``first-hour`` marker."""
    text = DOC.read_text()
    match = re.search(r"<!-- first-hour:.*?-->\n```sh\n(.*?)\n```", text, re.S)
    assert match, "docs/api.md lost its first-hour block"
    return match.group(1)


def test_the_first_hour_block_ends_with_a_claimed_invoice(tmp_path):
    config = tmp_path / "empty.toml"
    config.write_text("")
    sim, _cli = start_sim(tmp_path, config_file=config)
    folder = tmp_path / "vendor"
    folder.mkdir()
    inside = ["nsenter", f"--mount=/proc/{sim.pid}/ns/mnt", f"--net=/proc/{sim.pid}/ns/net",
              f"--wd={folder}"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    try:
        run = subprocess.run(inside + ["bash", "-c", first_hour_block()], cwd=folder, env=env,
                             capture_output=True, text=True, timeout=120)
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    claimed = json.loads(run.stdout.strip().splitlines()[-1])
    assert claimed["invoice"] == 1 and claimed["session"]["invoices_allowed"] == 2  # pharmacist
    assert (folder / "ws" / "client.crt").exists()
