"""The HTTPS API over real mutual-TLS sockets, with the real pcscd behind it."""

from __future__ import annotations

import asyncio
import os
import stat

import ssl

import httpx
import pytest

from borne.client import BoxClient, BoxError, pair

from support.box import paired, raw_tls, running_box, url
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

SLOT0 = "borne-sim-00-00"


@pytest.fixture
async def box(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def test_pairing_writes_files_and_the_api_answers(box, tmp_path, card_slots):
    folder = tmp_path / "ws"
    result = await paired(box, folder)
    assert stat.S_IMODE(os.stat(folder / "client.key").st_mode) == 0o600
    assert (folder / "ca.crt").read_bytes() == box.api_context.ca.cert_pem
    async with BoxClient.from_directory(folder) as client:
        status = await client.status()
        assert status["client"] == {"client_id": result.client_id, "name": "Comptoir 1", "admin": False}
        assert status["devices"]["pcsc"]["state"] == "available"
        assert {r["id"] for r in await client.readers()} >= {SLOT0}
        events = client.events(after=(await client.status())["last_event_seq"])
        card_slots.insert(0, "vitale-family")
        decoded = await wait_event(events, "card.decoded")
        assert decoded.data == {"slot": SLOT0, "type": "vitale", "beneficiaries": 3,
                                "detected_ns": decoded.data["detected_ns"]}
        card = await client.card(SLOT0)
        assert card["type"] == "vitale" and len(card["beneficiaries"]) == 3
        card_slots.remove(0)
        assert (await wait_event(events, "card.removed")).data["slot"] == SLOT0
        with pytest.raises(BoxError) as caught:
            await client.card(SLOT0)
        assert (caught.value.status, caught.value.code) == (404, "no_card")
        await events.aclose()
    audit = [e for e in box.api_context.audit.entries(limit=1000)]
    card_reads = [e for e in audit if e.action == "GET /v1/readers/{slot_id}/card"]
    assert card_reads and card_reads[0].client_id == result.client_id and card_reads[0].status == 200


async def test_every_endpoint_refuses_a_client_without_certificate(box):
    from borne.api.openapi import document

    async with httpx.AsyncClient(verify=raw_tls(), base_url=url(box)) as http:
        for path, operations in document()["paths"].items():
            for method in operations:
                if method == "parameters" or path.startswith("/v1/pairing"):
                    continue
                concrete = path.replace("{slot_id}", SLOT0).replace("{client_id}", "ws-x")
                response = await http.request(method.upper(), concrete)
                assert response.status_code == 401, (method, path)
                assert response.json()["error"] == "unauthenticated"
    # Counted, not journaled one by one (issue 16): one summary entry when flushed.
    assert box.api_context.audit.entries(limit=1000) == []
    summary = await box.api_context.refusals.flush()
    assert summary["refused"][0]["reason"] == "unauthenticated" and summary["others"] == 0
    entries = box.api_context.audit.entries(limit=1000)
    assert [(e.action, e.client_id) for e in entries] == [("refused.summary", None)]


async def test_a_foreign_certificate_fails_the_handshake(box, tmp_path, caplog):
    from borne.secure_channel.ca import BoxCA

    (tmp_path / "other").mkdir()
    other = BoxCA.load_or_create(tmp_path / "other")
    folder = tmp_path / "foreign"
    folder.mkdir()
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
           .sign(key, hashes.SHA256()))
    cert = other.issue_client_cert(csr.public_bytes(serialization.Encoding.PEM),
                                   client_id="ws-evil", name="Evil")
    (folder / "c.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "c.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                     serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    context = raw_tls(cert=folder / "c.crt", key=folder / "c.key")
    for _ in range(10):  # the alert must win over the close, every time
        async with httpx.AsyncClient(verify=context, base_url=url(box)) as http:
            with pytest.raises((httpx.TransportError, ssl.SSLError)) as refused:
                response = await http.get("/v1/status")
                await response.aread()
        # The workstation learns why (the TLS alert), not just "connection closed".
        assert "TLSV1_ALERT_UNKNOWN_CA" in str(refused.value)
    # The box's log says who tried and why (asyncio alone would stay silent).
    refused = [r.getMessage() for r in caplog.records if "TLS refused" in r.getMessage()]
    assert refused and "127.0.0.1" in refused[0]
    assert "unable to get local issuer certificate" in refused[0]


async def test_revocation_is_immediate_even_on_open_connections(box, tmp_path):
    folder = tmp_path / "ws"
    result = await paired(box, folder)
    async with BoxClient.from_directory(folder) as client:
        await client.status()  # a keep-alive connection is now open
        events = client.events(after=(await client.status())["last_event_seq"])
        first = asyncio.create_task(events.__anext__())
        await asyncio.sleep(0.3)
        from borne.control.client import call

        revoked = await asyncio.to_thread(call, box.config.control_socket, "revoke",
                                          {"client_id": result.client_id})
        assert revoked["streams_closed"] == 1
        with pytest.raises(BoxError) as caught:
            while True:
                await asyncio.wait_for(first, 5)
                first = asyncio.create_task(events.__anext__())
        assert caught.value.code == "client_revoked"
        with pytest.raises(BoxError) as caught:
            await client.status()
        assert (caught.value.status, caught.value.code) == (403, "client_revoked")
        # What to do about it: pair again (the words say how).
        assert "appairez-le à nouveau" in caught.value.message
        assert "borne client pair" in caught.value.message


async def test_wrong_codes_are_refused_and_shut_their_address_out(box, tmp_path):
    """Two wrong codes from one address shut it out of the window; five in all, from any
    addresses, close it for everyone (tests/security/test_pairing_window_under_attack.py)."""
    window = box.api_context.pairing.open()
    wrong = f"{(int(window.code) + 1) % 1_000_000:06d}"
    for attempt in range(2):
        with pytest.raises(BoxError) as caught:
            await pair(url(box), code=wrong, name="Intrus", directory=tmp_path / f"w{attempt}")
        assert caught.value.code == ("pairing_wrong_code")
    with pytest.raises(BoxError) as caught:
        await pair(url(box), code=window.code, name="Late", directory=tmp_path / "late")
    assert (caught.value.status, caught.value.code) == (409, "pairing_closed")
    assert box.api_context.clients.count() == 0
    assert box.api_context.pairing.status()["open"]  # for the other addresses


async def test_a_used_code_is_dead(box, tmp_path):
    window = box.api_context.pairing.open()
    await pair(url(box), code=window.code, name="A", directory=tmp_path / "a")
    with pytest.raises(BoxError) as caught:
        await pair(url(box), code=window.code, name="B", directory=tmp_path / "b")
    assert caught.value.code == "pairing_closed"


async def test_admin_lists_and_revokes_others_plain_client_cannot(box, tmp_path):
    admin = await paired(box, tmp_path / "admin", "Back-office", admin=True)
    plain = await paired(box, tmp_path / "plain", "Comptoir 2")
    async with BoxClient.from_directory(tmp_path / "plain") as client:
        with pytest.raises(BoxError) as caught:
            await client._get("/v1/clients")
        assert (caught.value.status, caught.value.code) == (403, "forbidden")
        own = await client.audit()
        assert own and {e["client_id"] for e in own} == {plain.client_id}
    async with BoxClient.from_directory(tmp_path / "admin") as client:
        listed = (await client._get("/v1/clients"))["clients"]
        assert {c["client_id"] for c in listed} == {admin.client_id, plain.client_id}
        response = await client._http.delete(f"/v1/clients/{plain.client_id}")
        assert response.status_code == 200 and response.json()["revoked_at"]
        everyone = {e["client_id"] for e in await client.audit(limit=1000)}
        assert plain.client_id in everyone and admin.client_id in everyone


async def test_errors_have_one_shape(box, tmp_path):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
        http = client._http
        for method, path, status, code in [
            ("GET", "/v1/nowhere", 404, "not_found"),
            ("POST", "/v1/status", 405, "method_not_allowed"),
            ("GET", "/v1/readers/nope/card", 404, "not_found"),
            ("GET", "/v1/events?after=-3", 400, "bad_request"),
            ("GET", "/v1/audit?after=x", 400, "bad_request"),
        ]:
            response = await http.request(method, path)
            assert response.status_code == status, path
            body = response.json()
            assert set(body) == {"error", "message", "details"} and body["error"] == code
            assert "Traceback" not in response.text
        big = await http.post("/v1/pairing/start", content=b"{" + b" " * 200_000 + b"}",
                              headers={"Content-Type": "application/json"})
        assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
        garbage = await http.post("/v1/pairing/start", content=b"not json")
        assert garbage.status_code == 400 and garbage.json()["error"] == "bad_request"


async def test_event_stream_resumes_from_last_event_id(box, tmp_path, card_slots):
    await paired(box, tmp_path / "ws")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        events = client.events(after=(await client.status())["last_event_seq"])
        card_slots.insert(0, "vitale-single")
        decoded = await wait_event(events, "card.decoded")
        await events.aclose()
        card_slots.remove(0)
        await asyncio.sleep(0.8)  # pcscd notices the removal meanwhile
        resumed = client.events(after=decoded.seq)
        nxt = await asyncio.wait_for(resumed.__anext__(), 5)
        # The read's journal.stored (docs/journal.md) may come between the two.
        if nxt.type == "journal.stored":
            assert nxt.seq == decoded.seq + 1
            nxt = await asyncio.wait_for(resumed.__anext__(), 5)
        assert nxt.seq in (decoded.seq + 1, decoded.seq + 2) and nxt.type == "card.removed"
        await resumed.aclose()


async def test_server_certificate_renewed_without_restart(tmp_path, sim_pcscd):
    """A certificate reissued by the renewal task is served to new connections at once."""
    from borne.api.server import ApiServer

    async with running_box(tmp_path) as box:
        calls = []

        def renew():
            calls.append(1)
            return box.api_context.ca.ensure_server_cert(["renewed.example"], ["127.0.0.1"])

        server = ApiServer(box.api_context, box.api._ssl, host="127.0.0.1", port=0,
                           renew=renew, renew_every_s=0.1)
        await server.start()
        try:
            from cryptography import x509

            deadline = asyncio.get_running_loop().time() + 5
            names = []
            while asyncio.get_running_loop().time() < deadline and "renewed.example" not in names:
                await asyncio.sleep(0.2)
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", server.port, ssl=raw_tls(), server_hostname="x")
                der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
                writer.close()
                san = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
                    x509.SubjectAlternativeName).value
                names = san.get_values_for_type(x509.DNSName)
            assert calls and "renewed.example" in names
        finally:
            await server.stop()
