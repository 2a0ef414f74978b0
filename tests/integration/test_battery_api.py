"""``GET /v1/status`` and the event stream carry the battery, over the real mutually authenticated API."""

from __future__ import annotations

import asyncio

import pytest

from borne.client import BoxClient

from support.box import paired, running_box
from support.waiting import wait_event
from support.contract import validate_status

pytestmark = pytest.mark.pcscd


async def status_when(client: BoxClient, ready, timeout: float = 10.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = await client.status()
        if ready(body) or asyncio.get_running_loop().time() > deadline:
            return body
        await asyncio.sleep(0.05)


async def test_status_health_and_events_carry_the_battery(tmp_path, sim_pcscd):
    async with running_box(tmp_path, daemon={"mode": "mobile"},
                           battery={"device": "sim", "poll_s": 0.05, "confirm_readings": 2}) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            body = await status_when(client, lambda b: b["battery"]["state"] == "ok")
            validate_status(body)
            assert body["battery"]["percent"] == 80 and body["battery"]["charging"] is False
            assert body["devices"]["battery"]["state"] == "available"
            events = client.events(after=body["last_event_seq"])
            box.battery.twin.set_level(15, charging=False)
            event = await wait_event(events, "battery.state")
            while event.data["state"] != "low":
                event = await wait_event(events, "battery.state")
            assert event.data["percent"] == 15 and set(event.data) == {
                "percent", "charging", "state", "voltage_mv"}
            body = await client.status()
            validate_status(body)
            assert body["battery"]["state"] == "low" and body["battery"]["voltage_mv"] > 7000
            health = {check["name"]: check for check in body["health"]}["battery"]
            assert (health["status"], health["code"]) == ("warn", "battery_low")
            assert "chargeur" in health["fix"]["fr"] and "charger" in health["fix"]["en"]


async def test_a_box_without_battery_says_null(tmp_path, sim_pcscd):
    async with running_box(tmp_path, daemon={"mode": "mobile"}) as box:  # and no [battery]
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            body = await client.status()
        validate_status(body)
        assert body["battery"] is None and "battery" not in body["devices"]
        assert "battery" not in [check["name"] for check in body["health"]]
