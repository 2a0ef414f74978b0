"""The tests' harness stays one: read with ``ast``, every module of tests/ and bench/ keeps to it.

- A simulated box in the process is configured by ``support.box.box_config`` and
  started by ``support.box.start_box`` (or ``running_box``): elsewhere, ``Daemon(``
  only over ``box_config(...)`` (a test of the start itself), and no ``parse_config(``
  of a hand-written box on the ``sim`` smart-card backend.
- A simulated box in a child is configured by ``support.sim_cli.sim_config`` (and run
  by ``start_sim``): no hand-written config file with ``smartcard = "sim"``.
- Nobody else defines a ``start_box``, ``start_sim``, ``box_config`` or ``sim_config``.
- No test module imports another test module or a ``conftest``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Where the one harness lives: the only place allowed to do what the rules forbid.
SUPPORT = ROOT / "tests" / "support"
HARNESS_NAMES = {"start_box", "running_box", "box_config", "api_config", "start_sim",
                 "sim_config"}
#: A hand-written config file's line choosing the simulator's smart-card backend.
SIM_TOML = re.compile(r"""smartcard\s*=\s*["']sim["']""")


def modules() -> list[Path]:
    """Every Python module of tests/ and bench/ outside tests/support, but this one (its
    examples break the rules on purpose)."""
    found = sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")])
    return [path for path in found
            if SUPPORT not in path.parents and path != Path(__file__).resolve()]


def called(node: ast.Call) -> str | None:
    """The name a call calls: ``f`` for ``f(...)`` and ``m.f(...)``."""
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def literal_key(table: ast.Dict, key: str) -> ast.expr | None:
    """The value a dict literal gives ``key`` (a string key), if it does."""
    for name, value in zip(table.keys, table.values):
        if isinstance(name, ast.Constant) and name.value == key:
            return value
    return None


def is_sim_box(document: ast.expr) -> bool:
    """Whether a config document written in the code chooses the ``sim`` smart-card backend."""
    if not isinstance(document, ast.Dict):
        return False
    readers = literal_key(document, "readers")
    if not isinstance(readers, ast.Dict):
        return False
    smartcard = literal_key(readers, "smartcard")
    return (isinstance(smartcard, ast.Constant) and isinstance(smartcard.value, str)
            and smartcard.value.split(":")[0] == "sim")


def is_test_module(module: str) -> bool:
    """Whether a dotted module name is a test module or a conftest."""
    return any(part.startswith("test_") or part == "conftest" for part in module.split("."))


def violations(source: str) -> Iterator[str]:
    """What the module's source does against the rules, one line each (with its line number)."""
    for node in ast.walk(ast.parse(source)):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and called(node) == "Daemon":
            config = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "config"), None)
            if not (isinstance(config, ast.Call) and called(config) == "box_config"):
                yield f"{where}: Daemon(...) over a config not from support.box.box_config"
        elif isinstance(node, ast.Call) and called(node) == "parse_config":
            if node.args and is_sim_box(node.args[0]):
                yield f"{where}: parse_config of a hand-written sim box: use support.box.box_config"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SIM_TOML.search(node.value):
                yield f"{where}: a hand-written sim box config file: use support.sim_cli.sim_config"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in HARNESS_NAMES:
                yield f"{where}: defines its own {node.name}: use tests/support's"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if is_test_module(alias.name):
                    yield f"{where}: imports the test module {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            imported = [node.module or ""]
            if not node.module or node.level:  # from . import test_x
                imported += [alias.name for alias in node.names]
            for module in imported:
                if module and is_test_module(module):
                    yield f"{where}: imports the test module {module}"


def test_every_module_of_tests_and_bench_uses_the_one_harness():
    broken = {str(path.relative_to(ROOT)): found for path in modules()
              if (found := list(violations(path.read_text(encoding="utf-8"))))}
    assert broken == {}


def test_the_scan_covers_the_tests_and_the_benches():
    scanned = {path.relative_to(ROOT).parts[:2] for path in modules()}
    assert {("tests", "integration"), ("tests", "unit"), ("tests", "hil")} <= scanned
    assert any(parts[0] == "bench" for parts in scanned)
    assert not any(SUPPORT in path.parents for path in modules())


@pytest.mark.parametrize("source", [
    "box = Daemon(config)",
    "box = Daemon(parse_config({'daemon': {}}))",
    "box = borne.daemon.Daemon(config=config, clock=clock)",
    "parse_config({'daemon': {'data_dir': d}, 'readers': {'smartcard': 'sim'}})",
    "parse_config({'readers': {'pcsc': {}, 'smartcard': 'sim:x'}})",
    "config.write_text('[readers]\\nsmartcard = \"sim\"\\n')",
    "async def start_box(path): ...",
    "def start_sim(tmp_path): ...",
    "from test_api import box",
    "import test_mdns",
    "from conftest import sim_pcscd",
    "from tests.integration.test_bridge import Workstation",
    "from . import test_api",
    "from .conftest import card_slots",
])
def test_what_the_rules_refuse(source):
    assert list(violations(source)), source


@pytest.mark.parametrize("source", [
    "box = Daemon(box_config(tmp_path, daemon={'data_dir': blocked}))",
    "box = await start_box(tmp_path, readers={'camera': 'images:/x'})",
    "parse_config({'readers': {'smartcard': 'pcsx'}})",  # a config check, not a box
    "parse_config({'readers': {'nfc': 'udp:127.0.0.1:1'}})",
    "parse_config(data, source='borne.toml')",
    "path.write_text('[readers]\\nsmartcard = \"pcsc:Kapelse*\"\\n')",
    "from support.box import paired, running_box",
    "import support.mdns_browser",
    "from borne.readers.cards import testing_tools",
])
def test_what_the_rules_allow(source):
    assert not list(violations(source)), source
