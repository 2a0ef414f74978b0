"""An old lease's expiry timer never acts on the slot's next holder (issue 16, 8).

A lease is over on the box's clock the moment its deadline passes, but its timer fires a
little later (a busy event loop, a slow Pi). In between, another workstation may lease the
slot. The old timer used to end the old lease *after* the new one began: it resumed the
box's own reads of the slot under the new holder (so the box read the card the new holder was
driving) and the new holder never heard of the card inserted meanwhile.

Deterministic: the box runs on a clock the test moves (the old lease over at once on the
box's clock, its timer still 3 s away on the event loop's), through the real HTTPS API, the
channel's WebSocket and a private pcscd with the simulator's card_slots.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.readers.base import slot_id_for
from borne.runtime.clock import Clock

from support.box import paired, running_box, url

OLD_LEASE_S = 3


class Skewed:
    """A monotonic clock the test moves forward."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skew


def client(folder) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(
        ssl=mtls_context(WorkstationFiles(folder))))


async def next_push(ws: aiohttp.ClientWebSocketResponse, op: str, timeout: float) -> dict | None:
    """The next message ``op`` the box pushes, or None within ``timeout``."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await ws.receive(timeout=left)
        except asyncio.TimeoutError:
            return None
        if message.type != aiohttp.WSMsgType.TEXT:
            return None
        body = json.loads(message.data)
        if body.get("op") == op:
            return body
    return None


async def test_an_old_leases_timer_leaves_the_next_holder_alone(tmp_path, sim_pcscd, card_slots):
    monotonic = Skewed()
    clock = Clock(recheck_s=0.0, kernel_synced=lambda: False, monotonic=monotonic)
    slot = slot_id_for(sim_pcscd.slots[1].reader)
    async with running_box(tmp_path, clock=clock) as box:
        await paired(box, tmp_path / "one", "Comptoir 1")
        await paired(box, tmp_path / "two", "Comptoir 2")
        async with client(tmp_path / "one") as one, client(tmp_path / "two") as two:
            async with one.post(f"{url(box)}/v1/slots/{slot}/lease",
                                json={"seconds": OLD_LEASE_S}) as answer:
                assert answer.status == 201
            started = time.monotonic()
            monotonic.skew = OLD_LEASE_S + 1.0  # over on the box's clock; its timer not fired yet
            async with two.post(f"{url(box)}/v1/slots/{slot}/lease", json={"seconds": 60}) as answer:
                assert answer.status == 201, await answer.text()
                lease = await answer.json()
            ws = await two.ws_connect(f"{url(box)}/v1/leases/{lease['lease_id']}/channel")
            # A card inserted under the new lease is the new holder's news.
            card_slots.insert(1, "vitale-single")
            assert await next_push(ws, "card_inserted", 5.0) is not None, \
                "the new holder was not told of the card (the old lease took the news)"
            # The old lease's timer fires now.
            await asyncio.sleep(max(0.0, started + OLD_LEASE_S + 0.5 - time.monotonic()))
            assert await next_push(ws, "lease_lost", 0.2) is None
            async with two.get(f"{url(box)}/v1/leases") as answer:
                assert [l["lease_id"] for l in (await answer.json())["leases"]] \
                    == [lease["lease_id"]]
            assert (await send(ws, "power_on"))["op"] == "atr"
            # The box's own reads of the slot stay paused under the new holder: a card
            # inserted again is not read by the box.
            assert (await send(ws, "power_off"))["op"] == "ok"
            seq = box.bus.last_seq
            card_slots.remove(1, wait=True)
            card_slots.insert(1, "vitale-single")
            assert await next_push(ws, "card_inserted", 5.0) is not None
            await asyncio.sleep(1.5)  # what the box would take to read a carte Vitale
            kinds = [e.type for e in box.bus.history(seq) if getattr(e.data, "slot", None) == slot]
            assert "card.decoded" not in kinds, kinds
            await ws.close()


async def send(ws: aiohttp.ClientWebSocketResponse, op: str) -> dict:
    """The box's answer to the channel request ``op``."""
    await ws.send_str(json.dumps({"op": op, "id": op}))
    while True:
        body = json.loads((await ws.receive(timeout=10)).data)
        if body.get("id") == op:
            return body
