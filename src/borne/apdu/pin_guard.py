"""The last try of a card's PIN belongs to the person at the box, never to a remote client. Pure.

A CPS blocks after three wrong PINs. The box sees every answer that crosses the APDU channel,
and a card says how many tries are left (ISO/IEC 7816-4:2005 §7.5.6 VERIFY, §11.5.6 in the
2013 and 2020 editions; status words in §5.1.3 table 6, §5.6 since 2013):

==========  ===========================================================
``63CX``    the verification failed (or, for a VERIFY without data, was
            not done yet): X further tries are allowed
``6983``    authentication method blocked: no try left
``9000``    verified: the card's counter is back to its maximum
==========  ===========================================================

:class:`PinGuard` keeps, per slot, the tries the box last saw for each counter, and decides
for each command that can spend one:

- a command that checks a PIN: ``ask`` the card first, every time, with VERIFY without data
  (``CLA 20 00 P2``, Lc absent), which answers ``63CX`` and spends nothing. Every time, not
  only when the box does not know: a local P2 names another PIN once another DF is selected,
  and a card may be worn by tries made before the box saw it. A card that does not answer so
  (``9000``: verified, so its counter is full; an error) leaves what the box learnt before;
  if it learnt nothing, the command goes (and its answer teaches);
- one try left: ``refuse`` (``pin_last_try_protected``) until the person at the box presses
  the button while the screen says why (:meth:`PinGuard.allow`): then one command of that
  lease goes to the card;
- otherwise ``forward``.

Which counter a command spends, by INS (the CLA aside, except ``FF``):

=================================  ===========================================
VERIFY ``20``/``21``, CHANGE        the PIN named by P2 (CHANGE REFERENCE DATA
REFERENCE DATA ``24``, with data    checks the old PIN first, ISO 7816-4 §7.5.7)
RESET RETRY COUNTER ``2C``, data    the unblocking code of the PIN named by P2
ENVELOPE ``C2``/``C3``, CLA ``FF``  unknown (the box cannot see inside):
                                    refused while any counter of the slot is
                                    at its last try
=================================  ===========================================

What the box knows is forgotten when the card leaves the slot (a new card is asked again)
and, for a counter, when the card answers ``9000`` to a command that checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .validate import Command

__all__ = ["ALLOW_S", "REQUEST_S", "Decision", "PinGuard", "probe_for"]

#: How long the screen asks the person at the box (seconds), and how long a press allows
#: the one command it allows.
REQUEST_S = 60.0
ALLOW_S = 60.0

Decision = Literal["forward", "ask", "refuse"]
_Counter = tuple[str, int]
_OPAQUE: _Counter = ("opaque", 0)
_CHECKS_PIN = frozenset({0x20, 0x21, 0x24})
_ENVELOPE = frozenset({0xC2, 0xC3})


def _counter(command: Command) -> _Counter | None:
    """The counter ``command`` may spend (or asks about), None if it spends none."""
    if command.cla == 0xFF or command.ins in _ENVELOPE:
        return _OPAQUE
    if command.ins in _CHECKS_PIN:
        return ("pin", command.p2)
    if command.ins == 0x2C and command.lc > 0:
        return ("puk", command.p2)
    return None


def _spends(command: Command) -> bool:
    """Whether a wrong ``command`` costs a try (VERIFY without data only asks)."""
    return command.cla == 0xFF or command.ins in _ENVELOPE or command.lc > 0


def probe_for(command: Command) -> bytes:
    """VERIFY without data for the PIN ``command`` checks: the tries left, none spent."""
    return bytes([command.cla, 0x20, 0x00, command.p2])


@dataclass
class _Slot:
    tries: dict[_Counter, int] = field(default_factory=dict)
    #: The lease whose refused command is waiting for the person, and until when.
    asking: tuple[str, float] | None = None
    #: The lease the person allowed one command to, and until when.
    allowed: tuple[str, float] | None = None


class PinGuard:
    """What the box knows of each slot's PIN counters; what a lease may send."""

    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}

    def decide(self, slot: str, lease_id: str, command: Command, now: float, *,
               asked: bool = False) -> Decision:
        """``forward``, ``ask`` the card first (unless ``asked`` already), or ``refuse``
        ``command`` (see the module)."""
        counter = _counter(command)
        if counter is None or not _spends(command):
            return "forward"
        state = self._slots.setdefault(slot, _Slot())
        if counter == _OPAQUE:
            last = any(left == 1 for left in state.tries.values())
        elif counter[0] == "pin" and not asked:
            return "ask"
        else:
            last = state.tries.get(counter) == 1
        if not last:
            return "forward"
        allowed = state.allowed
        if allowed is not None and allowed[0] == lease_id and now < allowed[1]:
            state.allowed = None  # one press, one command
            return "forward"
        state.asking = (lease_id, now + REQUEST_S)
        return "refuse"

    def learn(self, slot: str, command: Command, sw: bytes) -> None:
        """Take in the card's status word ``sw`` to ``command``."""
        counter = _counter(command)
        if counter is None or len(sw) != 2:
            return
        tries = self._slots.setdefault(slot, _Slot()).tries
        if sw[0] == 0x63 and sw[1] & 0xF0 == 0xC0:
            tries[counter] = sw[1] & 0x0F
        elif sw == b"\x69\x83":
            tries[counter] = 0
        elif sw == b"\x90\x00" and counter != _OPAQUE:
            tries.pop(counter, None)
            if counter[0] == "puk":  # the PIN was unblocked, its counter reset
                tries.pop(("pin", counter[1]), None)

    def waiting(self, slot: str, now: float) -> bool:
        """Whether a refused command of ``slot`` waits for the person at the box."""
        state = self._slots.get(slot)
        return state is not None and state.asking is not None and now < state.asking[1]

    def allow(self, slot: str, now: float) -> bool:
        """The person at the box pressed the button: the waiting lease may send one command.

        False if nothing was waiting (a press for nothing allows nothing).
        """
        state = self._slots.get(slot)
        if state is None or state.asking is None or now >= state.asking[1]:
            return False
        state.allowed, state.asking = (state.asking[0], now + ALLOW_S), None
        return True

    def tries_left(self, slot: str) -> dict[str, int]:
        """What the box knows of ``slot``'s counters (``pin:81`` -> 2), for tests and benches."""
        state = self._slots.get(slot)
        return {f"{kind}:{p2:02X}": left for (kind, p2), left in
                (state.tries.items() if state else ())}

    def card_changed(self, slot: str) -> None:
        """The card left or came: what the box knew of the old one is forgotten."""
        self._slots.pop(slot, None)
