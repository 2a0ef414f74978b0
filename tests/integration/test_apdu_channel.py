"""The leased APDU channel through the real stack: mTLS API, WebSocket, real pcscd, virtual cards.

Every wait is on a message or a condition; the only timed wait is the channel grace
(set to 1 s here).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import msgspec
import pytest

from borne.api.openapi import document
from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.daemon import Daemon
from borne.readers.base import slot_id_for
from borne.readers.cards import read_card
from borne.readers.cards.script import record
from borne.sim.cards import load_card

from support.box import paired, running_box, url

pytestmark = pytest.mark.pcscd

GRACE_S = 1.0
SELECT_MF = bytes.fromhex("00A40000023F00")
VERIFY = bytes.fromhex("0020000108") + b"1234\xff\xff\xff\xff"


DOC = document()


def conforms(method: str, template: str, status: int, body: dict) -> None:
    """``body`` matches the OpenAPI document's schema for that answer."""
    import jsonschema

    documented = DOC["paths"][template][method.lower()]["responses"][str(status)]
    schema = {**DOC, **documented["content"]["application/json"]["schema"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def vitale_script_apdus(card: str = "vitale-family") -> list[bytes]:
    """The APDUs the box's own Vitale decoder sends, recorded on the in-memory chip."""
    chip = load_card(card)
    chip.power_on()
    return record(read_card(chip.atr), chip.respond)


class Workstation:
    """A paired client speaking the lease REST calls and the channel, with aiohttp."""

    def __init__(self, box: Daemon, folder: Path, client_id: str) -> None:
        self.base = url(box)
        self.client_id = client_id
        connector = aiohttp.TCPConnector(ssl=mtls_context(WorkstationFiles(folder)))
        self.http = aiohttp.ClientSession(connector=connector)

    async def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        async with self.http.request(method, self.base + path, json=body) as response:
            answer = response.status, await response.json()
        template = next(t for t in DOC["paths"] if _matches(t, path))
        conforms(method, template, *answer)
        return answer

    async def lease(self, slot: str, seconds: int = 60) -> dict:
        status, body = await self.call("POST", f"/v1/slots/{slot}/lease", {"seconds": seconds})
        assert status == 201, body
        return body

    async def channel(self, lease_id: str) -> Channel:
        ws = await self.http.ws_connect(f"{self.base}/v1/leases/{lease_id}/channel")
        return Channel(ws)

    async def close(self) -> None:
        await self.http.close()


def _matches(template: str, path: str) -> bool:
    parts, wanted = template.split("/"), path.split("/")
    return len(parts) == len(wanted) and all(
        a == b or a.startswith("{") for a, b in zip(parts, wanted))


class Channel:
    """The client end of a channel: requests by id, pushes kept apart."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.pushes: list[dict] = []
        self._next = 0

    async def _receive(self, timeout: float) -> dict | None:
        message = await self.ws.receive(timeout=timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            return None
        return json.loads(message.data)

    async def request(self, op: str, timeout: float = 8.0, **fields: object) -> dict:
        self._next += 1
        await self.ws.send_str(json.dumps({"op": op, "id": self._next, **fields}))
        while True:
            answer = await self._receive(timeout)
            assert answer is not None, f"channel closed ({self.ws.close_code}) during {op}"
            if answer.get("id") == self._next:
                return answer
            self.pushes.append(answer)

    async def apdu(self, apdu: bytes | str) -> dict:
        return await self.request("apdu", apdu=apdu.hex() if isinstance(apdu, bytes) else apdu)

    async def push(self, op: str, timeout: float = 8.0) -> dict:
        """The next push ``op`` (earlier pushes of other kinds are kept)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.pushes):
                if message["op"] == op:
                    return self.pushes.pop(index)
            answer = await self._receive(max(0.01, deadline - time.monotonic()))
            assert answer is not None, f"channel closed ({self.ws.close_code}) waiting for {op}"
            self.pushes.append(answer)


@pytest.fixture
async def box(tmp_path, sim_pcscd):
    async with running_box(tmp_path, apdu={"channel_grace_s": GRACE_S}) as daemon:
        yield daemon


@pytest.fixture
def slots(sim_pcscd):
    return [slot_id_for(slot.reader) for slot in sim_pcscd.slots]


async def workstation(box: Daemon, tmp_path: Path, name: str) -> Workstation:
    result = await paired(box, tmp_path / name, name)
    return Workstation(box, tmp_path / name, result.client_id)


async def wait_until(predicate, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        await asyncio.sleep(0.02)


async def test_lease_exchange_busy_race_and_bad_apdus(box, tmp_path, sim_pcscd, card_slots, slots):
    card_slots.insert(0, "vitale-family")
    sim_pcscd.wait_card(0)
    await wait_until(lambda: box.core.slots[slots[0]].state == "decoded")
    one = await workstation(box, tmp_path, "Comptoir 1")
    two = await workstation(box, tmp_path, "Comptoir 2")
    try:
        lease = await one.lease(slots[0], 30)
        assert lease["slot"] == slots[0] and 29 < lease["expires_in_s"] <= 30
        assert lease["holder"] == {"client_id": one.client_id, "name": "Comptoir 1"}

        # Someone else asking: until when (who holds it is for admins only).
        status, body = await two.call("POST", f"/v1/slots/{slots[0]}/lease", {"seconds": 10})
        assert status == 409 and body["error"] == "slot_busy"
        assert "holder" not in body["details"] and "client_id" not in body["details"]
        assert 0 < body["details"]["until_s"] <= 30
        # The holder itself cannot stack a second lease, and is told the slot is its own
        # (in its words too: not "another workstation"); bad input is refused.
        status, body = await one.call("POST", f"/v1/slots/{slots[0]}/lease")
        assert (status, body["error"]) == (409, "slot_leased_by_you")
        assert body["details"]["lease_id"] == lease["lease_id"]
        assert "autre poste" not in body["message"] and "ce poste" in body["message"]
        assert (await one.call("POST", "/v1/slots/nope/lease", {}))[1]["error"] == "not_found"
        assert (await one.call("POST", f"/v1/slots/{slots[1]}/lease", {"seconds": 301}))[0] == 400
        # Another client's lease does not exist for it.
        for method, path in (("POST", f"/v1/leases/{lease['lease_id']}/renew"),
                             ("DELETE", f"/v1/leases/{lease['lease_id']}"),
                             ("GET", f"/v1/leases/{lease['lease_id']}/channel")):
            status, body = await two.call(method, path)
            assert (status, body["error"]) == (404, "lease_not_found"), (method, path)
        assert (await two.call("GET", "/v1/leases"))[1] == {"leases": []}
        assert [l["lease_id"] for l in (await one.call("GET", "/v1/leases"))[1]["leases"]] \
            == [lease["lease_id"]]

        # Two clients racing for one (empty) slot: exactly one wins.
        results = await asyncio.gather(
            *(ws.call("POST", f"/v1/slots/{slots[1]}/lease", {"seconds": 5}) for ws in (one, two)))
        assert sorted(status for status, _ in results) == [201, 409]

        # The card answers over the channel exactly as it does in memory.
        channel = await one.channel(lease["lease_id"])
        chip = load_card("vitale-family")
        answer = await channel.request("power_on")
        assert answer == {"op": "atr", "id": 1, "atr": chip.atr.hex().upper()}
        chip.power_on()
        for apdu in vitale_script_apdus():
            answer = await channel.apdu(apdu)
            assert answer["op"] == "response", answer
            assert bytes.fromhex(answer["response"]) == chip.respond(apdu)

        # Bad APDUs: a clear error, and the channel goes on.
        for bad, code in (("zz", "apdu_malformed"), ("00A4", "apdu_malformed"),
                          ("00A4040007A0", "apdu_malformed"),
                          ("00" * 65545, "apdu_too_large")):
            answer = await channel.apdu(bad)
            assert (answer["op"], answer["code"]) == ("error", code)
            assert answer["message"]
        assert (await channel.request("nonsense"))["code"] == "bad_request"
        assert (await channel.apdu(SELECT_MF))["response"] == "9000"
        assert (await channel.request("reset"))["atr"] == chip.atr.hex().upper()
        assert (await channel.apdu(SELECT_MF))["response"] == "9000"
        assert (await channel.request("power_off"))["op"] == "ok"

        # Renew, then release: the slot is free for the other client.
        status, body = await one.call("POST", f"/v1/leases/{lease['lease_id']}/renew", {"seconds": 100})
        assert status == 200 and 99 < body["expires_in_s"] <= 100
        assert await one.call("DELETE", f"/v1/leases/{lease['lease_id']}") == (200, {"released": True})
        assert (await channel.push("lease_lost"))["code"] == "released"
        assert (await two.lease(slots[0], 5))["holder"]["name"] == "Comptoir 2"

        # The journal: leases and APDUs, with CLA/INS and lengths, never the data
        # (written once the channel pauses).
        def journaled():
            return [e for e in box.api_context.audit.entries(limit=1000, client_id=one.client_id)
                    if e.action == "APDU lease" and "end=released" in e.resource]
        await wait_until(journaled)
        entries = box.api_context.audit.entries(limit=1000, client_id=one.client_id)
        apdus = [e.resource for e in entries if e.action == "APDU"]
        assert f"{slots[0]} cla=00 ins=A4 lc=2 le=0 rlen=0 sw=9000" in apdus
        assert f"{slots[0]} malformed" in apdus
        assert not any("3F00" in r or "3f00" in r for r in apdus)
        actions = {e.action for e in entries}
        assert {"APDU lease", "APDU power_on", "APDU reset", "APDU power_off"} <= actions
    finally:
        await one.close()
        await two.close()


async def test_card_pulled_and_inserted_under_a_lease_box_reads_paused(
        box, tmp_path, sim_pcscd, card_slots, slots):
    one = await workstation(box, tmp_path, "Comptoir 1")
    try:
        card_slots.insert(0, "cps-pharmacist")
        sim_pcscd.wait_card(0)
        await wait_until(lambda: box.core.slots[slots[0]].state == "decoded")
        lease = await one.lease(slots[0], 60)
        channel = await one.channel(lease["lease_id"])
        assert (await channel.request("power_on"))["op"] == "atr"
        assert (await channel.apdu(SELECT_MF))["op"] == "response"

        card_slots.remove(0)  # pulled between two APDUs
        await channel.push("card_removed")
        answer = await channel.apdu(SELECT_MF)
        assert (answer["op"], answer["code"]) == ("error", "no_card")
        assert (await channel.request("power_on"))["code"] == "no_card"

        seq = box.bus.last_seq
        card_slots.insert(0, "vitale-family")
        pushed = await channel.push("card_inserted")
        assert pushed["atr"] == load_card("vitale-family").atr.hex().upper()
        assert (await channel.request("power_on"))["atr"] == pushed["atr"]
        chip = load_card("vitale-family")
        chip.power_on()
        for apdu in vitale_script_apdus():
            assert bytes.fromhex((await channel.apdu(apdu))["response"]) == chip.respond(apdu)
        # The box did not read the card itself: the slot is leased.
        events = [e for e in box.bus.history(seq) if getattr(e.data, "slot", None) == slots[0]]
        assert [e.type for e in events] == ["card.inserted"]
        assert box.core.slots[slots[0]].card is None
    finally:
        await one.close()


async def test_lease_expiring_mid_exchange_then_refused(box, tmp_path, sim_pcscd, card_slots, slots):
    card_slots.insert(0, "vitale-family")
    sim_pcscd.wait_card(0)
    one = await workstation(box, tmp_path, "Comptoir 1")
    try:
        lease = await one.lease(slots[0], 1)
        channel = await one.channel(lease["lease_id"])
        started = time.monotonic()
        while time.monotonic() - started < 8:
            await channel.ws.send_str(json.dumps({"op": "apdu", "id": 0, "apdu": SELECT_MF.hex()}))
            message = await channel.ws.receive(timeout=8)
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            body = json.loads(message.data)
            if body["op"] == "lease_lost":
                assert body["code"] == "lease_expired"
                break
            assert body["op"] in ("response", "error"), body
        else:
            pytest.fail("no lease_lost")
        assert time.monotonic() - started >= 0.9
        # The box closes the socket; the lease is gone for every call.
        while (await channel.ws.receive(timeout=8)).type == aiohttp.WSMsgType.TEXT:
            pass
        assert channel.ws.closed
        for method, path in (("POST", f"/v1/leases/{lease['lease_id']}/renew"),
                             ("GET", f"/v1/leases/{lease['lease_id']}/channel")):
            status, body = await one.call(method, path)
            assert (status, body["error"]) == (404, "lease_not_found")
        # The slot is free and usable.
        again = await one.lease(slots[0], 10)
        channel = await one.channel(again["lease_id"])
        assert (await channel.apdu(SELECT_MF))["response"] == "9000"
    finally:
        await one.close()


async def test_closed_channel_ends_the_lease_after_the_grace(box, tmp_path, sim_pcscd, card_slots,
                                                             slots):
    one = await workstation(box, tmp_path, "Comptoir 1")
    two = await workstation(box, tmp_path, "Comptoir 2")
    try:
        lease = await one.lease(slots[1], 60)
        channel = await one.channel(lease["lease_id"])
        assert (await channel.apdu(SELECT_MF))["code"] == "no_card"  # an empty slot may be leased
        await channel.ws.close()
        closed = time.monotonic()
        assert (await two.call("POST", f"/v1/slots/{slots[1]}/lease", {"seconds": 5}))[0] == 409
        while True:
            status, body = await two.call("POST", f"/v1/slots/{slots[1]}/lease", {"seconds": 5})
            if status == 201:
                break
            assert status == 409 and time.monotonic() - closed < GRACE_S + 5
            await asyncio.sleep(0.05)
        assert time.monotonic() - closed >= GRACE_S - 0.05
        assert (await one.call("GET", "/v1/leases"))[1] == {"leases": []}

        # Reconnecting within the grace keeps the lease.
        kept = await one.lease(slots[3], 60)
        channel = await one.channel(kept["lease_id"])
        await channel.ws.close()
        channel = await one.channel(kept["lease_id"])
        await asyncio.sleep(GRACE_S + 0.3)  # the grace itself: nothing to wait on
        assert (await one.call("GET", "/v1/leases"))[1]["leases"][0]["lease_id"] == kept["lease_id"]
    finally:
        await one.close()
        await two.close()


async def test_revocation_and_pin_policy(box, tmp_path, sim_pcscd, card_slots, slots):
    card_slots.insert(0, "cps-pharmacist")
    sim_pcscd.wait_card(0)
    one = await workstation(box, tmp_path, "Comptoir 1")
    try:
        lease = await one.lease(slots[0], 60)
        channel = await one.channel(lease["lease_id"])
        # Allowed by default: goes to the card, journaled without the PIN.
        assert (await channel.apdu(VERIFY))["op"] == "response"
        service = box.api_context.apdu
        service.config = msgspec.structs.replace(service.config, allow_pin_verification=False)
        for ins in ("20", "21", "24"):
            answer = await channel.apdu(f"00{ins}000108" + "31323334FFFFFFFF")
            assert answer["code"] == "pin_verification_forbidden"
        assert (await channel.apdu(SELECT_MF))["op"] == "response"
        await wait_until(lambda: len([e for e in box.api_context.audit.entries(
            limit=1000, client_id=one.client_id) if e.action == "APDU"]) >= 6)
        entries = box.api_context.audit.entries(limit=1000, client_id=one.client_id)
        verify = [e for e in entries if e.action == "APDU" and "ins=20" in e.resource]
        # The box asked the card its tries left first (VERIFY without data: borne.apdu.pin_guard).
        assert [(e.status, "lc=0 " in e.resource) for e in verify] \
            == [(200, True), (200, False), (403, False)]
        text = json.dumps([e.to_dict() for e in entries])
        assert "31323334" not in text and "1234" not in text.replace(one.client_id, "")

        box.api_context.revoke(one.client_id)
        assert (await channel.push("lease_lost"))["code"] == "revoked"
        while (await channel.ws.receive(timeout=8)).type == aiohttp.WSMsgType.TEXT:
            pass
        assert not box.api_context.apdu.book.all()
    finally:
        await one.close()
