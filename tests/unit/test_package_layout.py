"""The package shows where code runs, and its ``__init__`` files hold no code.

- Each ``__init__.py`` holds a docstring, imports (re-exports), ``__all__`` and
  ``TYPE_CHECKING`` imports; the SDK's lazy ``__getattr__`` (so ``import borne.client`` does not
  load httpx) and the root's version constants are the two exceptions.
- Workstation code (the SDK, the bridge, the ``borne client``/``borne bridge`` commands) never
  reaches the box's services: a vendor's machine runs it without the daemon's parts.
"""

from __future__ import annotations

import ast

import pytest

from support.import_graph import MODULES, PACKAGE, closure, graph

#: Statements an ``__init__.py`` may hold beyond docstring, imports and ``__all__``.
ALLOWED_INIT_CODE = {
    "borne": {"__version__", "API_LEVEL"},          # the package's identity, read by the API
    "borne.client": {"__getattr__"},                # lazy re-exports (PEP 562)
}

#: What runs on a billing workstation.
WORKSTATION = ["borne.client", "borne.client.journal_reader", "borne.bridge.bridge",
               "borne.cli.workstation", "borne.cli.bridge", "borne.cli.client_find",
               "borne.cli.client_journal"]
#: The box's services: a workstation never needs them.
BOX_ONLY = ("borne.daemon", "borne.core", "borne.api", "borne.readers", "borne.display",
            "borne.apcv", "borne.apdu", "borne.audit", "borne.battery", "borne.health",
            "borne.control", "borne.registry", "borne.journal.service", "borne.journal.store",
            "borne.mdns.announcer", "borne.secure_channel.ca", "borne.secure_channel.clients",
            "borne.runtime.storage_watch", "borne.runtime.systemd_notify", "borne.runtime.mode",
            "borne.runtime.clock_watch", "borne.sim")


def _extra_statements(module: str) -> list[str]:
    tree = ast.parse(MODULES[module].read_text())
    extra = []
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            continue
        names = ([t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign)
                 else [node.target.id] if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                 else [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [])
        if names == ["__all__"] or (names and set(names) <= ALLOWED_INIT_CODE.get(module, set())):
            continue
        extra.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0][:60]}")
    return extra


PACKAGES = sorted(m for m, path in MODULES.items() if path.name == "__init__.py")


@pytest.mark.parametrize("package", PACKAGES)
def test_init_files_only_re_export(package):
    assert _extra_statements(package) == []
    tree = ast.parse(MODULES[package].read_text())
    assert ast.get_docstring(tree), f"{package} says what it holds"


def test_the_check_sees_code_in_an_init(tmp_path, monkeypatch):
    fake = tmp_path / "__init__.py"
    fake.write_text('"""Doc."""\nfrom .x import y\n__all__ = ["y"]\nCACHE = {}\ndef helper():\n    pass\n')
    monkeypatch.setitem(MODULES, "borne.fake", fake)
    assert [line.split(":")[0] for line in _extra_statements("borne.fake")] == ["line 4", "line 5"]


def test_workstation_code_never_reaches_the_box_services():
    edges = graph()
    for start in WORKSTATION:
        reached = sorted(m for m in closure(start, edges)
                         if any(m == box or m.startswith(box + ".") for box in BOX_ONLY))
        assert reached == [], f"{start} reaches {reached}"


def test_the_box_services_are_really_reached_by_the_daemon():
    # The list above names real modules: the daemon reaches most of them.
    reached = closure("borne.daemon", graph())
    for box in BOX_ONLY:
        if box not in ("borne.sim", "borne.daemon"):
            assert any(m == box or m.startswith(box + ".") for m in reached), box


#: Longest a source file may be: one job per file. Data tables would be listed here with the
#: reason; there are none (the scanner's layouts were split from their decoder instead).
MAX_LINES = 450
DATA_TABLES: dict[str, str] = {}


def test_no_source_file_is_longer_than_its_job():
    long = {str(path.relative_to(PACKAGE.parent)): count for path in MODULES.values()
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert {name: count for name, count in long.items() if name not in DATA_TABLES} == {}
