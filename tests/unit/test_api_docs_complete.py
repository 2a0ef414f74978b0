"""docs/api.md names everything a vendor can meet: every operation, every event with its keys,
every error code the API or the APDU channel answers.

The recorded contracts are the truth it is checked against: the served OpenAPI document, the
event shapes recorded from a running box (``tests/data/event_shapes.json``) and the error
catalogue. A vendor found events, routes and codes the docs never named (issue 15, item 7).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from borne.api.openapi import document
from borne.api.statuses import HTTP_STATUS
from borne.error_catalogue import Surface, codes

ROOT = Path(__file__).resolve().parents[2]
API_DOC = (ROOT / "docs" / "api.md").read_text()
CHANNEL_DOC = (ROOT / "docs" / "apdu-channel.md").read_text()
SHAPES = json.loads((ROOT / "tests" / "data" / "event_shapes.json").read_text())["events"]


def _normalised(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _operations_named(text: str) -> set[str]:
    found = re.findall(r"\b(GET|POST|PUT|DELETE|PATCH|HEAD) (/[\w/{}.:-]*)", text)
    return {f"{method} {_normalised(path.rstrip('.:'))}" for method, path in found}


def _event_rows(text: str) -> dict[str, str]:
    return {name: row for name, row in re.findall(r"^\| `([a-z_.]+)` \| (.*)$", text, re.M)}


def test_every_operation_of_the_document_is_named_in_the_docs():
    named = _operations_named(API_DOC) | _operations_named(CHANNEL_DOC)
    served = {f"{method.upper()} {_normalised(path)}"
              for path, item in document()["paths"].items() for method in item
              if method in ("get", "post", "put", "delete", "patch")}
    assert not sorted(served - named), "operations docs/api.md never names"


def test_every_event_has_a_row_with_all_its_keys():
    rows = _event_rows(API_DOC)
    keys: dict[str, set[str]] = {}
    for recorded, shape in SHAPES.items():
        keys.setdefault(recorded.split(":")[0], set()).update(shape["keys"])
    missing = {name: sorted(k for k in wanted if f"`{k}`" not in rows.get(name, ""))
               for name, wanted in keys.items()}
    missing = {name: gone for name, gone in missing.items() if gone or name not in rows}
    assert not missing, f"events (and keys) docs/api.md's event table lacks: {missing}"


def test_every_code_the_api_answers_has_a_row_with_its_status():
    rows = dict(re.findall(r"^\| `([a-z][a-z0-9_]+)` \| (\d{3}) \|", API_DOC, re.M))
    wrong = {code: (rows.get(code), status) for code, status in HTTP_STATUS.items()
             if code in codes(Surface.API) and rows.get(code) != str(status)}
    assert not wrong, f"docs/api.md's error table: (documented, served) {wrong}"


def test_every_code_the_apdu_channel_answers_is_in_its_doc():
    documented = set(re.findall(r"`(?:\d{3} )?([a-z][a-z0-9_]+)`", CHANNEL_DOC))
    assert not sorted(set(codes(Surface.CHANNEL)) - documented), "codes the doc never names"


def test_the_checks_see_what_is_missing():
    assert _operations_named("`GET /v1/readers/{id}/card`, and PUT /v1/mode.") == {
        "GET /v1/readers/{}/card", "PUT /v1/mode"}
    assert _event_rows("| `card.removed` | `slot` | gone |\n") == {
        "card.removed": "`slot` | gone |"}
