"""The OpenAPI document says what the box accepts and answers, with examples that are true.

- every integer a request carries (query, path, header, body) has both bounds;
- every operation lists the errors any request may get (405, 431, 500...), a 405 with ``Allow``;
- every request body and every main response has an example, valid against its own schema;
- every link points to an operation that has the parameters it fills.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from borne.api.openapi import document

DOC = document()
OPERATIONS = [(method, path, op) for path, item in DOC["paths"].items()
              for method, op in item.items() if method != "parameters"]
IDS = [f"{method.upper()} {path}" for method, path, _ in OPERATIONS]


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _integers(schema: Any, where: str) -> list[tuple[str, dict]]:
    """Every integer schema reachable from ``schema`` (references followed)."""
    if not isinstance(schema, dict):
        return []
    schema = _resolved(schema)
    found = [(where, schema)] if schema.get("type") == "integer" or (
        isinstance(schema.get("type"), list) and "integer" in schema["type"]) else []
    for key, value in schema.get("properties", {}).items():
        found += _integers(value, f"{where}.{key}")
    for key in ("items", "additionalProperties"):
        found += _integers(schema.get(key), f"{where}[]")
    for key in ("oneOf", "anyOf", "allOf"):
        for choice in schema.get(key, []):
            found += _integers(choice, where)
    return found


def _parameters(path: str, op: dict) -> list[dict]:
    return DOC["paths"][path].get("parameters", []) + op.get("parameters", [])


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_every_integer_a_request_carries_has_its_bounds(method, path, op):
    integers = []
    for parameter in _parameters(path, op):
        integers += _integers(parameter["schema"], f"{parameter['in']} {parameter['name']}")
    for media in op.get("requestBody", {}).get("content", {}).values():
        integers += _integers(media["schema"], "body")
    for where, schema in integers:
        assert "minimum" in schema and "maximum" in schema, f"{where}: {schema}"
        # SQLite's INTEGER is signed 64-bit: a larger bound would let a number through to it.
        assert schema["maximum"] <= 2**63 - 1, where


def test_the_bounds_that_were_missing_are_there():
    audit = {p["name"]: p["schema"] for p in DOC["paths"]["/v1/audit"]["get"]["parameters"]}
    assert audit["after"] == {"type": "integer", "minimum": 0, "maximum": 2**63 - 1, "default": 0}
    assert audit["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    events = {(p["in"], p["name"]) for p in DOC["paths"]["/v1/events"]["get"]["parameters"]}
    assert events == {("query", "after"), ("header", "Last-Event-ID")}
    release = DOC["paths"]["/v1/apcv/sessions/{session_id}/invoices/{invoice}/release"]
    invoice = [p for p in release["parameters"] if p["name"] == "invoice"][0]
    assert invoice["schema"] == {"type": "integer", "minimum": 1, "maximum": 16}


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_every_operation_lists_what_any_request_may_get(method, path, op):
    responses = op["responses"]
    for status in ("401", "403", "405", "431", "500"):
        assert status in responses, status
        content = responses[status]["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/Error"}
    assert responses["405"]["headers"]["Allow"]["required"] is True
    assert ("413" in responses) == ("requestBody" in op)


def _validator(schema: dict) -> jsonschema.Validator:
    return jsonschema.Draft202012Validator({**DOC, **schema},
                                           format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_every_body_has_an_example_true_to_its_schema(method, path, op):
    bodies = list(op.get("requestBody", {}).get("content", {}).values())
    main = min(status for status in op["responses"] if status < "300")
    bodies += list(op["responses"][main].get("content", {}).values())
    if method == "get" and path == "/v1/leases/{lease_id}/channel":
        assert bodies == []  # a WebSocket's 101 has no body
    for media in bodies:
        assert "example" in media, f"{method.upper()} {path}: no example"
        if media["schema"].get("type") != "string":
            _validator(media["schema"]).validate(media["example"])


def test_examples_never_move_a_box_clock_forward_by_mistake():
    clock = DOC["paths"]["/v1/clock"]["post"]["requestBody"]["content"]["application/json"]
    assert clock["example"]["utc"] < "2020"  # before any box's build date: refused, never set


def test_links_point_to_operations_that_take_what_they_give():
    links = 0
    for _, _, op in OPERATIONS:
        for response in op["responses"].values():
            for link in response.get("links", {}).values():
                _, target_path, target_method = unquote(link["operationRef"]).rsplit("/", 2)
                target_path = target_path.replace("~1", "/").replace("~0", "~")
                target = DOC["paths"][target_path]
                assert target_method in target
                names = {p["name"] for p in _parameters(target_path, target[target_method])}
                assert set(link["parameters"]) <= names
                assert all(v.startswith("$response.body#/") for v in link["parameters"].values())
                links += 1
    assert links >= 10
