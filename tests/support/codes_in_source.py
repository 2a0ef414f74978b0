"""Every error code the source can raise, found by walking it with :mod:`ast`.

A code is a snake_case string constant in one of these places:

- a ``code=`` keyword, or any ``*_code=`` one (``ControlError(code="...")``,
  ``call(..., unavailable_code="...")``);
- the positional argument of a callee whose parameter there is named ``code``
  (``ApiError("not_found")``, ``LeaseError("slot_busy")``, ``_error(ident, "bad_request")``,
  ``sink.card_error(slot, "card_unresponsive", ns)``, ``Failure("...")``), callees found
  by name among every function and class defined under the root, a class through its
  ``__init__``, its bases' or its dataclass fields; and a function passed along with its
  arguments
  (``self._emit(sink.card_error, slot, "card_unresponsive", ns)``);
- a class body's ``code = "..."``;
- a dict display's ``"code"`` key (``{"op": "error", "code": "bad_request"}``);
- what a function named ``*_code`` returns;
- what ``.code`` or ``code`` is compared with (``error.code == "card_removed"``,
  ``code in _GONE``);
- a module-level table named ``*_CODES`` or ``*_STATUS`` (its string keys and values).

Conditional expressions, ``x or "default"``, ``d.get(key, "default")`` and module-level
constants and collections (``_fail(UNKNOWN_KEY)``) are followed. The health checks' own
vocabulary (``borne/health``, and calls of what it defines, like ``Check(..., code=)``),
the screen's (``ErrorView(...)``) and the catalogue itself are left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Found", "codes_in"]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_TABLE = re.compile(r"(^|_)(codes?|status)(_|$)", re.IGNORECASE)
#: Left out: a separate vocabulary (health checks), the declaration of the codes, and the
#: document's example bodies (a health check's code among them; tests/unit/test_openapi_examples.py
#: holds each to its schema).
SKIPPED = ("health/", "error_catalogue.py", "api/examples.py")
#: Callees of other vocabularies: the screen's messages (display/texts.py), which name
#: events (``journal_recovered``, ``battery_low``...) as well as error codes.
OTHER_VOCABULARIES = frozenset({"ErrorView"})


@dataclass(frozen=True)
class Found:
    """One use of a code: where (``path`` under the root, ``line``, the enclosing ``scope``,
    e.g. ``PairingService.start``) and how (``via``: the callee's name, ``code=``,
    ``class X``, ``dict op=error``, ``return of f``, ``compared``, ``table NAME``;
    ``callee``: the function or class called with it, if any)."""

    code: str
    path: str
    line: int
    via: str
    scope: str
    callee: str = ""


def _callee(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _positional(args: ast.arguments, method: bool) -> list[str]:
    names = [a.arg for a in args.posonlyargs + args.args]
    return names[1:] if method and names and names[0] in ("self", "cls") else names


def _is_dataclass(node: ast.ClassDef) -> bool:
    return any(_callee(d.func if isinstance(d, ast.Call) else d) == "dataclass"
               for d in node.decorator_list)


def _fields(node: ast.ClassDef) -> list[str]:
    """A dataclass's fields in order: its ``__init__``'s parameters."""
    return [item.target.id for item in node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            and "ClassVar" not in ast.unparse(item.annotation)]


class _Index:
    """Every callee's positions of ``code``, the module constants, and the health names."""

    def __init__(self, modules: dict[str, ast.Module]) -> None:
        self.code_at: dict[str, set[int]] = {}
        self.health: set[str] = set()
        inits: dict[str, list[str] | None] = {}
        bases: dict[str, list[str]] = {}
        for path, tree in modules.items():
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self._add(node.name, _positional(node.args, method=True))
                elif isinstance(node, ast.ClassDef):
                    bases[node.name] = [b for b in map(_callee, node.bases) if b]
                    init = next((f for f in node.body if isinstance(f, ast.FunctionDef)
                                 and f.name == "__init__"), None)
                    inits[node.name] = (_positional(init.args, True) if init
                                        else _fields(node) if _is_dataclass(node) else None)
            if path.startswith("health/"):
                self.health |= {n.name for n in tree.body
                                if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        for name in inits:
            params = self._init_of(name, inits, bases, set())
            if params is not None:
                self._add(name, params)

    def _add(self, name: str, params: list[str]) -> None:
        for index, param in enumerate(params):
            if param == "code":
                self.code_at.setdefault(name, set()).add(index)

    def _init_of(self, name: str, inits: dict, bases: dict, seen: set) -> list[str] | None:
        if name in seen or name not in inits:
            return None
        seen.add(name)
        if inits[name] is not None:
            return inits[name]
        for base in bases.get(name, []):
            found = self._init_of(base, inits, bases, seen)
            if found is not None:
                return found
        return None


class _Walker(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module, index: _Index) -> None:
        self.path, self.index = path, index
        self.scope: list[str] = []
        self.found: list[Found] = []
        #: Module-level names bound to constants or collections of constants.
        self.constants: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                    and node.value is not None:
                self.constants[node.target.id] = node.value

    # -- what a node says ----------------------------------------------------------------------

    def _strings(self, node: ast.expr | None, depth: int = 0) -> Iterator[tuple[str, int]]:
        if node is None or depth > 4:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _CODE.match(node.value):
                yield node.value, node.lineno
        elif isinstance(node, ast.IfExp):
            yield from self._strings(node.body, depth + 1)
            yield from self._strings(node.orelse, depth + 1)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                yield from self._strings(value, depth + 1)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            for element in node.elts:
                yield from self._strings(element, depth + 1)
        elif isinstance(node, ast.Name) and node.id in self.constants:
            yield from self._strings(self.constants[node.id], depth + 1)
        elif isinstance(node, ast.Call):
            name = _callee(node.func)
            if name in ("frozenset", "set", "tuple") and node.args:
                yield from self._strings(node.args[0], depth + 1)
            elif name == "get" and len(node.args) == 2:
                yield from self._strings(node.args[1], depth + 1)

    def _add(self, node: ast.expr | None, via: str, callee: str = "") -> None:
        for code, line in self._strings(node):
            self.found.append(Found(code, self.path, line, via, ".".join(self.scope), callee))

    # -- the places a code can be ----------------------------------------------------------------

    def _scoped(self, node: ast.AST, name: str) -> None:
        self.scope.append(name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code"
                                                    for t in item.targets):
                self._add(item.value, f"class {node.name}")
        self._scoped(node, node.name)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name.endswith("_code"):
            for child in ast.walk(node):
                if isinstance(child, ast.Return):
                    self._add(child.value, f"return of {node.name}")
        self._scoped(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node.func)
        if name not in self.index.health and name not in OTHER_VOCABULARIES:
            for keyword in node.keywords:
                if keyword.arg is not None and (keyword.arg == "code"
                                                or keyword.arg.endswith("_code")):
                    self._add(keyword.value, f"{keyword.arg}=", name or "")
            for position in self.index.code_at.get(name or "", ()):
                if position < len(node.args):
                    self._add(node.args[position], name or "", name or "")
            for offset, argument in enumerate(node.args):  # f(callee, *its arguments)
                passed = _callee(argument) if isinstance(argument, (ast.Name, ast.Attribute)) \
                    else None
                for position in self.index.code_at.get(passed or "", ()):
                    if offset + 1 + position < len(node.args):
                        self._add(node.args[offset + 1 + position], passed or "", passed or "")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        op = next((v.value for k, v in zip(node.keys, node.values)
                   if isinstance(k, ast.Constant) and k.value == "op"
                   and isinstance(v, ast.Constant)), None)
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value == "code":
                self._add(value, f"dict op={op}" if op else "dict")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        left = node.left
        if (isinstance(left, ast.Attribute) and left.attr == "code") or \
                (isinstance(left, ast.Name) and left.id == "code"):
            for comparator in node.comparators:
                self._add(comparator, "compared")
        self.generic_visit(node)

    def visit_Module(self, node: ast.Module) -> None:
        for item in node.body:
            target = item.targets[0] if isinstance(item, ast.Assign) and len(item.targets) == 1 \
                else item.target if isinstance(item, ast.AnnAssign) else None
            if isinstance(target, ast.Name) and _TABLE.search(target.id):
                value = item.value
                if isinstance(value, ast.Dict):
                    for key, element in zip(value.keys, value.values):
                        self._add(key, f"table {target.id}")
                        self._add(element, f"table {target.id}")
                elif isinstance(value, (ast.Tuple, ast.List, ast.Set, ast.Call)):
                    self._add(value, f"table {target.id}")
        self.generic_visit(node)


def codes_in(root: Path, skipped: tuple[str, ...] = SKIPPED) -> list[Found]:
    """Every use of an error code in the ``.py`` files under ``root`` (``src/borne``)."""
    modules = {path.relative_to(root).as_posix(): ast.parse(path.read_text(), str(path))
               for path in sorted(root.rglob("*.py"))}
    index = _Index(modules)
    found: list[Found] = []
    for path, tree in modules.items():
        if path.startswith(skipped):
            continue
        walker = _Walker(path, tree, index)
        walker.visit(tree)
        found += walker.found
    return found
