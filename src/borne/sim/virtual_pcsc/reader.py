"""One reader of the in-memory pcscd (:mod:`borne.sim.virtual_pcsc`), and what a waiter sees.

:class:`VirtualReader` is pcscd's view of a slot: the card in it, its power and
protocol, the insertion/removal count, who shares it, who holds a transaction.
:func:`watch_pass` is one pass of pcsc-lite 1.9.9's ``SCardGetStatusChange``
loop over the reader states an application gave (``winscard_clnt.c``): the event
state of each, and whether any differs from what the application believes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from borne.readers.pcsc import vocabulary as v
from borne.vpcd.responder import CardResponder

__all__ = ["EXCLUSIVE", "REMOVED", "RESET", "VirtualReader", "status_word", "watch_pass"]

#: ``VirtualReader.contexts`` while one handle has the card exclusively (pcsc-lite's -1).
EXCLUSIVE = -1
#: A handle's pending event (pcscd.h): the card was reset by another handle, or removed.
RESET, REMOVED = 0x1, 0x4
# pcsc-lite's card states (pcsclite.h), reported by SCardStatus.
_UNKNOWN, _ABSENT, _PRESENT, _SWALLOWED, _POWERED, _NEGOTIABLE = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20


@dataclass
class VirtualReader:
    """A reader slot as pcscd knows it."""

    name: str
    card: CardResponder | None = None
    #: The card gave no ATR (pcscd: "swallowed"; applications see ``STATE_MUTE``).
    mute: bool = False
    powered: bool = False
    protocol: int = v.PROTOCOL_UNDEFINED
    #: Card insertions and removals since pcscd started, modulo 2**16.
    counter: int = 0
    #: Shared handles on the card, or :data:`EXCLUSIVE`.
    contexts: int = 0
    #: The handle holding a transaction (an exclusive handle always does), 0 for none.
    lock: int = 0
    lock_count: int = 0
    #: The driver fails (pcscd: ``SCARD_UNKNOWN``; applications see ``STATE_UNAVAILABLE``).
    broken: bool = False
    io: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def atr(self) -> bytes:
        """The card's ATR, empty without a card or from a mute one."""
        return bytes(self.card.atr) if self.card is not None and not self.mute else b""

    def put(self, card: CardResponder, *, mute: bool, running: bool) -> None:
        """A card arrives; a running pcscd counts it and powers it up."""
        if self.card is not None:
            raise ValueError(f"a card is already in {self.name!r}")
        self.card, self.mute, self.protocol = card, mute, v.PROTOCOL_UNDEFINED
        self.powered = False
        if running:
            self.counter = (self.counter + 1) & 0xFFFF
            self._power_up()

    def take_out(self, *, running: bool) -> CardResponder:
        """The card leaves: its transaction lock goes with it (the caller flags the handles)."""
        card, self.card = self.card, None
        assert card is not None
        card.power_off()
        self.mute = self.powered = False
        self.protocol = v.PROTOCOL_UNDEFINED
        self.lock = self.lock_count = 0
        if running:
            self.counter = (self.counter + 1) & 0xFFFF
        return card

    def forget_clients(self) -> None:
        """pcscd stopped: no handle, no transaction."""
        self.contexts = self.lock = self.lock_count = 0

    def restart(self) -> None:
        """pcscd started: counts at 0, the card in the slot powered up afresh."""
        self.forget_clients()
        self.counter = 0
        self.powered, self.protocol = False, v.PROTOCOL_UNDEFINED
        self._power_up()

    def reset(self, *, unpower: bool, power_up: bool = True) -> None:
        """A warm reset, or a power cycle (``power_up=False``: left unpowered)."""
        self.protocol = v.PROTOCOL_UNDEFINED
        if self.card is None or self.mute:
            return
        if unpower:
            self.card.power_off()
            self.powered = False
            if power_up:
                self._power_up()
        else:
            self.card.reset()
            self.powered = True

    def power_and_negotiate(self, preferred: int, *, connected: bool = False) -> tuple[int, int]:
        """``(rv, protocol)`` for a (re)connection: power the card if needed, pick the protocol.

        pcsc-lite takes the ATR's first offered protocol if preferred, else another
        offered one that is; ``E_PROTO_MISMATCH`` when none is.
        """
        if not preferred & (v.PROTOCOL_T0 | v.PROTOCOL_T1):
            return v.E_PROTO_MISMATCH, 0
        if self.card is None:
            return v.E_NO_SMARTCARD, 0
        if self.mute:
            return (v.W_UNRESPONSIVE_CARD if connected else v.W_UNPOWERED_CARD), 0
        if not self.powered:
            self._power_up()
        if self.protocol == v.PROTOCOL_UNDEFINED:
            choices = [p for p in _offered_protocols(self.atr) if p & preferred]
            if not choices:
                return v.E_PROTO_MISMATCH, 0
            self.protocol = choices[0]
        elif not self.protocol & preferred:
            return v.E_PROTO_MISMATCH, 0
        return v.S_SUCCESS, self.protocol

    def _power_up(self) -> None:
        if self.card is not None and not self.mute:
            self.card.power_on()
            self.powered = True


def _offered_protocols(atr: bytes) -> list[int]:
    """The protocols an ATR offers, in order (ISO/IEC 7816-3 TDi bytes); none said: T=0."""
    offered: list[int] = []
    index, indicator = 2, (atr[1] >> 4 if len(atr) > 1 else 0)
    while indicator & 0x8:
        index += bin(indicator & 0x7).count("1")  # TAi, TBi, TCi present
        if index >= len(atr):
            break
        td = atr[index]
        index += 1
        if td & 0xF in (0, 1):
            offered.append(v.PROTOCOL_T0 if td & 0xF == 0 else v.PROTOCOL_T1)
        indicator = td >> 4
    return offered or [v.PROTOCOL_T0]


def status_word(reader: VirtualReader) -> int:
    """pcsc-lite's card state for ``SCardStatus`` (without the count)."""
    if reader.broken:
        return _UNKNOWN
    if reader.card is None:
        return _ABSENT
    if reader.mute:
        return _PRESENT | _SWALLOWED
    return _PRESENT | _POWERED | _NEGOTIABLE if reader.powered else _PRESENT


def _event_state(reader: VirtualReader, current: int) -> int:
    """What pcsc-lite reports for ``reader`` to an application that believes ``current``."""
    event = v.STATE_CHANGED if current & v.STATE_UNKNOWN else 0  # the reader came back
    if current & 0xFFFF0000 and current >> 16 != reader.counter:
        event |= v.STATE_CHANGED  # cards came and went since
    event = (event & 0xFFFF) | reader.counter << 16
    if reader.broken:
        event = v.STATE_UNAVAILABLE | (0 if current & v.STATE_UNAVAILABLE else v.STATE_CHANGED)
    elif current & v.STATE_UNAVAILABLE:
        event = (event & ~v.STATE_UNAVAILABLE) | v.STATE_CHANGED
    present = reader.card is not None and not reader.broken
    if reader.card is None and not reader.broken:
        event |= v.STATE_EMPTY
        event &= ~(v.STATE_PRESENT | v.STATE_IGNORE | v.STATE_UNKNOWN | v.STATE_UNAVAILABLE
                   | v.STATE_ATRMATCH | v.STATE_MUTE | v.STATE_INUSE)
        if current & v.STATE_PRESENT:
            event |= v.STATE_CHANGED
    elif present:
        event |= v.STATE_PRESENT
        event &= ~(v.STATE_EMPTY | v.STATE_IGNORE | v.STATE_UNKNOWN | v.STATE_UNAVAILABLE
                   | v.STATE_MUTE)
        if current & v.STATE_EMPTY:
            event |= v.STATE_CHANGED
        if reader.mute:
            event |= v.STATE_MUTE
        if bool(reader.mute) != bool(current & v.STATE_MUTE):
            event |= v.STATE_CHANGED
    if reader.contexts == EXCLUSIVE:
        event = (event | v.STATE_EXCLUSIVE) & ~v.STATE_INUSE
        if current & v.STATE_INUSE:
            event |= v.STATE_CHANGED
    elif reader.contexts > 0:
        if present:
            event = (event | v.STATE_INUSE) & ~v.STATE_EXCLUSIVE
            if current & v.STATE_EXCLUSIVE:
                event |= v.STATE_CHANGED
    else:
        event &= ~(v.STATE_INUSE | v.STATE_EXCLUSIVE)
        if current & (v.STATE_INUSE | v.STATE_EXCLUSIVE):
            event |= v.STATE_CHANGED
    if current == v.STATE_UNAWARE:
        event |= v.STATE_CHANGED
    return event


def watch_pass(given: list[tuple[str, int]], readers: dict[str, VirtualReader],
               readers_at_start: int) -> tuple[list[tuple[str, int, list[int]]], bool]:
    """One pass over the reader states given: ``([(name, event, ATR)...], any changed)``.

    A reader that left during the call is ``UNKNOWN | UNAVAILABLE``; the PnP
    pseudo-reader changes when the number of readers differs from the call's start.
    """
    found: list[tuple[str, int, list[int]]] = []
    changed = False
    for name, current in given:
        reader = readers.get(name)
        atr: list[Any] = []
        if current & v.STATE_IGNORE:
            event = 0
        elif reader is not None:
            event = _event_state(reader, current)
            atr = list(reader.atr) if reader.card is not None and not reader.broken else []
        elif name.lower() == v.PNP_READER.lower():
            event = v.STATE_CHANGED if len(readers) != readers_at_start else 0
        else:
            event = v.STATE_UNKNOWN | v.STATE_UNAVAILABLE
            if not current & v.STATE_UNKNOWN:
                event |= v.STATE_CHANGED
        changed |= bool(event & v.STATE_CHANGED)
        found.append((name, event, atr))
    return found, changed
