"""The OpenAPI document served at /openapi.json says what it said before it was generated.

``tests/data/openapi-before.json`` is ``borne.api.openapi.document()`` as it was
hand-written (issue 13's starting point). The document built now must be the same
contract: only the order of keys, and of order-free lists (``required``, ``enum``),
may differ, and ``description``/``title``/``examples`` keys may be added. The few
real corrections are listed in :data:`CORRECTIONS`, each with its reason. Anything
else fails with one line per difference.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from borne import __version__
from borne.api.openapi import document

BEFORE = Path(__file__).resolve().parents[1] / "data" / "openapi-before.json"
#: Lists whose order means nothing.
ORDER_FREE = frozenset({"required", "enum"})
#: Keys the generated document may add where the old one had none.
MAY_BE_ADDED = frozenset({"description", "title", "examples"})
_CHANNEL = ("paths", "/v1/leases/{lease_id}/channel", "get", "description")
_CODE_LIST = re.compile(r"(Channel error codes: |\(`code`: )([a-z_, ]+)")


def _sorted_code_lists(text: str) -> str:
    return _CODE_LIST.sub(lambda m: m.group(1) + ", ".join(sorted(m.group(2).split(", "))), text)


def _at(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _correct(before: dict[str, Any]) -> dict[str, Any]:
    """The old document with the corrections applied that :data:`CORRECTIONS` lists."""
    before["info"]["version"] = __version__  # a release is not a change of contract
    enum = _at(before, ("components", "schemas", "Error", "properties", "error", "enum"))
    enum.append("audit_write_failed")
    return _code_lists_sorted(before)


def _code_lists_sorted(doc: dict[str, Any]) -> dict[str, Any]:
    operation = _at(doc, _CHANNEL[:-1])
    operation["description"] = _sorted_code_lists(operation["description"])
    return doc


#: What the generated document corrects, and why (applied by :func:`_correct`).
CORRECTIONS = {
    "Error.error enum + audit_write_failed":
        "POST /v1/clock journals the change itself; when that entry cannot be written the "
        "API answers 400 audit_write_failed, a code the hand-written enum lacked",
    "channel description: code lists in the catalogue's order":
        "the channel's error and lease_lost codes are listed from the error catalogue "
        "(borne.error_catalogue), in its order; the same codes",
}


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """One line per difference between ``before`` and ``after`` (the rules above)."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = [f"{where}/{key}: missing now (was {json.dumps(before[key])[:120]})"
                 for key in before if key not in after]
        lines += [f"{where}/{key}: added {json.dumps(after[key])[:120]}"
                  for key in after if key not in before and key not in MAY_BE_ADDED]
        for key in before.keys() & after.keys():
            lines += differences(before[key], after[key], f"{where}/{key}")
        return lines
    if isinstance(before, list) and isinstance(after, list):
        if where.rsplit("/", 1)[-1] in ORDER_FREE:
            before, after = (sorted(before, key=json.dumps), sorted(after, key=json.dumps))
        if len(before) != len(after):
            return [f"{where}: {json.dumps(before)[:200]} became {json.dumps(after)[:200]}"]
        return [line for i, (b, a) in enumerate(zip(before, after))
                for line in differences(b, a, f"{where}[{i}]")]
    if isinstance(before, str) and isinstance(after, str) and before != after:
        at = next((i for i, (b, a) in enumerate(zip(before, after)) if b != a),
                  min(len(before), len(after)))
        start = max(0, at - 40)
        return [f"{where}: ...{before[start:at + 80]!r} became ...{after[start:at + 80]!r}"]
    if before != after or type(before) is not type(after):
        return [f"{where}: {json.dumps(before)[:200]} became {json.dumps(after)[:200]}"]
    return []


def test_the_document_is_the_contract_it_was():
    before = _correct(json.loads(BEFORE.read_text()))
    after = _code_lists_sorted(json.loads(json.dumps(document())))  # as served
    found = differences(before, after)
    assert not found, "the document changed:\n" + "\n".join(found)


def test_the_comparison_sees_what_matters():
    doc = {"a": {"required": ["x", "y"], "type": "object", "oneOf": [1, 2]}}
    assert differences(doc, {"a": {"oneOf": [1, 2], "required": ["y", "x"], "type": "object",
                                   "title": "A", "description": "new"}}) == []
    assert differences(doc, {"a": {"required": ["x"], "type": "object", "oneOf": [1, 2]}}) == [
        '/a/required: ["x", "y"] became ["x"]']
    assert differences(doc, {"a": {"required": ["x", "y"], "type": "object",
                                   "oneOf": [2, 1]}}) == ["/a/oneOf[0]: 1 became 2",
                                                          "/a/oneOf[1]: 2 became 1"]
    assert differences(doc, {"a": {"required": ["x", "y"], "type": "object", "oneOf": [1, 2],
                                   "minimum": 1}}) == ["/a/minimum: added 1"]
    assert differences({"d": "old"}, {"d": "new"}) == ["/d: ...'old' became ...'new'"]
    assert differences({"n": 1}, {"n": True}) == ["/n: 1 became true"]
    assert differences({"k": 1}, {}) == ["/k: missing now (was 1)"]
