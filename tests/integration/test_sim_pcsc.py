"""The simulator through the real pcscd, seen by a plain pyscard client (low-level API).

These tests pin down the PC/SC behaviour the daemon builds on: what a client
sees when a card arrives, answers, leaves, pulls itself out mid-exchange, and
when pcscd dies under a waiting client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from smartcard import scard

from borne.errors import BorneError
from borne.sim.pcscd import DEFAULT_SIM_READERS, PrivatePcscd, SimReader
from borne.vpcd.responder import CardPulled

pytestmark = pytest.mark.pcscd

ECHO_ATR = bytes.fromhex("3B 88 80 01 42 4F 52 4E 45 53 49 4D 1A")
DEFAULT_NAMES = ["Borne Sim 00 00", "Borne Sim 00 01", "Borne Sim CL 00 00", "Borne Sim CL 00 01"]
PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1


class EchoCard:
    """A card that answers any APDU with its data and 90 00; pulls itself out at APDU ``pull_at``."""

    def __init__(self, atr: str = ECHO_ATR.hex(), pull_at: int = 0) -> None:
        self.atr = bytes.fromhex(atr)
        self.pull_at = pull_at
        self.count = 0

    def power_on(self) -> None:
        pass

    def power_off(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def respond(self, apdu: bytes) -> bytes:
        self.count += 1
        if self.count == self.pull_at:
            raise CardPulled
        return apdu[5:] + b"\x90\x00"


ECHO = f"{__name__}:EchoCard"


@pytest.fixture
def context(sim_pcscd: PrivatePcscd) -> Iterator[Any]:
    """A fresh PC/SC context (a context does not survive a pcscd restart)."""
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
    yield ctx
    scard.SCardReleaseContext(ctx)


def wait_card(ctx: Any, reader: str, present: bool, timeout: float = 5.0) -> bytes:
    """Block in SCardGetStatusChange until ``reader`` holds a card (or not); its ATR."""
    state = scard.SCARD_STATE_UNAWARE
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(0, int((deadline - time.monotonic()) * 1000))
        hresult, states = scard.SCardGetStatusChange(ctx, remaining, [(reader, state)])
        if hresult == scard.SCARD_E_TIMEOUT:
            pytest.fail(f"{reader}: no card {'arrival' if present else 'removal'} within {timeout} s")
        assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
        _, state, atr = states[0]
        state &= ~scard.SCARD_STATE_CHANGED
        if bool(state & scard.SCARD_STATE_PRESENT) == present:
            return bytes(atr)


def connect(ctx: Any, reader: str) -> tuple[Any, int]:
    hresult, card, protocol = scard.SCardConnect(ctx, reader, scard.SCARD_SHARE_SHARED, PROTOCOLS)
    assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
    return card, protocol


def transmit(card: Any, protocol: int, apdu: bytes) -> tuple[int, bytes]:
    hresult, response = scard.SCardTransmit(card, protocol, list(apdu))
    return hresult, bytes(response)


def list_readers(ctx: Any) -> list[str]:
    hresult, readers = scard.SCardListReaders(ctx, [])
    assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
    return list(readers)


def test_the_four_sim_readers_are_listed(sim_pcscd: PrivatePcscd, context: Any) -> None:
    assert [slot.reader for slot in sim_pcscd.slots] == DEFAULT_NAMES
    assert set(DEFAULT_NAMES) <= set(list_readers(context))
    assert [sim_pcscd.slot_kind(i) for i in range(4)] == ["contact", "contact", "contactless", "contact"]


@pytest.mark.parametrize("slot", [0, 1, 2, 3])
def test_card_arrives_answers_and_leaves(card_slots: Any, context: Any, slot: int) -> None:
    reader = DEFAULT_NAMES[slot]
    card_slots.insert_factory(slot, ECHO)
    assert card_slots.inserted == {slot: ECHO}
    assert wait_card(context, reader, present=True) == ECHO_ATR
    for other in set(DEFAULT_NAMES) - {reader}:  # each slot is its own (see the vpcd driver copy)
        assert not wait_card(context, other, present=False, timeout=0.1)

    card, protocol = connect(context, reader)
    apdu = bytes.fromhex("00 B0 00 00 03 01 02 03")
    assert transmit(card, protocol, apdu) == (scard.SCARD_S_SUCCESS, bytes.fromhex("01 02 03 90 00"))
    scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    card_slots.remove(slot)
    wait_card(context, reader, present=False)
    assert card_slots.inserted == {}


def test_card_pulled_mid_exchange(card_slots: Any, context: Any) -> None:
    card_slots.insert_factory(0, ECHO, pull_at=3)
    wait_card(context, DEFAULT_NAMES[0], present=True)
    card, protocol = connect(context, DEFAULT_NAMES[0])
    assert transmit(card, protocol, bytes.fromhex("00 B0 00 00 00"))[0] == scard.SCARD_S_SUCCESS
    assert transmit(card, protocol, bytes.fromhex("00 B0 00 00 00"))[0] == scard.SCARD_S_SUCCESS

    pulled = transmit(card, protocol, bytes.fromhex("00 B0 00 00 00"))

    # vpcd's quirk (no real reader does this): the APDU the card left during
    # "succeeds" with an empty response, no SW. Readers of the daemon must treat
    # a response under 2 bytes as a failed exchange.
    assert pulled == (scard.SCARD_S_SUCCESS, b"")
    # Until pcscd's next presence poll, transmits fail; after it, the card is "removed".
    assert transmit(card, protocol, bytes.fromhex("00 B0 00 00 00"))[0] in (
        scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_W_REMOVED_CARD)
    wait_card(context, DEFAULT_NAMES[0], present=False)
    assert transmit(card, protocol, bytes.fromhex("00 B0 00 00 00"))[0] == scard.SCARD_W_REMOVED_CARD
    assert card_slots.inserted == {}
    scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


def test_slot_errors(card_slots: Any) -> None:
    card_slots.insert_factory(1, ECHO)
    with pytest.raises(BorneError) as busy:
        card_slots.insert_factory(1, ECHO)
    assert busy.value.code == "sim_bad_slot"
    with pytest.raises(BorneError) as missing:
        card_slots.insert_factory(9, ECHO)
    assert missing.value.code == "sim_bad_slot"
    with pytest.raises(BorneError) as broken:
        card_slots.insert_factory(0, ECHO, no_such_option=1)
    assert broken.value.code == "sim_unknown_card"
    assert "no_such_option" in str(broken.value)
    assert card_slots.inserted == {1: ECHO}


def test_a_second_pcscd_is_refused(sim_pcscd: PrivatePcscd, tmp_path: Any) -> None:
    with pytest.raises(BorneError) as refused:
        PrivatePcscd(tmp_path, [SimReader("Other", 0x9D01)]).start()
    assert refused.value.code == "sim_pcscd_running"


def test_waiting_client_gets_comm_error_when_pcscd_dies(sim_pcscd: PrivatePcscd, card_slots: Any) -> None:
    """What the daemon's reconnect logic relies on (measured: the wait returns within ~1 ms)."""
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS
    outcome: list[int] = []

    def wait_for_changes() -> None:
        # Follow changes (a card removed by the previous test may still show up),
        # as the daemon does, until the wait fails.
        states = [(name, scard.SCARD_STATE_UNAWARE) for name in DEFAULT_NAMES]
        while True:
            hresult, found = scard.SCardGetStatusChange(ctx, scard.INFINITE, states)
            if hresult != scard.SCARD_S_SUCCESS:
                outcome.append(hresult)
                return
            states = [(name, state & ~scard.SCARD_STATE_CHANGED) for name, state, _ in found]

    waiter = threading.Thread(target=wait_for_changes)
    waiter.start()
    time.sleep(0.3)  # let the client block in pcscd
    try:
        sim_pcscd.kill()
        waiter.join(10)
        assert outcome == [scard.SCARD_F_COMM_ERROR]
        # The context is dead for good (though SCardIsValidContext still says it is fine):
        assert scard.SCardListReaders(ctx, [])[0] == scard.SCARD_E_NO_SERVICE
        assert scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)[0] == scard.SCARD_E_NO_SERVICE
    finally:
        sim_pcscd.start()
    assert scard.SCardListReaders(ctx, [])[0] == scard.SCARD_E_NO_SERVICE  # even after the restart
    scard.SCardReleaseContext(ctx)


@pytest.mark.parametrize("crash", [True, False], ids=["killed", "stopped"])
def test_card_stays_inserted_across_a_pcscd_restart(
    sim_pcscd: PrivatePcscd, card_slots: Any, crash: bool
) -> None:
    card_slots.insert_factory(2, ECHO)
    if crash:
        sim_pcscd.kill()
        sim_pcscd.start()
    else:
        sim_pcscd.restart()
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS
    try:
        assert set(DEFAULT_NAMES) <= set(list_readers(ctx))
        assert wait_card(ctx, DEFAULT_NAMES[2], present=True) == ECHO_ATR
        card, protocol = connect(ctx, DEFAULT_NAMES[2])
        assert transmit(card, protocol, bytes.fromhex("00 B0 00 00 01 AA")) == (0, bytes.fromhex("AA 90 00"))
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
    finally:
        scard.SCardReleaseContext(ctx)


def test_readers_come_and_go_with_a_restart(sim_pcscd: PrivatePcscd, card_slots: Any) -> None:
    extra = SimReader("Borne Sim Extra", 0x9C81)
    try:
        sim_pcscd.restart([*DEFAULT_SIM_READERS, extra])
        assert [slot.index for slot in sim_pcscd.slots] == [0, 1, 2, 3, 4, 5]
        card_slots.insert_factory(5, ECHO)
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hresult == scard.SCARD_S_SUCCESS
        assert {"Borne Sim Extra 00 00", "Borne Sim Extra 00 01"} <= set(list_readers(ctx))
        assert wait_card(ctx, "Borne Sim Extra 00 01", present=True) == ECHO_ATR
        scard.SCardReleaseContext(ctx)
    finally:
        card_slots.remove_all()
        sim_pcscd.restart(DEFAULT_SIM_READERS)
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert not any(name.startswith("Borne Sim Extra") for name in list_readers(ctx))
    scard.SCardReleaseContext(ctx)


def _outcome(script_run: Any) -> Any:
    """A read's result, or its error's class and code: both sides must fail alike too."""
    try:
        return script_run()
    except BorneError as error:
        return type(error).__name__, error.code


def _card_names() -> tuple[str, ...]:
    from borne.sim.cards import CARD_NAMES

    return CARD_NAMES


@pytest.mark.parametrize("name", _card_names())
def test_sim_card_reads_the_same_through_pcscd_as_in_memory(card_slots: Any, context: Any, name: str) -> None:
    from borne.readers.cards import read_card
    from borne.readers.cards.script import drive
    from borne.sim.cards import load_card

    chip = load_card(name)
    chip.power_on()
    in_memory = _outcome(lambda: drive(read_card(chip.atr), chip.respond))

    card_slots.insert(0, name)
    atr = wait_card(context, DEFAULT_NAMES[0], present=True)
    assert atr == chip.atr
    card, protocol = connect(context, DEFAULT_NAMES[0])

    def through_pcscd(apdu: bytes) -> bytes:
        hresult, response = transmit(card, protocol, apdu)
        assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
        return response

    try:
        assert _outcome(lambda: drive(read_card(atr), through_pcscd)) == in_memory
    finally:
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


def test_the_vpcd_ports_are_kept_out_of_the_ephemeral_range() -> None:
    """A client socket given a vpcd port as its local port made pcscd's vpcd fail to bind."""
    from borne.sim.namespace import VPCD_PORT_RANGES

    reserved = open("/proc/sys/net/ipv4/ip_local_reserved_ports").read().strip()
    assert reserved == VPCD_PORT_RANGES
    for port in (0x9C7B, 0x9C7D, 0x9C81, 0xA17B, 0xA17C, 0x8C7B, 0xA47B - 4, 0xA47B + 15):
        assert any(int(low) <= port <= int(high) for low, high in
                   (part.split("-") for part in reserved.split(",")))
