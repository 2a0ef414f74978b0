"""Deeply nested JSON (issue 16, finding 4): a 400 in the one error shape, never a 500.

``"[" * 5000`` posted to the pairing exchange, which answers without a certificate, raised
``RecursionError`` in ``json.loads``: the guard's catch-all answered 500 and logged a full
stack trace, for anyone on the LAN. Every JSON body is now read by one depth-bounded helper
(:mod:`borne.api.json_input`). Checked here for every route that takes a JSON body, without a
certificate and with a paired one, and on the APDU channel's WebSocket messages.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from borne.api.openapi import document
from borne.readers.base import SlotInfo

from support.box import paired_http, raw_tls, running_box, url

DEEP = ["[" * 5000, "[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000,
        '{"name": ' + "[" * 3000 + "]" * 3000 + "}", "[" * 100 + "]" * 100]
PUBLIC = ["/v1/pairing/start", "/v1/pairing/complete"]


def _json_routes() -> list[tuple[str, str]]:
    """(method, concrete path) of every operation with a JSON request body."""
    found = []
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and "application/json" in \
                    operation.get("requestBody", {}).get("content", {}):
                found.append((method.upper(), re.sub(r"\{\w+\}", "sec-0", path)))
    return found


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        daemon.core.reader_attached(SlotInfo("sec-0", "Security reader 0", "contact", "sim"))
        daemon.api_context.pairing.open()  # the attacker's best case: the window is open
        yield daemon


def _no_trace(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def _bad_request(response: httpx.Response, where: str) -> None:
    assert response.status_code == 400, (where, response.status_code, response.text[:200])
    body = response.json()
    assert set(body) == {"error", "message", "details"} and body["error"] == "bad_request", where


async def test_deep_json_without_a_certificate_is_a_400(box, caplog):
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(verify=raw_tls(), base_url=url(box)) as http:
        for path in PUBLIC:
            for text in DEEP:
                response = await http.post(path, content=text,
                                           headers={"Content-Type": "application/json"})
                _bad_request(response, f"{path} {text[:20]}")
    _no_trace(caplog)


async def test_deep_json_from_a_paired_workstation_is_a_400_on_every_route(box, tmp_path,
                                                                            caplog):
    routes = _json_routes()
    assert len(routes) >= 9
    caplog.set_level(logging.INFO)
    async with paired_http(box, tmp_path / "ws", admin=True) as http:
        for method, path in routes:
            for text in DEEP:
                response = await http.request(method, path, content=text,
                                              headers={"Content-Type": "application/json"})
                where = f"{method} {path} {text[:20]}"
                assert response.status_code != 500, where
                if response.status_code != 404:  # a route may look its resource up first
                    _bad_request(response, where)
        assert (await http.get("/v1/clients/me")).status_code == 200
    _no_trace(caplog)


async def test_deep_json_on_the_apdu_channel_is_refused_in_words(box, tmp_path, caplog):
    import aiohttp

    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles

    caplog.set_level(logging.INFO)
    async with paired_http(box, tmp_path / "ws") as http:
        lease = (await http.post("/v1/slots/sec-0/lease", json={"seconds": 30})).json()
        channel = url(box).replace("https", "wss") + f"/v1/leases/{lease['lease_id']}/channel"
        ssl_context = mtls_context(WorkstationFiles(tmp_path / "ws"))
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(channel, ssl=ssl_context) as ws:
                for text in DEEP[:3]:
                    await ws.send_str(text)
                    answer = await ws.receive_json(timeout=5)
                    assert (answer["op"], answer["code"]) == ("error", "bad_request"), answer
        assert (await http.get("/v1/clients/me")).status_code == 200
    _no_trace(caplog)
