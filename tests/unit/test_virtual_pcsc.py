"""The in-memory pcscd behaves as pcsc-lite 1.9.9 does where the box's code depends on it.

Each behaviour here is one the pcscd tests (tests/integration/test_sim_pcsc.py) observe on the
real stack, or one read from pcsc-lite's source that the backend's watcher relies on.
"""

from __future__ import annotations

import threading
import time

import pytest

from borne.readers.cards import read_card
from borne.readers.cards.script import drive
from borne.readers.pcsc import vocabulary as v
from borne.sim.cards import CARD_NAMES, load_card
from borne.sim.virtual_pcsc import VirtualPcsc
from borne.vpcd.responder import CardPulled

READER = "Borne Sim 00 00"
OTHER = "Borne Sim 00 01"
PNP = v.PNP_READER
ATR = bytes.fromhex("3B0200")  # T=0: no interface bytes


class Echo:
    """A card answering its command's data + 9000; it leaves at its ``pull_at``-th APDU."""

    atr = ATR

    def __init__(self, pull_at: int | None = None) -> None:
        self.pull_at, self.count = pull_at, 0

    def power_on(self) -> None:
        self.count = 0

    def power_off(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def respond(self, apdu: bytes) -> bytes:
        self.count += 1
        if self.pull_at is not None and self.count >= self.pull_at:
            raise CardPulled()
        return apdu[5:] + b"\x90\x00"


@pytest.fixture
def pcsc() -> VirtualPcsc:
    machine = VirtualPcsc()
    machine.plug(READER)
    machine.plug(OTHER)
    return machine


def context_of(pcsc: VirtualPcsc) -> int:
    rv, context = pcsc.SCardEstablishContext(pcsc.SCARD_SCOPE_USER)
    assert rv == v.S_SUCCESS
    return context


def connect(pcsc: VirtualPcsc, context: int, share: int = v.SHARE_SHARED) -> tuple[int, int]:
    rv, card, protocol = pcsc.SCardConnect(context, READER, share, v.PROTOCOL_T0 | v.PROTOCOL_T1)
    assert rv == v.S_SUCCESS, pcsc.SCardGetErrorMessage(rv)
    return card, protocol


def when_waiting(pcsc: VirtualPcsc, action, *args) -> None:
    """From another thread: ``action(*args)`` once a client waits in SCardGetStatusChange."""
    def run() -> None:
        deadline = time.monotonic() + 3
        while not pcsc.waiters and time.monotonic() < deadline:
            time.sleep(0.001)
        action(*args)

    threading.Thread(target=run, daemon=True).start()


def test_names_and_numbers_are_pyscards():
    try:
        from smartcard import scard
    except Exception as error:  # noqa: BLE001 - no pyscard or libpcsclite here: nothing to compare
        pytest.skip(f"pyscard does not load here: {error}")
    names = [n for n in dir(VirtualPcsc) if n.startswith("SCARD_") or n == "INFINITE"]
    assert len(names) > 40
    assert {n: getattr(VirtualPcsc, n) for n in names} == {n: getattr(scard, n) for n in names}
    box_numbers = {n: getattr(v, n) for n in dir(v) if n.isupper() and isinstance(getattr(v, n), int)}
    assert box_numbers == {n: getattr(scard, "SCARD_" + n if n != "INFINITE" else n)
                           for n in box_numbers}
    for code in (v.E_NO_SERVICE, v.W_REMOVED_CARD, v.F_COMM_ERROR, v.E_TIMEOUT):
        assert VirtualPcsc().SCardGetErrorMessage(code) == scard.SCardGetErrorMessage(code)


def test_a_waiter_learns_of_a_card_and_its_count(pcsc):
    context = context_of(pcsc)
    rv, [(name, state, atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    assert (rv, name, atr) == (v.S_SUCCESS, READER, [])
    assert state == v.STATE_CHANGED | v.STATE_EMPTY  # unaware: answered at once, count 0
    known = state & ~v.STATE_CHANGED
    assert pcsc.SCardGetStatusChange(context, 0, [(READER, known)]) == [
        v.E_TIMEOUT, [(READER, known, [])]]

    when_waiting(pcsc, pcsc.insert, READER, Echo())
    rv, [(_name, state, atr)] = pcsc.SCardGetStatusChange(context, 2000, [(READER, known)])
    assert rv == v.S_SUCCESS and bytes(atr) == ATR
    assert state == (1 << 16) | v.STATE_CHANGED | v.STATE_PRESENT
    pcsc.remove(READER)
    rv, [(_name, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, state)])
    assert state == (2 << 16) | v.STATE_CHANGED | v.STATE_EMPTY


def test_a_swap_shows_only_in_the_count_and_only_a_counted_state_sees_it(pcsc):
    context = context_of(pcsc)
    pcsc.insert(READER, Echo())
    _rv, [(_n, present, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    present &= ~v.STATE_CHANGED
    pcsc.swap(READER, Echo())
    rv, [(_n, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, present)])
    assert rv == v.S_SUCCESS and state == (3 << 16) | v.STATE_CHANGED | v.STATE_PRESENT
    # pcsc-lite compares counts only when the application's has one: a card present since
    # pcscd's start (count 0) swapped unseen is invisible to a state that says "present".
    pcsc.stop()
    pcsc.start()
    context = context_of(pcsc)
    pcsc.swap(READER, Echo())
    assert pcsc.SCardGetStatusChange(context, 0, [(READER, v.STATE_PRESENT)])[0] == v.E_TIMEOUT


def test_a_waiting_client_gets_a_comm_error_when_pcscd_dies_and_its_context_stays_dead(pcsc):
    context = context_of(pcsc)
    when_waiting(pcsc, pcsc.stop)
    rv, _states = pcsc.SCardGetStatusChange(context, v.INFINITE, [(READER, v.STATE_EMPTY)])
    assert rv == v.F_COMM_ERROR
    assert pcsc.SCardListReaders(context, [])[0] == v.E_NO_SERVICE
    assert pcsc.SCardEstablishContext(v.SCOPE_USER)[0] == v.E_NO_SERVICE
    pcsc.start()
    assert pcsc.SCardListReaders(context, [])[0] == v.E_NO_SERVICE  # even after the restart
    assert pcsc.SCardListReaders(context_of(pcsc), []) == [v.S_SUCCESS, [READER, OTHER]]


@pytest.mark.parametrize(("answer", "expected"), [("empty", [v.S_SUCCESS, []]),
                                                  ("not_transacted", [v.E_NOT_TRANSACTED, []])])
def test_a_card_pulled_mid_exchange(answer, expected):
    pcsc = VirtualPcsc(pulled_answer=answer)
    pcsc.plug(READER, Echo(pull_at=2))
    context = context_of(pcsc)
    card, protocol = connect(pcsc, context)
    assert pcsc.SCardTransmit(card, protocol, list(bytes.fromhex("00B0000001AA"))) == [
        v.S_SUCCESS, [0xAA, 0x90, 0x00]]
    assert pcsc.SCardTransmit(card, protocol, [0, 0xB0, 0, 0, 0]) == expected
    assert pcsc.SCardTransmit(card, protocol, [0, 0xB0, 0, 0, 0])[0] == v.W_REMOVED_CARD
    _rv, [(_n, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, v.STATE_PRESENT)])
    assert state & v.STATE_EMPTY
    assert pcsc.SCardDisconnect(card, v.LEAVE_CARD) == v.S_SUCCESS


def test_a_card_stays_in_its_reader_across_a_restart_with_its_count_back_at_zero(pcsc):
    pcsc.insert(READER, Echo())
    pcsc.stop()
    pcsc.start()
    context = context_of(pcsc)
    _rv, [(_n, state, atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    assert state == v.STATE_CHANGED | v.STATE_PRESENT and bytes(atr) == ATR
    card, protocol = connect(pcsc, context)
    assert protocol == v.PROTOCOL_T0
    assert pcsc.SCardStatus(card) == [v.S_SUCCESS, READER, 0x34, v.PROTOCOL_T0, list(ATR)]


def test_readers_coming_and_going(pcsc):
    context = context_of(pcsc)
    assert pcsc.SCardGetStatusChange(context, 0, [("Nope", 0)])[0] == v.E_UNKNOWN_READER
    # PnP: no change by itself, a change when the number of readers moves during the call
    assert pcsc.SCardGetStatusChange(context, 0, [(PNP, 0)]) == [v.E_TIMEOUT, [(PNP, 0, [])]]
    when_waiting(pcsc, pcsc.plug, "Extra 00 00")
    assert pcsc.SCardGetStatusChange(context, 2000, [(PNP, 0)]) == [
        v.S_SUCCESS, [(PNP, v.STATE_CHANGED, [])]]
    when_waiting(pcsc, pcsc.unplug, OTHER)
    rv, states = pcsc.SCardGetStatusChange(context, 2000, [(OTHER, v.STATE_EMPTY), (PNP, 0)])
    assert rv == v.S_SUCCESS
    assert states == [(OTHER, v.STATE_UNKNOWN | v.STATE_UNAVAILABLE | v.STATE_CHANGED, []),
                      (PNP, v.STATE_CHANGED, [])]


def test_a_handle_on_an_unplugged_reader(pcsc):
    pcsc.insert(READER, Echo())
    context = context_of(pcsc)
    card, protocol = connect(pcsc, context)
    pcsc.unplug(READER)
    assert pcsc.SCardTransmit(card, protocol, [0, 0xB0, 0, 0, 0])[0] == v.E_INVALID_VALUE
    assert pcsc.SCardStatus(card)[0] == v.E_READER_UNAVAILABLE
    assert pcsc.SCardDisconnect(card, v.LEAVE_CARD) == v.S_SUCCESS


def test_sharing_and_transactions(pcsc):
    pcsc.insert(READER, Echo())
    context = context_of(pcsc)
    shared, protocol = connect(pcsc, context)
    assert pcsc.SCardConnect(context, READER, v.SHARE_EXCLUSIVE, v.PROTOCOL_T0)[0] == \
        v.E_SHARING_VIOLATION
    _rv, [(_n, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    assert state & v.STATE_INUSE
    other, _protocol = connect(pcsc, context)  # before the transaction: connecting waits for it
    assert pcsc.SCardBeginTransaction(shared) == v.S_SUCCESS
    answered: list[float] = []
    thread = threading.Thread(target=lambda: answered.append(
        pcsc.SCardTransmit(other, protocol, [0, 0xB0, 0, 0, 0])[0] or time.monotonic()))
    thread.start()
    time.sleep(0.05)
    ended = time.monotonic()
    assert not answered  # waits for the transaction to end, as pcsc-lite's clients do
    assert pcsc.SCardEndTransaction(shared, v.LEAVE_CARD) == v.S_SUCCESS
    thread.join(2)
    assert answered and answered[0] >= ended
    assert pcsc.SCardEndTransaction(shared, v.LEAVE_CARD) == v.E_NOT_TRANSACTED
    pcsc.SCardDisconnect(other, v.LEAVE_CARD)
    assert pcsc.SCardReconnect(shared, v.SHARE_EXCLUSIVE, v.PROTOCOL_T0, v.RESET_CARD) == [
        v.S_SUCCESS, v.PROTOCOL_T0]
    _rv, [(_n, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    assert state & v.STATE_EXCLUSIVE and not state & v.STATE_INUSE


def test_a_reset_by_another_handle_is_told_once(pcsc):
    pcsc.insert(READER, Echo())
    context = context_of(pcsc)
    first, protocol = connect(pcsc, context)
    second, _protocol = connect(pcsc, context)
    assert pcsc.SCardDisconnect(second, v.RESET_CARD) == v.S_SUCCESS
    assert pcsc.SCardTransmit(first, protocol, [0, 0xB0, 0, 0, 0])[0] == v.W_RESET_CARD
    assert pcsc.SCardReconnect(first, v.SHARE_SHARED, v.PROTOCOL_T0, v.LEAVE_CARD)[0] == \
        v.S_SUCCESS
    assert pcsc.SCardTransmit(first, protocol, [0, 0xB0, 0, 0, 0])[0] == v.S_SUCCESS


def test_connect_errors(pcsc):
    context = context_of(pcsc)
    assert pcsc.SCardConnect(context, READER, v.SHARE_SHARED, v.PROTOCOL_T0)[0] == v.E_NO_SMARTCARD
    assert pcsc.SCardConnect(context, "Nope", v.SHARE_SHARED, v.PROTOCOL_T0)[0] == \
        v.E_UNKNOWN_READER
    pcsc.insert(READER, Echo(), mute=True)
    _rv, [(_n, state, atr)] = pcsc.SCardGetStatusChange(context, 0, [(READER, 0)])
    assert state & v.STATE_MUTE and atr == []
    assert pcsc.SCardConnect(context, READER, v.SHARE_SHARED, v.PROTOCOL_T0)[0] == \
        v.W_UNPOWERED_CARD
    pcsc.break_reader(OTHER)
    assert pcsc.SCardConnect(context, OTHER, v.SHARE_SHARED, v.PROTOCOL_T0)[0] == \
        v.E_READER_UNAVAILABLE
    _rv, [(_n, state, _atr)] = pcsc.SCardGetStatusChange(context, 0, [(OTHER, v.STATE_EMPTY)])
    assert state == v.STATE_UNAVAILABLE | v.STATE_CHANGED


def test_cancel_wakes_a_wait_and_is_lost_when_nobody_waits(pcsc):
    context = context_of(pcsc)
    assert pcsc.SCardCancel(context) == v.S_SUCCESS  # nobody waits: nothing to cancel
    assert pcsc.SCardGetStatusChange(context, 0, [(READER, v.STATE_EMPTY)])[0] == v.E_TIMEOUT
    when_waiting(pcsc, pcsc.SCardCancel, context)
    rv, _states = pcsc.SCardGetStatusChange(context, v.INFINITE, [(READER, v.STATE_EMPTY)])
    assert rv == v.E_CANCELLED


@pytest.mark.parametrize("name", CARD_NAMES)
def test_every_test_card_reads_through_it_as_in_memory(pcsc, name):
    """As test_sim_pcsc.py's comparison through pcscd: the fake adds nothing to the cards."""
    pcsc.insert(READER, load_card(name))
    context = context_of(pcsc)
    card, protocol = connect(pcsc, context)

    def transmit(apdu: bytes) -> bytes:
        rv, response = pcsc.SCardTransmit(card, protocol, list(apdu))
        assert rv == v.S_SUCCESS
        return bytes(response)

    def outcome(run):
        try:
            return run()
        except Exception as error:  # noqa: BLE001 - both sides must fail alike too
            return type(error).__name__, getattr(error, "code", None)

    chip = load_card(name)
    through = outcome(lambda: drive(read_card(bytes(load_card(name).atr)), transmit))
    in_memory = outcome(lambda: drive(read_card(bytes(chip.atr)), chip.respond))
    assert through == in_memory
