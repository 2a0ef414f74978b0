"""The PIN guard, pure: which command may spend a try, what the card's answers teach, the press."""

from __future__ import annotations

import pytest

from borne.apdu.pin_guard import ALLOW_S, REQUEST_S, PinGuard, probe_for
from borne.apdu.validate import parse_command
from borne.display.state import ScreenState
from borne.display.views import ErrorView
from borne.events import CardRemoved

H = bytes.fromhex
VERIFY = parse_command(H("002000810431323334"))
ASK = parse_command(H("00200081"))
CHANGE = parse_command(H("002400810831323334" + "35363738"))
UNBLOCK = parse_command(H("002C00810831323334" + "35363738"))
ENVELOPE = parse_command(H("00C20000050020008100"))
READER = parse_command(H("FF00000005002000810000"[:20]))
SELECT = parse_command(H("00A40000023F00"))


def test_the_card_is_asked_first_every_time_with_a_verify_that_spends_nothing():
    guard = PinGuard()
    assert guard.decide("s", "L", VERIFY, 0.0) == "ask"
    assert probe_for(VERIFY) == H("00200081")
    guard.learn("s", ASK, H("63C2"))
    assert guard.decide("s", "L", VERIFY, 0.0, asked=True) == "forward"
    assert guard.tries_left("s") == {"pin:81": 2}
    # Known or not, a PIN command is asked about again (a local P2 may name another PIN now).
    assert guard.decide("s", "L", VERIFY, 0.0) == "ask"
    guard.learn("s", ASK, H("63C1"))
    assert guard.decide("s", "L", VERIFY, 0.0, asked=True) == "refuse"
    # A card that does not answer the question: what the box learnt before decides...
    guard.learn("s", ASK, H("6D00"))
    assert guard.decide("s", "L", VERIFY, 0.0, asked=True) == "refuse"
    # ... and with nothing learnt, the command goes; its answer teaches.
    other = PinGuard()
    other.learn("s", ASK, H("6D00"))
    assert other.decide("s", "L", VERIFY, 0.0, asked=True) == "forward"
    other.learn("s", VERIFY, H("63C1"))
    assert other.decide("s", "L", VERIFY, 0.0, asked=True) == "refuse"
    # Verified (9000 to the question): the counter is full, the command goes.
    other.learn("s", ASK, H("9000"))
    assert other.decide("s", "L", VERIFY, 0.0, asked=True) == "forward"


@pytest.mark.parametrize("command", [VERIFY, CHANGE])
def test_the_last_try_is_refused_until_the_button_then_one_command_goes(command):
    guard = PinGuard()
    guard.learn("s", VERIFY, H("63C1"))
    assert guard.allow("s", 0.0) is False  # a press for nothing allows nothing
    assert guard.decide("s", "L", command, 1.0, asked=True) == "refuse"
    assert guard.waiting("s", 1.0) and not guard.waiting("s", 1.0 + REQUEST_S)
    assert guard.decide("s", "L", ASK, 1.0) == "forward"  # asking spends nothing
    assert guard.decide("s", "L", SELECT, 1.0) == "forward"
    assert guard.allow("s", 2.0) is True
    assert guard.decide("s", "other lease", command, 3.0, asked=True) == "refuse"  # for that lease only
    assert guard.allow("s", 3.0) is True
    assert guard.decide("s", "L", command, 4.0, asked=True) == "refuse"  # the press went to "other lease"
    assert guard.allow("s", 5.0)
    assert guard.decide("s", "L", command, 5.0 + ALLOW_S, asked=True) == "refuse"  # too late
    assert guard.allow("s", 6.0 + ALLOW_S)
    assert guard.decide("s", "L", command, 7.0 + ALLOW_S, asked=True) == "forward"
    assert guard.decide("s", "L", command, 7.0 + ALLOW_S, asked=True) == "refuse"  # one press, one command


def test_what_the_card_says_resets_or_blocks_and_a_new_card_is_asked_again():
    guard = PinGuard()
    guard.learn("s", VERIFY, H("63C1"))
    guard.learn("s", VERIFY, H("9000"))
    assert guard.tries_left("s") == {}  # reset: what the box knew is gone
    guard.learn("s", VERIFY, H("6983"))
    assert guard.tries_left("s") == {"pin:81": 0}
    # Blocked: the card refuses by itself, nothing to keep.
    assert guard.decide("s", "L", VERIFY, 0.0, asked=True) == "forward"
    guard.learn("s", VERIFY, H("63C1"))
    guard.learn("s", UNBLOCK, H("9000"))  # unblocked with the PUK: the PIN's counter is reset
    assert guard.tries_left("s") == {}
    guard.learn("s", VERIFY, H("63C1"))
    guard.card_changed("s")
    assert guard.tries_left("s") == {}
    assert guard.tries_left("other slot") == {}


def test_what_the_box_cannot_see_into_is_refused_while_any_counter_is_at_its_last_try():
    guard = PinGuard()
    for command in (ENVELOPE, READER):
        assert guard.decide("s", "L", command, 0.0) == "forward"
    guard.learn("s", UNBLOCK, H("63C1"))
    assert guard.decide("s", "L", VERIFY, 0.0) == "ask"  # another counter than the PUK's
    for command in (ENVELOPE, READER, UNBLOCK):
        assert guard.decide("s", "L", command, 0.0) == "refuse"
    assert guard.decide("t", "L", ENVELOPE, 0.0) == "forward"  # another slot


def test_the_screen_asks_and_a_press_while_it_shows_allows_the_slot():
    state = ScreenState()
    state.ask_pin("slot-0", 60.0, 0.0)
    assert state.view(1.0) == ErrorView("pin_last_try_protected")
    assert state.next_change(1.0) <= 60.0
    assert state.press(2.0) == "slot-0"
    assert state.view(2.0) != ErrorView("pin_last_try_protected")
    assert state.press(3.0) is None  # nothing asked any more: a plain dismiss
    state.ask_pin("slot-0", 60.0, 0.0)
    assert state.press(61.0) is None  # the request is over
    state.ask_pin("slot-0", 60.0, 0.0)
    state.show_pairing("4821", 30.0, 0.0)  # the pairing code takes the screen
    assert state.press(1.0) is None
    state.pairing = None
    state.apply(CardRemoved(slot="slot-0", detected_ns=0), 2.0)  # the card left: nothing to allow any more
    assert state.press(3.0) is None
