"""`borne sim prescription` and `borne sim apcv` say what the box made of the code they showed.

The camera counts a code held in view once, and again only once it has been out of view for
`[camera] forget_after_s`: the same prescription shown twice within seconds is one
presentation, one event. The simulator's command must not claim a second success then; it
says the box announced nothing, and why (docs/api.md, "The same code twice").
"""

from __future__ import annotations

import signal
import subprocess
import time

from support.sim_cli import start_sim

NUMBER = "01S2TBPZ2JCNZZYGHZ"


def test_the_same_prescription_twice_in_a_row_is_one_presentation_and_the_cli_says_so(tmp_path):
    run_dir = tmp_path / "run"
    sim, cli = start_sim(tmp_path, readers={"camera": f"images:{run_dir}/sim-camera",
                                            "scanner": f"keylog:{run_dir}/sim-scanner.jsonl"})
    try:
        def present(*extra: str) -> subprocess.CompletedProcess:
            return subprocess.run(cli + ["--lang", "en", "sim", "prescription", NUMBER, *extra],
                                  capture_output=True, text=True, timeout=60)

        first = present()
        assert first.returncode == 0, first.stderr
        assert "presented, prescription.scanned pr-" in first.stdout
        again = present()  # the picture is still in front of the camera
        assert again.returncode == 1 and again.stdout == ""
        assert "the box announced nothing" in again.stderr
        assert "Already presented?" in again.stderr and "2.0 s out of view" in again.stderr
        # The scanner counts every scan: the same number scanned is a new presentation.
        scanned = [present("--scanner") for _ in range(2)]
        assert [s.returncode for s in scanned] == [0, 0], [s.stderr for s in scanned]
        ids = {s.stdout.split()[-1] for s in scanned}
        assert len(ids) == 2 and all(i.startswith("pr-") for i in ids)
        # Out of the camera's view for longer than forget_after_s: a new presentation.
        time.sleep(2.5)
        french = [subprocess.run(cli + ["--lang", "fr", "sim", "prescription", NUMBER],
                                 capture_output=True, text=True, timeout=60) for _ in range(2)]
        assert french[0].returncode == 0 and " : présentée, prescription.scanned pr-" in \
            french[0].stdout
        assert french[1].returncode == 1 and "la borne n'a rien annoncé" in french[1].stderr
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(30) == 0
