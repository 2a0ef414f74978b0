"""The box's code never reaches the simulator: a box image can leave ``borne.sim`` out.

Two proofs. The import graph of every module under ``src/borne`` (imports at any depth,
in functions too, and module names written as strings: the backend registry's, ``-m``
command lines, ``importlib``) is walked from every module outside ``borne.sim``; none
may reach it. Then a copy of the package without ``sim/`` is imported module by module
in a fresh interpreter, and its ``borne`` command runs without a ``sim`` command.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path

import borne

PACKAGE = Path(borne.__file__).parent
SIMULATOR = "borne.sim"
#: The one reference allowed: the CLI's optional plug-in, loaded by name only where the
#: simulator is installed (proven by the sim-less copy below).
PLUG_IN = ("borne.cli.main", "SIMULATOR_CLI")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The longest known module that ``name`` (maybe ``module.attribute``) starts with."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """Every borne module ``module`` names: imports anywhere in it, and module-name strings."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    if module == PLUG_IN[0]:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == PLUG_IN[1] for t in node.targets):
                skipped.add(id(node.value))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value.startswith("borne.") and id(node) not in skipped):
            names = [node.value.partition(":")[0]]
        for name in names:
            resolved = _resolve(name)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


def path_to_simulator(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """The import chain from ``start`` to a simulator module, or None."""
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == SIMULATOR or current.startswith(SIMULATOR + "."):
            chain = [current]
            while (previous := came_from[chain[-1]]) is not None:
                chain.append(previous)
            return chain[::-1]
        for following in sorted(graph[current]):
            if following not in came_from:
                came_from[following] = current
                queue.append(following)
    return None


def test_the_walker_sees_every_kind_of_reference():
    # A late import in a function, a relative import, and a registry string are all edges.
    assert "borne.runtime.mode" in imports_of("borne.daemon")              # late, relative
    assert "borne.readers.pcsc" in imports_of("borne.registry")            # a string
    assert "borne.vpcd.card" in imports_of("borne.bridge.bridge")          # late, relative
    assert "borne.sim.card_process" in imports_of("borne.sim.cardslots")   # an -m command line
    # ... and the simulator is reachable from its own CLI, so the search below can find it.
    graph = {module: imports_of(module) for module in MODULES}
    assert path_to_simulator("borne.sim.cli", graph) == ["borne.sim.cli"]
    assert SIMULATOR in {m.rpartition(".")[0] for m in graph["borne.sim.cli"]} | {"borne.sim"}


def test_no_module_outside_the_simulator_reaches_it():
    graph = {module: imports_of(module) for module in MODULES}
    box_modules = [m for m in MODULES if not (m == SIMULATOR or m.startswith(SIMULATOR + "."))]
    assert len(box_modules) > 100
    chains = {m: chain for m in box_modules if (chain := path_to_simulator(m, graph))}
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
