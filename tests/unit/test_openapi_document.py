"""The OpenAPI document served at /openapi.json changes only on purpose.

``tests/data/openapi.json`` is ``borne.api.openapi.document()`` as last reviewed.
The document built now must be the same contract: only the order of keys, and
of order-free lists (``required``, ``enum``), may differ, and the version follows
the release. A change of contract (a new route, field or code) is made on
purpose: re-record with ``BORNE_RECORD_OPENAPI=1 pytest
tests/unit/test_openapi_document.py`` and the diff of that file is what a
reviewer (and a vendor reading the changelog) sees. Anything else fails with
one line per difference.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from borne import __version__
from borne.api.openapi import document

RECORDED = Path(__file__).resolve().parents[1] / "data" / "openapi.json"
#: Lists whose order means nothing.
ORDER_FREE = frozenset({"required", "enum"})


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """One line per difference between ``before`` and ``after`` (the rules above)."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = [f"{where}/{key}: missing now (was {json.dumps(before[key])[:120]})"
                 for key in before if key not in after]
        lines += [f"{where}/{key}: added {json.dumps(after[key])[:120]}"
                  for key in after if key not in before]
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


def test_the_document_is_the_contract_recorded():
    served = json.loads(json.dumps(document()))  # as served
    if os.environ.get("BORNE_RECORD_OPENAPI") == "1":
        RECORDED.write_text(json.dumps(served, indent=2, ensure_ascii=False) + "\n")
    recorded = json.loads(RECORDED.read_text())
    recorded["info"]["version"] = __version__  # a release is not a change of contract
    found = differences(recorded, served)
    assert not found, ("the document changed (re-record with BORNE_RECORD_OPENAPI=1 if on "
                       "purpose):\n" + "\n".join(found))


def test_the_comparison_sees_what_matters():
    doc = {"a": {"required": ["x", "y"], "type": "object", "oneOf": [1, 2]}}
    assert differences(doc, {"a": {"oneOf": [1, 2], "required": ["y", "x"],
                                   "type": "object"}}) == []
    assert differences(doc, {"a": {"required": ["x"], "type": "object", "oneOf": [1, 2]}}) == [
        '/a/required: ["x", "y"] became ["x"]']
    assert differences(doc, {"a": {"required": ["x", "y"], "type": "object",
                                   "oneOf": [2, 1]}}) == ["/a/oneOf[0]: 1 became 2",
                                                          "/a/oneOf[1]: 2 became 1"]
    assert differences(doc, {"a": {"required": ["x", "y"], "type": "object", "oneOf": [1, 2],
                                   "title": "A"}}) == ['/a/title: added "A"']
    assert differences({"d": "old"}, {"d": "new"}) == ["/d: ...'old' became ...'new'"]
    assert differences({"n": 1}, {"n": True}) == ["/n: 1 became true"]
    assert differences({"k": 1}, {}) == ["/k: missing now (was 1)"]
