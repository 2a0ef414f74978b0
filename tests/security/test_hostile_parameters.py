"""What a paired workstation gone bad can do with hostile parameters: nothing but a 400.

Every integer parameter of the document (query, path, header), and every field of every JSON
body, is sent what an attacker would: numbers past SQLite's signed 64-bit INTEGER (which was a
500: ``OverflowError``), thousands of digits, ``null``, wrong types, Unicode digits, control
characters. For each:

- never a 5xx, always the one error shape with a documented code;
- an integer parameter's refusal names it and its bounds (nothing else echoed back);
- the audit journal keeps the request's path, cleaned and bounded, never its query string: a
  hostile value is not written to it raw.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from borne.api.openapi import ERROR_CODES, document

from support.box import paired_http, running_box

DOC = document()
HOSTILE_INTEGERS = ["9223372036854775808", "-9223372036854775809", "18446744073709551616",
                    "9" * 5000, "-" + "9" * 400, "1e309", "NaN", "Infinity", "0x10", "1.5",
                    "%EF%BC%95", "%D9%A3", "1_000", "%201", "%2B1", "", "%00", "%1B%5B31m"]
HOSTILE_JSON = [None, 2**63, -(2**63) - 1, 10**400, 1e308, 1.5, True, "1", "\u0000\u001b[31m",
                [], {}, [None] * 3, {"$ref": "#"}]


def _integer_parameters() -> list[tuple[str, str, dict]]:
    """(method, path template, parameter) for every integer parameter of the document."""
    found = []
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in item.get("parameters", []) + operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    found.append((method.upper(), path, parameter))
    return found


def _bodies() -> list[tuple[str, str, list[str]]]:
    """(method, path template, the fields of its body) for every JSON request body."""
    found = []
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {}) if method != \
                "parameters" else {}
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                name = schema.get("$ref", "").rsplit("/", 1)[-1]
                resolved = DOC["components"]["schemas"].get(name, schema)
                fields = set(resolved.get("properties", {}))
                for choice in resolved.get("oneOf", []):
                    fields |= set(choice.get("properties", {}))
                found.append((method.upper(), path, sorted(fields)))
    return found


def _fill(path: str, parameter: str | None = None, value: str | None = None) -> str:
    def one(match: re.Match) -> str:
        return value if match.group(1) == parameter else "x-unknown"
    return re.sub(r"\{(\w+)\}", one, path)


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        yield daemon


@pytest.fixture
async def http(box, tmp_path):
    async with paired_http(box, tmp_path / "ws", admin=True, timeout=httpx.Timeout(10.0, read=3.0)) as client:
        yield client


def _error(response: httpx.Response) -> dict:
    assert response.status_code < 500, response.text[:300]
    body = response.json()
    assert set(body) == {"error", "message", "details"} and body["error"] in ERROR_CODES
    return body


async def test_hostile_integer_parameters_get_a_400_that_names_them(box, http):
    parameters = _integer_parameters()
    assert {(p["in"], p["name"]) for _, _, p in parameters} >= {
        ("query", "after"), ("query", "limit"), ("header", "Last-Event-ID"), ("path", "invoice")}
    for method, path, parameter in parameters:
        schema = parameter["schema"]
        expected = {"parameter": parameter["name"], "type": "integer",
                    "minimum": schema["minimum"], "maximum": schema["maximum"]}
        for value in HOSTILE_INTEGERS + [str(schema["maximum"] + 1), str(schema["minimum"] - 1)]:
            target, headers = _fill(path), {}
            if parameter["in"] == "query":
                target += f"?{parameter['name']}={value}"
            elif parameter["in"] == "path":
                if value in ("", "%00") or value.startswith("%1B"):
                    continue  # an empty segment is another path; a NUL one never reaches a route
                target = _fill(path, parameter["name"], value)
            else:
                if not value or "%" in value:
                    continue  # a header carries no percent-encoding, and empty is "no id"
                headers[parameter["name"]] = value
            body = json.dumps({"reason": "other"}) if method == "POST" else None
            response = await http.request(method, target, headers=headers, content=body)
            where = f"{method} {target[:80]} {headers}"
            assert response.status_code == 400, where
            assert _error(response) == {**_error(response), "error": "bad_request",
                                        "details": expected}, where
    # The journal holds each refused request's path, never its query string, and cleaned.
    entries = box.api_context.audit.entries(limit=1000)
    refused = [e for e in entries if e.status == 400]
    assert len(refused) > 50
    for entry in refused:
        assert "?" not in entry.resource and len(entry.resource) <= 512
        assert "\x1b" not in entry.resource and "\x00" not in entry.resource
        assert "9" * 600 not in entry.resource


async def test_hostile_json_bodies_never_break_the_box(box, http):
    bodies = _bodies()
    assert len(bodies) >= 9
    for method, path, fields in bodies:
        target = _fill(path)
        if "lease" in path and "{slot_id}" in path:
            target = path.replace("{slot_id}", "x-unknown")
        for value in HOSTILE_JSON:
            for body in [value] + [{field: value} for field in fields]:
                response = await http.request(method, target, content=json.dumps(body),
                                              headers={"Content-Type": "application/json"})
                where = f"{method} {path} {json.dumps(body)[:80]}"
                if response.status_code < 400:
                    continue  # a value the route takes (e.g. a mode's body is refused elsewhere)
                _error(response)
                assert response.status_code != 500, where
    assert (await http.get("/v1/status")).status_code == 200


async def test_null_never_stands_for_a_default(http, box):
    """A lease's ``seconds`` left out is the default; ``null`` is refused, body or field."""
    slot = "x-lease"
    from borne.readers.base import SlotInfo

    box.core.reader_attached(SlotInfo(slot, "Security reader", "contact", "sim"))
    for body in ("null", '{"seconds": null}'):
        response = await http.post(f"/v1/slots/{slot}/lease", content=body,
                                   headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and _error(response)["error"] == "bad_request"
    assert (await http.post(f"/v1/slots/{slot}/lease", json={})).status_code == 201
