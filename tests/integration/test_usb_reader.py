"""The box as a CCID reader, seen from a workstation: through a real pcscd with libccidtwin.

The box (a daemon on the tests' private pcscd with virtual cards) runs ``[usb] mode = "ccid"``
on a serial line (``transport = "serial"``); a serial cable of two ptys
(:mod:`support.serial_cable`) joins it to a "workstation" pcscd driving it with
``libccidtwin`` as a dual-slot SEC1210 (:mod:`support.workstation_pcscd`), where a PC/SC
program (:mod:`support.pcsc_workstation`), ``pcsc_scan`` and ``opensc-tool`` run. The CCID
messages are the ones a USB host sends; only their carrier differs (docs/usb-reader.md).
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from borne.control.client import call
from borne.health import check_usb
from borne.readers.base import slot_id_for
from borne.sim.cards import load_card

from support.box import running_box
from support.pcsc_workstation import PcscWorkstation
from support.serial_cable import SerialCable
from support.usb_host import ask, decoded, usb_box, usb_section
from support.waiting import until
from support.workstation_pcscd import WorkstationPcscd

pytestmark = pytest.mark.pcscd

SELECT_MF = "00A40000023F00"


@pytest.fixture
async def usb(tmp_path, sim_pcscd):
    async with usb_box(tmp_path) as parts:
        yield parts


@pytest.fixture
def box(usb):
    return usb[0]


@pytest.fixture
def host(usb):
    return usb[1]


@pytest.fixture
def program(usb):
    return usb[2]


@pytest.fixture
def box_slots(sim_pcscd):
    """The box's two contact slots, in the order the workstation numbers them."""
    return [slot_id_for(slot.reader) for slot in sim_pcscd.slots[:2]]


def exchange_locally(reader: str, apdus: list[str]) -> list[str]:
    """``apdus`` sent on the box's own pcscd to the card in ``reader``, from a fresh power-on."""
    from smartcard import scard

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        hresult, card, protocol = scard.SCardConnect(context, reader, scard.SCARD_SHARE_SHARED,
                                                     scard.SCARD_PROTOCOL_T0)
        assert hresult == 0, scard.SCardGetErrorMessage(hresult)
        scard.SCardReconnect(card, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0,
                             scard.SCARD_RESET_CARD)
        answers = []
        for apdu in apdus:
            hresult, response = scard.SCardTransmit(card, protocol, list(bytes.fromhex(apdu)))
            assert hresult == 0, scard.SCardGetErrorMessage(hresult)
            answers.append(bytes(response).hex().upper())
        scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD)
        return answers
    finally:
        scard.SCardReleaseContext(context)


async def test_the_workstation_reads_the_cards_byte_for_byte_as_the_box_does(
        box, host, program, card_slots, box_slots):
    card_slots.insert(0, "cps-pharmacist")
    card_slots.insert(1, "vitale-family")
    for slot_id in box_slots:
        await decoded(box, slot_id)

    listing = await ask(program, "readers")
    assert listing["readers"] == host.readers, host.log_tail()
    for index in range(2):  # libccid polls the slots' status about every 400 ms
        assert (await ask(program, "wait", reader=index, present=True))["present"]
    await until(lambda: box.usb.snapshot().state == "host_connected")
    assert [s.box_slot for s in box.usb.snapshot().slots] == box_slots
    # What `borne status` and `borne doctor` read from the control socket.
    usb = (await asyncio.to_thread(call, box.config.control_socket, "status"))["usb"]
    assert (usb["mode"], usb["transport"], usb["state"]) == ("ccid", "serial", "host_connected")
    assert check_usb(usb).status == "ok"

    for index, card_name in enumerate(("cps-pharmacist", "vitale-family")):
        chip = load_card(card_name)
        connected = await ask(program, "connect", reader=index)
        assert connected == {"protocol": 1, "atr": chip.atr.hex().upper()}  # T=0
        assert index in box.usb.snapshot().host_using  # (pcscd powered both as they came)
        read = await ask(program, "read_card")
        assert "error" not in read, read
        # The same card as the box decoded itself, from the same bytes.
        assert read["card"] == box.core.slots[box_slots[index]].card.to_dict()
        assert (await ask(program, "disconnect"))["result"] == 0
        await until(lambda: index not in box.usb.snapshot().host_using)
        # Byte for byte what the same card answers on the box's own pcscd.
        name = box.core.slots[box_slots[index]].info.name
        local = await asyncio.to_thread(exchange_locally, name, [a for a, _ in read["exchanges"]])
        assert [r for _, r in read["exchanges"]] == local

    # Journaled as the USB host's, the commands without their data.
    def journal():
        return box.api_context.audit.entries(limit=1000, client_id="usb-host")
    def apdus(slot_id: str) -> list[str]:
        return [e.resource for e in journal() if e.action == "APDU" and e.resource.startswith(slot_id)]
    await until(lambda: len(apdus(box_slots[1])) >= len(read["exchanges"]))
    apdus = apdus(box_slots[1])
    assert f"{box_slots[1]} cla=00 ins=A4 lc=2 le=0 rlen=0 sw=9000" in apdus or any(
        "ins=A4" in line for line in apdus)
    for _, response in read["exchanges"]:
        if len(response) > 8:
            assert not any(response[:-4] in line.upper() for line in apdus)


async def test_insertion_and_removal_reach_the_workstation_and_the_box_reads_first(
        box, host, program, sim_pcscd, card_slots, box_slots):
    assert (await ask(program, "readers"))["present"] == dict.fromkeys(host.readers, False)
    waiting = asyncio.ensure_future(ask(program, "wait", reader=1, present=True))
    card_slots.insert(1, "vitale-family")
    seen = await asyncio.wait_for(waiting, 15)
    assert seen == {"present": True, "atr": load_card("vitale-family").atr.hex().upper()}
    # The workstation's pcscd powered the card as it came; the box still read it whole, and
    # has the slot back once pcscd powers the unused card off (at its next poll).
    await decoded(box, box_slots[1])
    assert box.core.slots[box_slots[1]].card.to_dict()["type"] == "vitale"
    await until(lambda: box.usb.snapshot().host_using == [], timeout=5)

    waiting = asyncio.ensure_future(ask(program, "wait", reader=1, present=False))
    card_slots.remove(1)
    assert (await asyncio.wait_for(waiting, 15))["present"] is False


async def test_the_box_pauses_its_reads_while_the_workstation_holds_a_slot(
        box, host, program, card_slots, box_slots):
    card_slots.insert(0, "cps-pharmacist")
    await decoded(box, box_slots[0])
    await ask(program, "readers")
    assert (await ask(program, "wait", reader=0, present=True))["present"]
    assert "error" not in await ask(program, "connect", reader=0)
    assert (await ask(program, "transmit", apdus=[SELECT_MF]))["answers"] == ["9000"]
    apdu = box.api_context.apdu
    # A paired workstation asking for the slot is told it is busy; the box's reader is paused.
    from borne.apdu.leases import LeaseError

    with pytest.raises(LeaseError) as refused:
        apdu.take(box_slots[0], "c" * 32, "Comptoir", 10)
    assert refused.value.code == "slot_busy"
    assert box.backends[0]._is_paused(box.core.slots[box_slots[0]].info.name,
                                      box.core.slots[box_slots[0]].info)

    # The workstation is done (its program disconnects, unpowering the card): the box has the
    # slot back at once.
    await ask(program, "disconnect")
    await until(lambda: box.usb.snapshot().host_using == [])
    assert not box.backends[0]._is_paused(box.core.slots[box_slots[0]].info.name,
                                          box.core.slots[box_slots[0]].info)
    lease = apdu.take(box_slots[0], "c" * 32, "Comptoir", 10)
    # ... and while a paired workstation holds it, the USB host is told the slot is busy.
    failed = await ask(program, "connect", reader=0)
    assert failed.get("error"), failed
    apdu.release(lease.id, "c" * 32)
    assert "error" not in await ask(program, "connect", reader=0)
    assert (await ask(program, "transmit", apdus=[SELECT_MF]))["answers"] == ["9000"]


async def test_the_workstation_survives_the_box_daemon_restarting(
        tmp_path, sim_pcscd, card_slots, box_slots):
    card_slots.insert(1, "vitale-family")
    with SerialCable() as cable:
        async with running_box(tmp_path, usb=usb_section(cable)) as box:
            await decoded(box, box_slots[1])
            # (libccidtwin opens a serial reader only if it answers: the box is up first)
            host = WorkstationPcscd(tmp_path / "workstation", cable.host_end).start()
            program = PcscWorkstation(host.client_env())
        try:
            await restarted_box_is_read_again(tmp_path, cable, host, program, box_slots)
        finally:
            program.close()
            host.stop()


async def restarted_box_is_read_again(tmp_path, cable, host, program, box_slots) -> None:
    # The daemon is gone: the readers stay listed on the workstation.
    assert (await ask(program, "readers"))["readers"] == host.readers, host.log_tail()
    async with running_box(tmp_path, usb=usb_section(cable)) as box:
        await decoded(box, box_slots[1])
        await until(lambda: box.usb.snapshot().state == "host_connected", timeout=15)
        waited = await ask(program, "wait", reader=1, present=True, timeout_ms=15000)
        assert waited.get("present"), (waited, host.log_tail())
        connected = await ask(program, "connect", reader=1)
        assert "error" not in connected, (connected, host.log_tail())
        read = await ask(program, "read_card")
        assert read.get("card") == box.core.slots[box_slots[1]].card.to_dict(), read


async def test_pcsc_scan_and_opensc_tool_see_the_box(box, host, program, card_slots, box_slots):
    card_slots.insert(0, "cps-pharmacist")
    await decoded(box, box_slots[0])
    await ask(program, "readers")
    assert (await ask(program, "wait", reader=0, present=True))["present"]
    env = host.client_env()
    listing = await asyncio.to_thread(subprocess.run, ["pcsc_scan", "-r"], env=env,
                                      capture_output=True, text=True, timeout=20)
    assert listing.stdout.splitlines()[:2] == [f"0: {host.readers[0]}", f"1: {host.readers[1]}"]
    readers = await asyncio.to_thread(subprocess.run, ["opensc-tool", "--list-readers"], env=env,
                                      capture_output=True, text=True, timeout=20)
    assert all(name in readers.stdout for name in host.readers), readers.stdout + readers.stderr
    atr = await asyncio.to_thread(subprocess.run, ["opensc-tool", "-r", "0", "-a"], env=env,
                                  capture_output=True, text=True, timeout=20)
    expected = load_card("cps-pharmacist").atr.hex(":")
    assert expected in atr.stdout.lower(), atr.stdout + atr.stderr
