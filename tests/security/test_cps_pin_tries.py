"""A paired client gone bad must not block the pharmacist's CPS through the APDU channel (issue 16, 6).

A CPS blocks after three wrong PINs (ISO/IEC 7816-4:2005 §7.5.6 VERIFY: ``63CX``, X tries
left; ``6983`` blocked). The box sees every answer: it never lets a remote client spend the
last try. With one try left, VERIFY (and what else spends a try of that PIN) is refused with
``pin_last_try_protected`` until the person at the box presses the button, while the screen
says why; before each PIN command the card is asked its tries left (VERIFY without data
spends nothing), so a card already worn elsewhere is protected too. Through the bridge, a
PC/SC program on the workstation gets ``6985`` for the kept try. With ``allow_pin_verification = false`` what carries a PIN otherwise is
refused too: ENVELOPE (C2/C3), RESET RETRY COUNTER (2C), CHANGE REFERENCE DATA (24) and
reader pseudo-APDUs (CLA FF).

Everything is real: a private pcscd with vpcd, the simulator's CPS (a card process with a
persistent try counter, :mod:`borne.sim.chip`), the daemon on loopback with luma's dummy
screen and mock button pins, a paired workstation on mutual TLS and the channel's WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import pytest

from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.display import views as v
from borne.display.render import render
from borne.display.views import StatusStrip
from borne.readers.base import slot_id_for

from support.box import paired, running_box, url
from support.workstation import Workstation

WRONG = "002000010839393939FFFFFFFF"
RIGHT = "002000010831323334FFFFFFFF"  # the simulated CPS's PIN (borne.sim.card_slots.build)
ASK = "00200001"  # VERIFY without data: the tries left, none spent
SELECT_MF = "00A40000023F00"
SCREEN = {"display": {"device": "dummy:128x64", "retry_s": 0.2},
          "panel": {"pins": "mock", "long_press_s": 0.3}}


async def until(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Channel:
    """A paired workstation's lease and channel on one slot."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http, self.ws, self._id = http, ws, 0

    async def send(self, op: str, **fields: object) -> dict:
        self._id += 1
        await self.ws.send_str(json.dumps({"op": op, "id": self._id, **fields}))
        while True:
            message = await self.ws.receive(timeout=10)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            body = json.loads(message.data)
            if body.get("id") == self._id:
                return body

    async def apdu(self, hex_apdu: str) -> str:
        """The card's answer (hex), or ``error:<code>``."""
        answer = await self.send("apdu", apdu=hex_apdu)
        return answer["response"] if answer["op"] == "response" else f"error:{answer['code']}"


async def open_channel(box, folder: Path, slot: str) -> Channel:
    await paired(box, folder, folder.name)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(
        ssl=mtls_context(WorkstationFiles(folder))))
    async with http.post(f"{url(box)}/v1/slots/{slot}/lease", json={"seconds": 120}) as answer:
        assert answer.status == 201, await answer.text()
        lease = await answer.json()
    ws = await http.ws_connect(f"{url(box)}/v1/leases/{lease['lease_id']}/channel")
    channel = Channel(http, ws)
    assert (await channel.send("power_on"))["op"] == "atr"
    return channel


def screen_shows(box, view) -> bool:
    shown = box.display.last_image
    expected = render(view, width=128, height=64, mode="1",
                      status=StatusStrip(clock_synced=box.clock.wall().synchronised))
    return shown is not None and shown.tobytes() == expected.tobytes()


async def test_three_wrong_pins_leave_the_last_try_to_the_person_at_the_box(
        tmp_path, sim_pcscd, card_slots):
    card_slots.insert(0, "cps-pharmacist")
    slot = slot_id_for(sim_pcscd.slots[0].reader)
    async with running_box(tmp_path, **SCREEN) as box:
        await until(lambda: box.core.slots.get(slot) is not None
                    and box.core.slots[slot].state == "decoded", "the CPS read by the box")
        channel = await open_channel(box, tmp_path / "Comptoir 1", slot)
        try:
            assert await channel.apdu(WRONG) == "63C2"
            assert await channel.apdu(WRONG) == "63C1"
            # The third would block the card: refused, the card keeps its last try.
            assert await channel.apdu(WRONG) == "error:pin_last_try_protected"
            assert await channel.apdu(WRONG) == "error:pin_last_try_protected"
            assert await channel.apdu(ASK) == "63C1"
            assert await channel.apdu(SELECT_MF) == "9000"  # the rest of the card still works
            # The screen says why, French first.
            why = v.ErrorView("pin_last_try_protected")
            await until(lambda: screen_shows(box, why), "the screen saying why")
            # The person at the box presses the button: one VERIFY goes to the card.
            await asyncio.to_thread(box.display.panel.press_for_test, 0.05)
            await until(lambda: not screen_shows(box, why), "the request leaving the screen")
            assert await channel.apdu(RIGHT) == "9000"
            # A good PIN resets what the box knows: the next wrong one goes to the card again.
            assert await channel.apdu(WRONG) == "63C2"
        finally:
            await channel.http.close()


async def test_a_card_already_at_its_last_try_is_asked_before_a_pin_is_forwarded(
        tmp_path, sim_pcscd, card_slots):
    card_slots.insert(0, "cps-pharmacist", tries_left=1)  # two wrong PINs spent elsewhere
    slot = slot_id_for(sim_pcscd.slots[0].reader)
    async with running_box(tmp_path, **SCREEN) as box:
        await until(lambda: box.core.slots.get(slot) is not None
                    and box.core.slots[slot].state == "decoded", "the CPS read by the box")
        channel = await open_channel(box, tmp_path / "Comptoir 1", slot)
        try:
            assert await channel.apdu(WRONG) == "error:pin_last_try_protected"
            # CHANGE REFERENCE DATA checks the same PIN first: refused as well.
            assert await channel.apdu("0024000110" + "39" * 4 + "FF" * 4 + "31" * 4 + "FF" * 4) \
                == "error:pin_last_try_protected"
            assert await channel.apdu(ASK) == "63C1"
        finally:
            await channel.http.close()


async def test_through_the_bridge_a_pc_sc_program_cannot_spend_the_last_try(tmp_path, sim_pcscd,
                                                                             card_slots):
    """The bridge is a client of the channel: the box's rule holds for PC/SC programs on the
    workstation, which get 6985 (conditions of use not satisfied) for the kept try."""
    from borne.bridge.bridge import Bridge

    card_slots.insert(0, "cps-pharmacist")
    async with running_box(tmp_path, **SCREEN) as box:
        await paired(box, tmp_path / "ws")
        workstation = await asyncio.to_thread(Workstation, tmp_path / "wspcscd", 0xA17B)
        bridge = Bridge(url(box), tmp_path / "ws", vpcd_port=0xA17B, idle_release_s=2.0)
        task = asyncio.create_task(bridge.run())
        try:
            await asyncio.wait_for(bridge.connected.wait(), 15)
            await workstation.until(lambda r: r["present"], "the CPS on the workstation")
            answer = await asyncio.to_thread(workstation.ask, cmd="apdus",
                                             apdus=[WRONG, WRONG, WRONG, ASK])
            assert answer == {"responses": ["63C2", "63C1", "6985", "63C1"]}, answer
            await until(lambda: screen_shows(box, v.ErrorView("pin_last_try_protected")),
                        "the screen saying why")
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.to_thread(workstation.close)


@pytest.mark.parametrize("apdu", [
    "00C2000005" + "0020000100",  # ENVELOPE around a VERIFY
    "00C3000005" + "0020000100",
    "002C000110" + "31" * 16,  # RESET RETRY COUNTER (PUK + new PIN)
    "0024000110" + "31" * 16,  # CHANGE REFERENCE DATA
    "FF00000005" + "0020000100",  # a reader pseudo-APDU (direct transmit)
    "FFC2010600",  # a reader's PIN-pad command
    WRONG,
])
async def test_no_pin_policy_refuses_what_carries_a_pin(tmp_path, sim_pcscd, card_slots, apdu):
    card_slots.insert(0, "cps-pharmacist")
    slot = slot_id_for(sim_pcscd.slots[0].reader)
    async with running_box(tmp_path, apdu={"allow_pin_verification": False}) as box:
        await until(lambda: box.core.slots.get(slot) is not None
                    and box.core.slots[slot].state == "decoded", "the CPS read by the box")
        channel = await open_channel(box, tmp_path / "Comptoir 1", slot)
        try:
            assert await channel.apdu(apdu) == "error:pin_verification_forbidden"
            assert await channel.apdu(SELECT_MF) == "9000"
        finally:
            await channel.http.close()
