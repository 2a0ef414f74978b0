"""A machine in the middle of pairing can change nothing the workstation keeps, nor what it sends.

Issue 16, finding 7. During pairing the workstation trusts no certificate yet, so anyone on
the LAN may answer in the box's place and relay to the real box (here: a TLS proxy with its
own certificate, on loopback). The box's proof used to cover the CA and the certificate only:
a relay could rewrite ``client_id`` in the answer, and the workstation then kept an id no
journal record is sealed for. Now the proof (``answer_mac``) covers every field of the answer
the workstation keeps, and the workstation refuses an answer it does not verify, writing no
file. The other way, the box already refuses a CSR or a name changed on the way (the
workstation's proof covers both).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from aiohttp import web

from borne.client import BoxError, pair
from borne.client.pairing import _unverified_tls

from support.bad_servers import FakeBox
from support.box import running_box, url

Rewrite = Callable[[str, dict], dict]


@contextlib.asynccontextmanager
async def relay(box, tmp_path, *, request: Rewrite | None = None,
                answer: Rewrite | None = None) -> AsyncIterator[str]:
    """A TLS proxy in front of ``box`` (its own certificate: pairing checks none) that may
    rewrite each JSON request and answer on the way; yields its URL."""
    keep = lambda path, body: body  # noqa: E731
    request, answer = request or keep, answer or keep

    async def forward(incoming: web.Request) -> web.Response:
        body = request(incoming.path, await incoming.json())
        async with httpx.AsyncClient(verify=_unverified_tls(), base_url=url(box)) as http:
            reply = await http.post(incoming.path, json=body)
        return web.json_response(answer(incoming.path, reply.json()), status=reply.status_code)

    app = web.Application()
    app.router.add_post("/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0,
                       ssl_context=FakeBox(tmp_path, name="relay").server_context())
    await site.start()
    try:
        yield f"https://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def on(path: str, field: str, value: str) -> Rewrite:
    """Rewrite ``field`` to ``value`` in the bodies of ``path``."""
    return lambda at, body: {**body, field: value} if at == path and field in body else body


async def test_a_plain_relay_changes_nothing(tmp_path):
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        async with relay(box, tmp_path) as middle:
            paired = await pair(middle, code=window.code, name="Comptoir 1",
                                directory=tmp_path / "ws")
        assert box.api_context.clients.get(paired.client_id) is not None
        assert json.loads((tmp_path / "ws" / "box.json").read_text())["client_id"] \
            == paired.client_id


async def test_a_rewritten_client_id_is_refused_and_nothing_is_written(tmp_path):
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        async with relay(box, tmp_path,
                         answer=on("/v1/pairing/complete", "client_id", "ws-000000000000")) \
                as middle:
            with pytest.raises(BoxError) as refused:
                await pair(middle, code=window.code, name="Comptoir 1", language="en",
                           directory=tmp_path / "ws")
        assert refused.value.code == "pairing_box_not_authenticated"
        assert "box" in refused.value.message.lower()  # says what it means, in one line
        assert not (tmp_path / "ws" / "client.key").exists()
        assert not (tmp_path / "ws" / "box.json").exists()


@pytest.mark.parametrize("field", ["certificate", "ca"])
async def test_a_rewritten_certificate_or_ca_is_refused(tmp_path, field):
    other = FakeBox(tmp_path, name="other")
    pem = (other.directory / "ca.crt").read_text()
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        async with relay(box, tmp_path, answer=on("/v1/pairing/complete", field, pem)) as middle:
            with pytest.raises(BoxError) as refused:
                await pair(middle, code=window.code, name="Comptoir 1",
                           directory=tmp_path / "ws")
        assert refused.value.code == "pairing_box_not_authenticated"
        assert not (tmp_path / "ws" / "box.json").exists()


async def test_the_box_refuses_a_name_changed_on_the_way(tmp_path):
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        async with relay(box, tmp_path,
                         request=on("/v1/pairing/complete", "name", "Poste de l'intrus")) \
                as middle:
            with pytest.raises(BoxError) as refused:
                await pair(middle, code=window.code, name="Comptoir 1",
                           directory=tmp_path / "ws")
        assert refused.value.code == "pairing_wrong_code"  # the proof does not match the name
        assert box.api_context.clients.count() == 0
