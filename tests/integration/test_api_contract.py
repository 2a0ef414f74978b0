"""The OpenAPI document is the contract: every route is in it, and real responses match it."""

from __future__ import annotations


import jsonschema
import pytest

from borne.api.server import build_app
from borne.client import BoxClient

from support.box import paired, running_box
from support.contract import DOC, check
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

def test_document_is_valid_openapi_shape_and_lists_every_route():
    assert DOC["openapi"].startswith("3.1")
    app = build_app(context=None)  # routes only; the context is not used to list them
    routes = {(r.method.lower(), r.resource.canonical) for r in app.router.routes()
              if r.method != "HEAD"}
    documented = {(m, p) for p, ops in DOC["paths"].items() for m in ops if m != "parameters"}
    assert routes == documented
    for path, operations in DOC["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    jsonschema.Draft202012Validator.check_schema({**DOC, **media["schema"]})


async def test_real_responses_match_the_document(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as box:
        admin = await paired(box, tmp_path / "admin", "Back-office", admin=True)
        other = await paired(box, tmp_path / "other", "Comptoir 3")
        async with BoxClient.from_directory(tmp_path / "admin") as client:
            http = client._http
            events = client.events(after=(await client.status())["last_event_seq"])
            for slot, card in ((0, "vitale-family"), (1, "cps-pharmacist"), (2, "unknown"),
                               (3, "vitale1")):
                card_slots.insert(slot, card)
            seen = 0
            while seen < 4:
                seen += (await wait_event(events, "card.decoded")).type == "card.decoded"
            await events.aclose()
            calls = [("GET", "/v1/status", "/v1/status"), ("GET", "/v1/readers", "/v1/readers"),
                     ("GET", "/v1/clients", "/v1/clients"), ("GET", "/v1/clients/me", "/v1/clients/me"),
                     ("GET", "/v1/audit", "/v1/audit"), ("GET", "/v1/audit?after=x", "/v1/audit"),
                     ("GET", "/openapi.json", "/openapi.json")]
            for reader in (await client.readers()):
                calls.append(("GET", f"/v1/readers/{reader['id']}", "/v1/readers/{slot_id}"))
                calls.append(("GET", f"/v1/readers/{reader['id']}/card", "/v1/readers/{slot_id}/card"))
            calls.append(("GET", "/v1/readers/nope", "/v1/readers/{slot_id}"))
            calls.append(("DELETE", "/v1/clients/ws-nobody", "/v1/clients/{client_id}"))
            calls.append(("DELETE", f"/v1/clients/{other.client_id}", "/v1/clients/{client_id}"))
            for method, path, template in calls:
                check(method, template, await http.request(method, path))
            check("POST", "/v1/pairing/start", await http.post("/v1/pairing/start", json={"client_msg": "AA=="}))
            check("POST", "/v1/pairing/start", await http.post("/v1/pairing/start", json={}))
            check("POST", "/v1/pairing/complete",
                  await http.post("/v1/pairing/complete", json={"session": "s", "csr": "x", "name": "n",
                                                                 "mac": "AA=="}))
        async with BoxClient.from_directory(tmp_path / "other") as revoked:
            check("GET", "/v1/status", await revoked._http.get("/v1/status"))
        assert admin.client_id
