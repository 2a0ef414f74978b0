"""A person at the counter: an update never reboots the box in the middle of a patient.

The reboot into an installed update is asked for (``<runtime_dir>/reboot-request``, which
root's path unit turns into ``systemctl reboot '0 tryboot'``) only when no card is being
read and no APDU lease is held (nor an apCV session open: tests/integration/
test_update_box.py), unless the person at the box forces it. Real RAUC on loop devices,
the real daemon on the tests' private pcscd, a carte Vitale whose chip answers slowly.
"""

from __future__ import annotations

import asyncio
import functools

from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.control.client import call
from borne.update.reboot_gate import REBOOT_REQUEST

from support import waiting
from support.box import paired, running_box, url


#: Looked at every 10 ms: a request written during a read must not slip between two looks.
until = functools.partial(waiting.until, interval=0.01)


async def test_no_reboot_request_while_a_patients_card_is_being_read(
        rauc_box, tmp_path, sim_pcscd, card_slots):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    request = tmp_path / "run" / REBOOT_REQUEST
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        slot = "borne-sim-00-00"
        await asyncio.to_thread(card_slots.insert_factory, 0, "support.faulty_cards:slow_vitale")
        await until(lambda: box.core.slots[slot].state == "reading", what="the read begins")
        await asyncio.to_thread(call, box.config.control_socket, "update_install",
                                {"path": str(bundle)})
        # Watch every 10 ms: the request must never exist while the card is being read.
        written_while_reading = False
        while box.core.slots[slot].state == "reading":
            written_while_reading |= request.exists()
            await asyncio.sleep(0.01)
        assert not written_while_reading
        assert box.core.slots[slot].state == "decoded"
        await until(request.exists, what="the request once the read is over")
    await asyncio.to_thread(card_slots.remove, 0, wait=True)


async def test_no_reboot_request_while_a_workstation_holds_a_lease_unless_forced(
        rauc_box, tmp_path, sim_pcscd, card_slots):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    request = tmp_path / "run" / REBOOT_REQUEST
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        await paired(box, tmp_path / "ws")
        files = WorkstationFiles(tmp_path / "ws")
        import aiohttp

        connector = aiohttp.TCPConnector(ssl=mtls_context(files))
        async with aiohttp.ClientSession(connector=connector) as http:
            async with http.post(f"{url(box)}/v1/slots/borne-sim-00-01/lease",
                                 json={"seconds": 60}) as answer:
                assert answer.status == 201, await answer.text()
            await asyncio.to_thread(call, box.config.control_socket, "update_install",
                                    {"path": str(bundle)})
            await until(lambda: box.updates.snapshot().state == "installed", what="installed")
            await asyncio.sleep(1.0)
            assert box.updates.snapshot().reboot_held_by == ["apdu_lease"]
            assert not request.exists()
            forced = await asyncio.to_thread(call, box.config.control_socket, "update_reboot",
                                             {"force": True})
            assert forced["state"] == "rebooting" and request.exists()
