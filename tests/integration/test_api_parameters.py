"""What the box does with each parameter is what its document says (issue 15: the fuzzer).

- every integer parameter has bounds, and a refusal names the one parameter and what it allows
  (``{"parameter", "type", "minimum", "maximum"}``; a body field: ``{"field", ...}``);
- beyond SQLite's INTEGER (signed 64-bit) is a 400, never a 500; a limit is never adjusted;
- a JSON ``null`` is not a number (leases), ``270.0`` is an integer (JSON Schema's);
- a method a path does not have is a 405 that says which it has (``Allow``, RFC 9110 §15.5.6);
- ``after`` beyond the box's last event opens the stream with ``stream.gap``, then all it holds;
- what the document allows reaches the box's own refusals (pairing: ``409 pairing_closed``).
"""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest

from borne.secure_channel.pairing import PairingClient

from support.box import paired_http, raw_tls, running_box, url
from support.contract import DOC, check

pytestmark = pytest.mark.pcscd

MAX = 2**63 - 1
SLOT = "borne-sim-00-00"


def bounds(name: str, low: int, high: int, where: str = "parameter") -> dict:
    return {where: name, "type": "integer", "minimum": low, "maximum": high}


@pytest.fixture
async def box(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as daemon:
        yield daemon


@pytest.fixture
async def http(box, tmp_path):
    async with paired_http(box, tmp_path / "ws", admin=True, headers={"Accept-Language": "en"}) as client:
        yield client


async def refusal(response: httpx.Response) -> tuple[int, str, dict]:
    body = response.json()
    return response.status_code, body["error"], body["details"]


@pytest.mark.parametrize(("query", "details"), [
    ("after=9223372036854775808", bounds("after", 0, MAX)),       # SQLite's OverflowError: was 500
    ("after=99999999999999999999999", bounds("after", 0, MAX)),
    ("after=-1", bounds("after", 0, MAX)),
    ("after=abc", bounds("after", 0, MAX)),                        # was "after/limit"
    ("after=%201", bounds("after", 0, MAX)),
    ("after=1_000", bounds("after", 0, MAX)),
    ("limit=0", bounds("limit", 1, 1000)),                         # was 1 entry, quietly
    ("limit=-1", bounds("limit", 1, 1000)),
    ("limit=-5", bounds("limit", 1, 1000)),
    ("limit=1001", bounds("limit", 1, 1000)),
    ("limit=x&after=0", bounds("limit", 1, 1000)),
])
async def test_audit_refuses_each_parameter_by_name_with_its_bounds(http, query, details):
    response = await http.get(f"/v1/audit?{query}")
    assert await refusal(response) == (400, "bad_request", details)
    check("GET", "/v1/audit", response)


async def test_audit_takes_the_whole_documented_range(http):
    for query in (f"after={MAX}", "after=0&limit=1", "limit=1000", "after=007"):
        response = await http.get(f"/v1/audit?{query}")
        assert response.status_code == 200, query
        check("GET", "/v1/audit", response)
    assert (await http.get(f"/v1/audit?after={MAX}")).json() == {"entries": []}
    assert len((await http.get("/v1/audit?limit=1")).json()["entries"]) == 1


async def test_journal_takes_what_its_document_allows_and_refuses_the_rest(http):
    for after in (2**62 + 1, MAX):  # beyond the old hidden bound (2**62): valid by the document
        response = await http.get(f"/v1/journal?after={after}")
        assert response.status_code == 200 and response.json()["records"] == []
    response = await http.get(f"/v1/journal?after={MAX + 1}")
    assert await refusal(response) == (400, "bad_request", bounds("after", 0, MAX))
    response = await http.get("/v1/journal?limit=0")
    assert await refusal(response) == (400, "bad_request", bounds("limit", 1, 1000))


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"seqs": [270.0]}, 404, "journal_record_unknown"),  # 270.0 is an integer: not "malformed"
    ({"up_to": 270.0}, 404, "journal_record_unknown"),
    ({"seqs": [2**63]}, 400, "bad_request"),              # beyond SQLite: never a 500
    ({"up_to": 2**64}, 400, "bad_request"),
    ({"seqs": [1.5]}, 400, "bad_request"),
    ({"seqs": [True]}, 400, "bad_request"),
    ({"seqs": None}, 400, "bad_request"),
])
async def test_journal_ack_integers_are_json_schema_integers(http, body, status, error):
    response = await http.post("/v1/journal/ack", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    if error == "bad_request":
        field = next(iter(body))
        assert response.json()["details"] == {"field": field, "reason": response.json()[
            "details"]["reason"], "minimum": 1, "maximum": MAX}
    if error == "journal_record_unknown":
        assert response.json()["details"]["unknown"] == [270]
    check("POST", "/v1/journal/ack", response)


async def test_a_lease_seconds_is_a_whole_number_never_null(http):
    lease_path = f"/v1/slots/{SLOT}/lease"
    seconds = {"field": "seconds", "type": "integer", "minimum": 1, "maximum": 300}
    for body in ({"seconds": None}, None, {"seconds": 1.5}, {"seconds": "60"}, {"seconds": True},
                 {"seconds": 0}, {"seconds": 301}):
        response = await http.post(lease_path, content=json.dumps(body),
                                   headers={"Content-Type": "application/json"})
        assert response.status_code == 400, body
        if body is not None:
            assert response.json()["details"] == seconds, body
        check("POST", "/v1/slots/{slot_id}/lease", response)
    taken = await http.post(lease_path, json={"seconds": 60.0})
    assert taken.status_code == 201 and 59 < taken.json()["expires_in_s"] <= 60
    check("POST", "/v1/slots/{slot_id}/lease", taken)
    renew = f"/v1/leases/{taken.json()['lease_id']}/renew"
    for body in ("null", '{"seconds": null}'):
        response = await http.post(renew, content=body,
                                   headers={"Content-Type": "application/json"})
        assert response.status_code == 400, body
        check("POST", "/v1/leases/{lease_id}/renew", response)
    renewed = await http.post(renew)  # no body: the default
    assert renewed.status_code == 200 and renewed.json()["expires_in_s"] > 59
    check("POST", "/v1/leases/{lease_id}/renew", renewed)


async def test_mode_without_a_body_says_what_is_missing(http):
    response = await http.put("/v1/mode")
    assert await refusal(response) == (400, "bad_request", {"reason": "body is not JSON",
                                                            "required": ["mode"]})
    for body in ({}, [], {"mod": "mobile"}):
        response = await http.put("/v1/mode", json=body)
        assert await refusal(response) == (400, "bad_request", {"required": ["mode"]})
    response = await http.put("/v1/mode", json={"mode": "away"})
    assert await refusal(response) == (400, "mode_unknown", {"field": "mode",
                                                             "allowed": ["counter", "mobile"]})
    check("PUT", "/v1/mode", response)


@pytest.mark.parametrize(("method", "path", "template", "allow"), [
    ("TRACE", "/v1/status", "/v1/status", "GET, HEAD"),
    ("POST", "/v1/status", "/v1/status", "GET, HEAD"),
    ("DELETE", "/v1/clients/me", "/v1/clients/me", "GET, HEAD"),  # no client is named "me"
    ("GET", "/v1/clients/ws-0123456789ab", "/v1/clients/{client_id}", "DELETE"),
    ("PUT", "/v1/journal/ack", "/v1/journal/ack", "POST"),
    ("GET", "/v1/pairing/start", "/v1/pairing/start", "POST"),
    ("OPTIONS", "/v1/readers", "/v1/readers", "GET, HEAD"),
])
async def test_a_method_the_path_has_not_is_405_with_allow(http, method, path, template, allow):
    response = await http.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json() == {"error": "method_not_allowed", "message": "Method not allowed",
                               "details": {}}
    documented = {m.upper() for m in DOC["paths"][template] if m != "parameters"}
    assert documented == set(allow.split(", ")) - {"HEAD"}


async def test_events_blame_the_parameter_they_read(http):
    for headers, query, blamed in (({}, "after=abc", "after"), ({}, f"after={MAX + 1}", "after"),
                                   ({}, "after=-1", "after"),
                                   ({"Last-Event-ID": "abc"}, "", "Last-Event-ID"),
                                   ({"Last-Event-ID": "abc"}, "after=1", "Last-Event-ID")):
        response = await http.get(f"/v1/events?{query}", headers=headers)
        assert await refusal(response) == (400, "bad_request", bounds(blamed, 0, MAX))
        check("GET", "/v1/events", response)


async def _first_frames(http, path: str, count: int) -> list[tuple[str, dict]]:
    frames: list[tuple[str, dict]] = []
    async with http.stream("GET", path) as response:
        assert response.status_code == 200
        kind = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                frames.append((kind, json.loads(line[6:])))
                if len(frames) == count:
                    break
    return frames


async def test_events_after_what_the_box_has_say_so_then_send_all_it_holds(box, http):
    """A client resuming after a box restart (sequence numbers start again) is told, not
    left waiting in silence for a number that may never come."""
    last = box.bus.last_seq
    assert last >= 2
    huge = 10**12
    frames = await asyncio.wait_for(_first_frames(http, f"/v1/events?after={huge}", 3), 10)
    assert frames[0] == ("stream.gap", {"lost_after": huge, "resumes_at": 1})
    assert [kind for kind, _ in frames[1:]] == [e.type for e in box.bus.history()[:2]]


async def test_pairing_values_the_document_allows_reach_the_box_own_refusals(box):
    pairing = box.api_context.pairing
    pairing.close()
    valid_msg = base64.b64encode(b"A" + bytes(32)).decode()
    async with httpx.AsyncClient(verify=raw_tls(), base_url=url(box)) as anonymous:
        response = await anonymous.post("/v1/pairing/start", json={"client_msg": ""})
        assert await refusal(response) == (400, "bad_request", {"field": "client_msg"})
        response = await anonymous.post("/v1/pairing/start", json={"client_msg": valid_msg})
        assert (response.status_code, response.json()["error"]) == (409, "pairing_closed")
        check("POST", "/v1/pairing/start", response)
        # A name the document's pattern allows but the box does not ("printable" is more than a
        # pattern can say): never refused before the window and the proof are.
        complete = {"session": "A" * 22, "csr": "x", "name": "Comptoir\u200b1",
                    "mac": base64.b64encode(bytes(32)).decode()}
        response = await anonymous.post("/v1/pairing/complete", json=complete)
        assert (response.status_code, response.json()["error"]) == (409, "pairing_closed")
        response = await anonymous.post("/v1/pairing/complete", json={**complete, "mac": "AA=="})
        assert await refusal(response) == (400, "bad_request", {"field": "mac"})
        # With the code, the proof checked, the name is refused, and nothing is issued.
        window = pairing.open()
        spake = PairingClient(window.code)
        started = await anonymous.post("/v1/pairing/start", json={
            "client_msg": base64.b64encode(spake.start()).decode()})
        spake.finish(base64.b64decode(started.json()["server_msg"]))
        from borne.client.pairing import make_key_and_csr

        _, csr = make_key_and_csr("x")
        name = "Comptoir\u200b1"
        response = await anonymous.post("/v1/pairing/complete", json={
            "session": started.json()["session"], "csr": csr.decode(), "name": name,
            "mac": base64.b64encode(spake.request_mac(csr, name)).decode()})
        assert await refusal(response) == (400, "bad_request", {"field": "name"})
    assert [c for c in box.api_context.clients.list() if c.name == name] == []


async def test_an_empty_presentation_id_is_refused_as_the_document_says(http):
    schema = DOC["components"]["schemas"]["SessionOpen"]["properties"]["presentation_id"]
    assert schema["minLength"] == 1
    response = await http.post("/v1/apcv/sessions", json={"presentation_id": ""})
    assert await refusal(response) == (400, "bad_request", {"field": "presentation_id"})

