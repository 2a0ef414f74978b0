"""schemathesis, the independent fuzzer, run against a box as a vendor runs it: its command line.

:func:`run_schemathesis` runs ``schemathesis run`` (the version pinned in the ``test`` extra)
in a child process with ``schemathesis.toml`` beside this file, a paired workstation's
certificate and the box's CA, and returns what it did (:class:`Run`): its exit status, its
output, and the counts of its JSON report. The child shares the test's network namespace, so it
reaches a box the test started on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from borne.client.store import WorkstationFiles

__all__ = ["Run", "run_schemathesis"]

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
HOOKS = HERE / "schemathesis_hooks.py"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@dataclass(frozen=True)
class Run:
    """One run: exit status, what it printed, and its JSON report (``report``)."""

    returncode: int
    output: str
    report: dict

    def summary(self) -> str:
        """The counts the closing note gives: operations, cases, phases, time."""
        operations = self.report["operations"]
        phases = ", ".join(f"{name} {phase['status']}"
                           for name, phase in self.report["phases"].items())
        cases = self.report["test_cases"]
        return (f"schemathesis {self.report['schemathesis_version']}: "
                f"{operations['tested']} of {operations['total']} operations tested, "
                f"{cases['generated']} cases, {cases['with_failures']} with failures; "
                f"phases: {phases}; {self.report['running_time']:.0f} s; "
                f"seed {self.report['seed']}")


async def run_schemathesis(url: str, workstation: Path, reports: Path, *, own_client: str,
                           max_examples: int, max_time: int, seed: int | None = None,
                           ids: dict[str, list[str]] | None = None) -> Run:
    """``schemathesis run`` against ``url`` as the workstation paired in ``workstation``.

    ``own_client`` is that workstation's id (never revoked by the run: schemathesis_hooks.py),
    ``ids`` the ids of what the test made for the run (same module). ``max_examples`` bounds the
    cases per operation and phase, ``max_time`` the whole run (s).
    """
    files = WorkstationFiles(workstation)
    reports.mkdir(parents=True, exist_ok=True)
    argv = [str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{url}/openapi.json",
            "--max-examples", str(max_examples), "--max-time", str(max_time),
            "--report", "json,junit", "--report-dir", str(reports), "--no-color"]
    if seed is not None:
        argv += ["--seed", str(seed)]
    env = {**os.environ, "BORNE_CONTRACT_CERT": str(files.certificate),
           "BORNE_CONTRACT_KEY": str(files.key), "BORNE_CONTRACT_CA": str(files.ca),
           "BORNE_CONTRACT_HOOKS": str(HOOKS), "BORNE_CONTRACT_OWN_CLIENT": own_client,
           "BORNE_CONTRACT_IDS": json.dumps(ids or {}),
           "PYTHONPATH": str(HERE.parent)}
    child = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
        cwd=str(reports))
    output, _ = await child.communicate()
    found = sorted(reports.glob("json-*.json"))
    report = json.loads(found[-1].read_text()) if found else {}
    return Run(child.returncode, output.decode(errors="replace"), report)
