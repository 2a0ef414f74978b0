"""Property-based run against the real TLS server: random requests never break the contract.

One box for the whole test, its event loop in a thread (hypothesis drives a sync
function; pytest-asyncio fixtures and ``@given`` do not mix). Requests are built
from the OpenAPI document's own path templates with random segments, query
strings, headers and bodies, sent by a paired admin workstation or by a client
without certificate. For every answer:

- the status is below 500;
- an error answer has exactly ``{error, message, details}`` with a documented code;
- when the path and method match a documented operation and the status is
  documented for it, the body validates against the document's schema
  (``check`` from ``test_api_contract``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.secure_channel.pairing import PairingClient

from support.box import paired, raw_tls, start_box, url
from support.contract import DOC, check

pytestmark = pytest.mark.pcscd

SLOTS = ["borne-sim-00-00", "borne-sim-00-01", "borne-sim-cl-00-00"]
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]
ERROR_VALIDATOR = jsonschema.Draft202012Validator({**DOC, **DOC["components"]["schemas"]["Error"]})

#: (method, template, compiled regex over the raw path), exact templates first.
OPERATIONS = sorted(
    ((method.upper(), template,
      re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"))
     for template, operations in DOC["paths"].items() for method in operations
     if method != "parameters"),
    key=lambda op: "{" in op[1])


@contextmanager
def box_in_a_thread(tmp_path: Path):
    """A started box with a paired admin workstation and a second (sacrificial) one."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="box-loop", daemon=True)
    thread.start()

    def run(coroutine, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    box = run(start_box(tmp_path))
    try:
        admin = run(paired(box, tmp_path / "admin", "Fuzz admin", admin=True))
        other = run(paired(box, tmp_path / "other", "Fuzz other"))
        # Leave a window open so that the pairing endpoints get past "closed".
        loop.call_soon_threadsafe(box.api_context.pairing.open)
        yield box, admin, other
    finally:
        run(box.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- strategies -----------------------------------------------------------------------------

_printable = st.characters(blacklist_categories=("Cc", "Cs"))
_text = st.text(_printable, max_size=40)


@st.composite
def segments(draw, known: list[str]) -> str:
    """One path segment, already as it goes on the wire."""
    kind = draw(st.sampled_from(["known", "quoted", "raw", "long", "dots", "percent"]))
    if kind == "known":
        return quote(draw(st.sampled_from(known)), safe="")
    if kind == "quoted":
        return quote(draw(_text), safe=draw(st.sampled_from(["", "-._~", "-._~!$&'()*+,;=:@"])))
    if kind == "raw":
        return draw(st.text(st.sampled_from("abcXYZ019-._~!$&'()*+,;=:@"), min_size=1, max_size=30))
    if kind == "long":
        unit = draw(st.sampled_from(["a", "%25", "%C3%A9", ".", "-"]))
        return unit * draw(st.integers(100, 7000 // len(unit)))  # the request line stays < 8 KB
    if kind == "dots":
        return draw(st.sampled_from([".", "..", "...", "%2e", "%2e%2e", ".%2e", "..%2f..", "%2f",
                                     "a%2Fb", "%5c..%5c", "%00", "%zz", "%", "%e9", "%C3%28"]))
    return "".join(f"%{b:02X}" for b in draw(st.binary(min_size=1, max_size=12)))


def _fill(draw, template: str, known_clients: list[str]) -> str:
    def one(match: re.Match) -> str:
        known = SLOTS + ["nope"] if match.group(1) == "slot_id" else known_clients + ["ws-nobody", "me"]
        return draw(segments(known))

    path = re.sub(r"\{([a-z_]+)\}", one, template)
    mutation = draw(st.sampled_from(["none"] * 6 + ["slash", "double", "upper", "extra"]))
    if mutation == "slash":
        path += "/"
    elif mutation == "double":
        path = path.replace("/v1/", "/v1//", 1)
    elif mutation == "upper":
        path = path.upper()
    elif mutation == "extra":
        path += "/" + draw(segments(["x"]))
    return path


@st.composite
def targets(draw, known_clients: list[str]) -> tuple[str, str]:
    """``(method, path)``: mostly a documented operation (pairing twice as often), else any mix."""
    if draw(st.integers(0, 9)) < 7:
        method, template, _ = draw(st.sampled_from(OPERATIONS + [op for op in OPERATIONS
                                                                 if "pairing" in op[1]]))
    else:
        method, template = draw(st.sampled_from(METHODS)), draw(st.sampled_from(sorted(DOC["paths"])))
    if draw(st.integers(0, 3)) == 0:
        return method, _fill(draw, template, known_clients)
    return method, re.sub(r"\{([a-z_]+)\}", lambda m: draw(st.sampled_from(
        SLOTS if m.group(1) == "slot_id" else known_clients + ["ws-nobody"])), template)


_query_value = st.one_of(st.integers(-2**70, 2**70).map(str), _text,
                         st.sampled_from(["", "0", "-1", "1e3", "0x10", " 5", "٣", "1_000", "NaN"]))


@st.composite
def queries(draw) -> str:
    kind = draw(st.sampled_from(["none", "none", "params", "raw"]))
    if kind == "none":
        return ""
    if kind == "raw":
        return "?" + draw(st.sampled_from(["", "&", "=", "after", "after=&limit=", "after=%zz",
                                           "limit=%00", "after=1&after=2", "a=%e9", "limit=" + "9" * 400]))
    params = draw(st.dictionaries(st.sampled_from(["after", "limit", "x"]), _query_value, max_size=3))
    return "?" + urlencode(params)


def _header_value(text: str) -> bytes:
    return text.strip().encode()


_headers = st.fixed_dictionaries({}, optional={
    "Last-Event-ID": st.one_of(st.integers(-5, 2**70).map(str), _text).map(_header_value),
    "Accept-Language": st.one_of(st.sampled_from(["en", "fr", "en-GB,fr;q=0.5", "*", "de", ""]),
                                 _text).map(_header_value),
    "Content-Type": st.sampled_from([b"application/json", b"text/plain", b"application/json; charset=latin-1",
                                     b"multipart/form-data; boundary=x"]),
})

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
                     max_leaves=12)
_b64 = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode())
_spake_like = st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b"A" + b).decode())
_spake_real = st.integers(0, 999_999).map(
    lambda code: base64.b64encode(PairingClient(f"{code:06d}").start()).decode())
_field = st.one_of(_b64, _spake_like, _spake_real, _text, _json)


@st.composite
def bodies(draw) -> bytes | None:
    kind = draw(st.sampled_from(["none", "bytes", "json", "start", "complete"]))
    if kind == "none":
        return None
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(_json)).encode()
    if kind == "start":
        return json.dumps({"client_msg": draw(_field)}).encode()
    body = {"session": draw(_field), "csr": draw(st.one_of(_text, st.just("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                                                                           "-----END CERTIFICATE REQUEST-----\n"))),
            "name": draw(_field), "mac": draw(_field)}
    for key in draw(st.sets(st.sampled_from(sorted(body)), max_size=2)):
        del body[key]
    return json.dumps(body).encode()


# --- the property ---------------------------------------------------------------------------


def _operation(method: str, path: str):
    bare = path.split("?", 1)[0]
    for op_method, template, pattern in OPERATIONS:
        if op_method == method and pattern.match(bare):
            return template
    return None


def _has_dot_segment(path: str) -> bool:
    segments_ = path.split("?", 1)[0].split("/")
    return any(s.lower() in {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."} for s in segments_)


def test_random_requests_keep_the_contract(tmp_path, sim_pcscd, card_slots):
    card_slots.insert(0, "vitale-family")
    with box_in_a_thread(tmp_path) as (box, admin, other):
        files = WorkstationFiles(tmp_path / "admin")
        timeout = httpx.Timeout(10.0, read=3.0)
        with httpx.Client(verify=mtls_context(files), base_url=url(box), timeout=timeout) as mtls, \
                httpx.Client(verify=raw_tls(), base_url=url(box), timeout=timeout) as anonymous:
            seen: dict[tuple[str, int], int] = {}

            @settings(max_examples=300, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(target=targets([other.client_id]),
                   query=queries(), headers=_headers, body=bodies(),
                   certificate=st.sampled_from([True, True, True, False]))
            def one_request(target, query, headers, body, certificate):
                method, path = target
                http = mtls if certificate else anonymous
                target = path + query
                with http.stream(method, target, headers=headers, content=body) as response:
                    kind = response.headers.get("content-type", "").split(";")[0]
                    if kind != "text/event-stream":
                        response.read()
                status = response.status_code
                seen[(method, status)] = seen.get((method, status), 0) + 1
                where = f"{method} {target[:200]!r} -> {status}"
                assert status < 500, f"{where}: {response.text[:300] if kind != 'text/event-stream' else ''}"
                if kind == "text/event-stream":
                    assert status == 200 and method == "GET", where
                    assert _operation(method, path) == "/v1/events" or _has_dot_segment(path), where
                    return
                if status >= 400:
                    assert kind == "application/json", f"{where}: {kind} {response.text[:200]!r}"
                    ERROR_VALIDATOR.validate(response.json())
                template = _operation(method, path)
                if template is None or _has_dot_segment(path):
                    return
                documented = DOC["paths"][template][method.lower()]["responses"]
                if str(status) in documented:
                    check(method, template, response)

            one_request()
            # The second workstation may have been revoked along the way; the admin never is.
            assert mtls.get("/v1/status").status_code == 200
            assert box.api_context.clients.get(admin.client_id).revoked_at is None
            print("answers by (method, status):", dict(sorted(seen.items())))
