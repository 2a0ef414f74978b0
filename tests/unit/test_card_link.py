"""The APDU channel's card connection (borne.apdu.exchange.CardLink) on the in-memory pcscd.

The lease's whole life through the daemon and a real pcscd is tests/integration/
test_apdu_channel.py; here, each PC/SC situation the link maps to a stable code, in
milliseconds.
"""

from __future__ import annotations

import asyncio

import pytest

from borne.apdu.exchange import CardLink
from borne.errors import CardError
from borne.readers.pcsc import vocabulary as v
from borne.sim.cards import load_card
from borne.sim.virtual_pcsc import VirtualPcsc

READER = "Borne Sim 00 00"
SELECT_MF = bytes.fromhex("00A40000023F00")


@pytest.fixture
def pcsc() -> VirtualPcsc:
    machine = VirtualPcsc()
    machine.plug(READER)
    return machine


@pytest.fixture
async def link(pcsc):
    card_link = CardLink(READER, connect_timeout_s=0.2, scard=pcsc)
    yield card_link
    await card_link.close()


def state_of(pcsc: VirtualPcsc) -> int:
    _rv, context = pcsc.SCardEstablishContext(v.SCOPE_USER)
    _rv, [(_name, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    pcsc.SCardReleaseContext(context)
    return state


async def code_of(operation) -> str:
    with pytest.raises(CardError) as failed:
        await operation
    return failed.value.code


async def test_a_lease_holds_the_card_exclusively_until_power_off(pcsc, link):
    chip = load_card("vitale-single")
    pcsc.insert(READER, chip)
    assert await link.power_on() == chip.atr and link.powered
    assert state_of(pcsc) & v.STATE_EXCLUSIVE
    assert await link.transmit(SELECT_MF) == b"\x90\x00"
    assert await link.reset() == chip.atr
    await link.power_off()
    assert not link.powered and not state_of(pcsc) & (v.STATE_EXCLUSIVE | v.STATE_INUSE)
    assert await link.transmit(SELECT_MF) == b"\x90\x00"  # powers the card again first


async def test_no_card(link):
    assert await code_of(link.power_on()) == "no_card"


@pytest.mark.parametrize("answer", ["not_transacted", "empty"])
async def test_a_card_pulled_mid_apdu_is_card_removed(answer, pcsc, link):
    pcsc.pulled_answer = answer
    pcsc.insert(READER, load_card("vitale-single", pull_after=2))
    await link.power_on()
    await link.transmit(SELECT_MF)
    assert await code_of(link.transmit(SELECT_MF)) == "card_removed"
    assert not link.powered


async def test_pcscd_gone_then_back(pcsc, link):
    pcsc.insert(READER, load_card("vitale-single"))
    await link.power_on()
    pcsc.stop()
    assert await code_of(link.transmit(SELECT_MF)) == "pcsc_unavailable"
    assert await code_of(link.power_on()) == "pcsc_unavailable"
    pcsc.start()
    assert await link.power_on() == load_card("vitale-single").atr  # a new context


async def test_the_reader_unplugged(pcsc, link):
    pcsc.insert(READER, load_card("vitale-single"))
    await link.power_on()
    pcsc.unplug(READER)
    assert await code_of(link.transmit(SELECT_MF)) == "reader_unavailable"


async def test_the_boxs_own_read_is_waited_for_then_a_lasting_share_refused(pcsc, link):
    pcsc.insert(READER, load_card("vitale-single"))
    _rv, context = pcsc.SCardEstablishContext(v.SCOPE_USER)

    def box_reads() -> int:
        rv, card, _protocol = pcsc.SCardConnect(context, READER, v.SHARE_SHARED,
                                                v.PROTOCOL_T0 | v.PROTOCOL_T1)
        assert rv == v.S_SUCCESS
        return card

    asyncio.get_running_loop().call_later(0.05, pcsc.SCardDisconnect, box_reads(), v.LEAVE_CARD)
    assert await link.power_on()  # retried while the box's read finished
    await link.power_off()
    box_reads()
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await code_of(link.power_on()) == "card_connect_failed"
    assert loop.time() - began >= 0.2  # connect_timeout_s
