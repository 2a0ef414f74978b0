"""The box's USB reader over FunctionFS, the daemon whole: a fake endpoint set stands in for the kernel.

The daemon runs ``[usb] transport = "functionfs"`` on the tests' private pcscd with virtual
cards; each exposed slot is its own FunctionFS function (``ccid0``, ``ccid1``: one single-slot
CCID interface per box slot, docs/usb-reader.md) whose ep0..ep3 are socket pairs
(:mod:`support.ffs_fake`). The test is the USB host: it configures the device, powers a card,
exchanges APDUs, and gets NotifySlotChange on interrupt-IN as cards come and go. What the
kernel and a real host do with these bytes is checked on a Pi (tests/hil/test_usb_gadget.py).
"""

from __future__ import annotations

import asyncio
import struct

import pytest

from borne.ccid import messages as m
from borne.daemon import Daemon
from borne.readers.base import slot_id_for
from borne.sim.cards import load_card

from support.box import box_config
from support.ffs_fake import FakeEndpoints
from support.usb_host import decoded
from support.waiting import until

pytestmark = pytest.mark.pcscd

SELECT_MF = bytes.fromhex("00A40000023F00")


def command(kind: int, seq: int, data: bytes = b"", specific: bytes = b"\0\0\0") -> bytes:
    return struct.pack("<BIBB3s", kind, len(data), 0, seq, specific) + data


@pytest.fixture
async def usb_box(tmp_path, sim_pcscd):
    fakes = {"ccid0": FakeEndpoints(), "ccid1": FakeEndpoints()}
    box = Daemon(box_config(tmp_path, usb={"mode": "ccid", "transport": "functionfs",
                                           "functionfs_dir": str(tmp_path / "ffs")}))
    box.usb.endpoints = lambda ep_dir: fakes[ep_dir.name]
    await box.start()
    try:
        yield box, fakes
    finally:
        await box.stop()
        for fake in fakes.values():
            fake.close()


async def host_read(fake: FakeEndpoints, name: str, timeout: float = 5.0) -> bytes:
    return await asyncio.to_thread(fake.read, name, timeout)


async def exchange(fake: FakeEndpoints, message: bytes) -> bytes:
    fake.send_bulk(message)
    return await host_read(fake, "ep2")


async def test_a_usb_host_reads_the_box_slot_behind_its_interface(usb_box, sim_pcscd, card_slots):
    box, fakes = usb_box
    slot_ids = [slot_id_for(slot.reader) for slot in sim_pcscd.slots[:2]]
    assert [s.box_slot for s in box.usb.snapshot().slots] == slot_ids
    assert box.usb.snapshot().state == "configured"
    host = fakes["ccid1"]
    for fake in fakes.values():
        await host_read(fake, "ep0")  # the descriptors, then the interface's strings
        await host_read(fake, "ep0")
    host.enable()
    await until(lambda: box.usb.snapshot().state == "host_connected")

    # A card goes into the box slot behind ccid1: the host is told at once, on interrupt-IN.
    card_slots.insert(1, "vitale-family")
    assert await host_read(host, "ep3") == bytes([m.NOTIFY_SLOT_CHANGE, 0b11])
    await decoded(box, slot_ids[1])
    atr = load_card("vitale-family").atr
    answer = await exchange(host, command(m.ICC_POWER_ON, 1))
    assert answer[0] == m.DATA_BLOCK and answer[10:] == atr
    assert box.usb.snapshot().host_using == [1]
    answer = await exchange(host, command(m.XFR_BLOCK, 2, SELECT_MF))
    assert (answer[0], answer[7], answer[10:]) == (m.DATA_BLOCK, 0, b"\x90\x00")
    # ccid0's host sees its own slot only, empty.
    fakes["ccid0"].enable()
    answer = await exchange(fakes["ccid0"], command(m.GET_SLOT_STATUS, 1))
    assert answer[7] & 0x03 == m.ICC_ABSENT

    answer = await exchange(host, command(m.ICC_POWER_OFF, 3))
    assert answer[0] == m.SLOT_STATUS
    assert box.usb.snapshot().host_using == []
    card_slots.remove(1)
    assert await host_read(host, "ep3") == bytes([m.NOTIFY_SLOT_CHANGE, 0b10])


async def test_no_function_mounted_is_unsupported_and_the_box_runs_on(tmp_path, sim_pcscd):
    box = Daemon(box_config(tmp_path, usb={"mode": "ccid", "transport": "functionfs",
                                           "functionfs_dir": str(tmp_path / "nothing")}))
    await box.start()
    try:
        status = box.usb.snapshot()
        assert status.state == "unsupported" and status.detail
        assert box.core.devices["usb"]["state"] == "unavailable"
        assert box.api is not None  # the rest of the box is up
    finally:
        await box.stop()
