"""The box's code never reaches the simulator: a box image can leave ``borne.sim`` out.

Two proofs. The import graph of every module under ``src/borne`` (imports at any depth,
in functions too, and module names written as strings: the backend registry's, ``-m``
command lines, ``importlib``) is walked from every module outside ``borne.sim``; none
may reach it. Then a copy of the package without ``sim/`` is imported module by module
in a fresh interpreter, and its ``borne`` command runs without a ``sim`` command.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from support.import_graph import MODULES, PACKAGE, SIMULATOR, graph, imports_of, path_to


def in_simulator(module: str) -> bool:
    return module == SIMULATOR or module.startswith(SIMULATOR + ".")


def test_the_walker_sees_every_kind_of_reference():
    # A late import in a function, a relative import, and a registry string are all edges.
    assert "borne.runtime.mode" in imports_of("borne.daemon")              # late, relative
    assert "borne.readers.pcsc" in imports_of("borne.registry")            # a string
    assert "borne.vpcd.card" in imports_of("borne.bridge.bridge")          # late, relative
    assert "borne.sim.card_process" in imports_of("borne.sim.cardslots")   # an -m command line
    # ... and the simulator is reachable from its own CLI, so the search below can find it.
    edges = graph()
    assert path_to("borne.sim.cli", edges, in_simulator) == ["borne.sim.cli"]
    assert path_to("borne.cli.main", {**edges, "borne.cli.main": {"borne.sim.cli"}},
                   in_simulator) == ["borne.cli.main", "borne.sim.cli"]


def test_no_module_outside_the_simulator_reaches_it():
    edges = graph()
    box_modules = [m for m in MODULES if not in_simulator(m)]
    assert len(box_modules) > 100
    chains = {m: chain for m in box_modules if (chain := path_to(m, edges, in_simulator))}
    assert not chains, "\n".join(" -> ".join(chain) for chain in chains.values())


IMPORT_EVERYTHING = r"""
import importlib, json, pkgutil, sys
import borne
assert borne.__file__.startswith(sys.argv[1]), borne.__file__
failed = {}
for info in pkgutil.walk_packages(borne.__path__, "borne."):
    try:
        importlib.import_module(info.name)
    except ImportError as error:
        # A hardware library absent from this machine (picamera2...) is not our concern here;
        # a borne module missing is.
        if (error.name or "").startswith("borne"):
            failed[info.name] = f"{type(error).__name__}: {error}"
print(json.dumps({"failed": failed, "sim_loaded": [m for m in sys.modules if m.startswith("borne.sim")]}))
"""


def test_a_box_without_the_simulator_imports_and_runs_its_command(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "borne", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(copy / "borne" / "sim")
    env = {"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}

    run = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING, str(copy)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result == {"failed": {}, "sim_loaded": []}

    borne_command = [sys.executable, "-m", "borne.cli.main"]
    help_run = subprocess.run([*borne_command, "--help"], env=env, capture_output=True, text=True,
                              timeout=60)
    assert help_run.returncode == 0, help_run.stderr
    assert "serve" in help_run.stdout and "bridge" in help_run.stdout
    assert " sim " not in help_run.stdout
    sim_run = subprocess.run([*borne_command, "sim", "run"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert sim_run.returncode == 2 and "invalid choice: 'sim'" in sim_run.stderr
