"""The import graph of the ``borne`` package, read from its source with ``ast``.

An edge is any reference from one module to another: ``import`` and ``from ... import``
at any depth (late imports in functions too, relative ones resolved), and a string constant
naming a borne module (the backend registry's entries, ``python -m`` command lines,
``importlib.import_module``). Used by the import-graph and package-layout tests.
"""

from __future__ import annotations

import ast
import functools
from collections import deque
from collections.abc import Callable
from pathlib import Path

import borne

__all__ = ["MODULES", "PACKAGE", "PLUG_IN", "SIMULATOR", "closure", "graph", "imports_of", "path_to"]

PACKAGE = Path(borne.__file__).parent
SIMULATOR = "borne.sim"
#: The one reference allowed: the CLI's optional plug-in, loaded by name only where the
#: simulator is installed (tests/unit/test_import_graph.py imports a copy without it).
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


@functools.cache
def imports_of(module: str) -> frozenset[str]:
    """Every borne module ``module`` names: imports anywhere in it, and module-name strings.

    Cached: the source does not change during a test run, and several tests walk the graph."""
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
    return frozenset(found)


def path_to(start: str, graph: dict[str, set[str]], target: Callable[[str], bool]) -> list[str] | None:
    """The shortest import chain from ``start`` to a module for which ``target`` is true, or None."""
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if target(current):
            chain = [current]
            while (previous := came_from[chain[-1]]) is not None:
                chain.append(previous)
            return chain[::-1]
        for following in sorted(graph[current]):
            if following not in came_from:
                came_from[following] = current
                queue.append(following)
    return None


def graph() -> dict[str, frozenset[str]]:
    """Every module and the borne modules it names (a new dict: callers may change it)."""
    return {module: imports_of(module) for module in MODULES}


def closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    """Every module ``start`` reaches, itself included."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(edges[module])
    return seen
