"""A thief with the SD card: what the update leaves on disk tells nothing about a patient.

The pending record (``<data_dir>/update/pending.json``, kept across the reboot) and the
reboot request hold versions, slots, the origin and who asked: never a name, a NIR, a
birth date, whatever card was in the box when the update came. Real RAUC on loop devices,
the real daemon with a carte Vitale read.
"""

from __future__ import annotations

import asyncio
import json
import time

from borne.control.client import call
from borne.update.reboot_gate import REBOOT_REQUEST

from support.box import running_box

#: The test carte Vitale's beneficiary (src/borne/sim/cards/vitale-single.toml).
IDENTITY = ("MARTIN-TEST", "ALICE", "19850412", "1985-04-12", "285047505612322",
            "2850475056123")


async def test_the_pending_record_and_the_reboot_request_hold_no_identity(
        rauc_box, tmp_path, sim_pcscd, card_slots, monkeypatch):
    monkeypatch.setattr("borne.update.service.read_boot_id", lambda: "boot-1")
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    updates = {"enabled": "on", "dbus_address": rauc_box.address,
               "release_file": str(rauc_box.release_file)}
    async with running_box(tmp_path, update=updates) as box:
        await asyncio.to_thread(card_slots.insert, 0, "vitale-single")
        deadline = time.monotonic() + 20
        while box.core.slots["borne-sim-00-00"].state != "decoded":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert box.core.slots["borne-sim-00-00"].card is not None  # the identity is in memory
        await asyncio.to_thread(call, box.config.control_socket, "update_install",
                                {"path": str(bundle)})
        request = tmp_path / "run" / REBOOT_REQUEST
        while not request.exists():
            assert time.monotonic() < deadline + 20
            await asyncio.sleep(0.05)
    await asyncio.to_thread(card_slots.remove, 0, wait=True)

    pending = tmp_path / "data" / "update" / "pending.json"
    record = json.loads(pending.read_text())
    assert sorted(record) == ["actor", "boot_id", "from_slot", "from_version", "origin",
                              "to_slot", "version"]
    assert (record["version"], record["from_version"], record["to_slot"], record["actor"]) == \
        ("1.1.0", "1.0.0", "B", "box")
    for written in (pending.read_bytes(), request.read_bytes()):
        for value in IDENTITY:
            assert value.encode() not in written
    for path in (tmp_path / "data" / "update").iterdir():  # nothing else was left there
        assert path.name == "pending.json"
