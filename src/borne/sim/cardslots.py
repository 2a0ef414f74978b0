"""Put virtual cards into a :class:`~borne.sim.pcscd.PrivatePcscd`'s slots, and take them out.

Each card is its own process (``python -m borne.sim.card_process``), so the daemon
under test (or its GIL) never slows the card down, and killing a card is as
abrupt as pulling it out. :meth:`CardSlots.insert` returns once the card's
socket is connected to vpcd; pcscd notices it at its next presence poll (about
400 ms later): wait for ``SCARD_STATE_PRESENT``, not for ``insert``.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import sys
from typing import Any

from borne.errors import BorneError, Message
from borne.sim.pcscd import PrivatePcscd, SimSlot
from borne.sim.processes import terminate

__all__ = ["CardSlots"]

_READY_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


class CardSlots:
    """The card processes plugged into ``pcscd``'s slots (numbered as ``pcscd.slots``)."""

    def __init__(self, pcscd: PrivatePcscd, *, host: str = "127.0.0.1") -> None:
        self.pcscd = pcscd
        self.host = host
        self._cards: dict[int, tuple[str, subprocess.Popen[bytes]]] = {}
        atexit.register(self.remove_all)  # no card process outlives a crashed script

    @property
    def inserted(self) -> dict[int, str]:
        """Slot number -> card name, for the cards still in (a card may pull itself out)."""
        return {slot: name for slot, (name, process) in self._cards.items() if process.poll() is None}

    def insert(self, slot: int, card_name: str, *, wire_clock_hz: int | None = None,
               **chip_options: Any) -> None:
        """Insert test card ``card_name`` (see ``borne.sim.cards.CARD_NAMES``, or a card file).

        ``chip_options`` go to ``borne.sim.cards.load_card`` as keyword
        arguments (JSON-encodable values only). Raises :class:`BorneError`:
        ``sim_bad_slot`` (no such slot, or it holds a card), ``sim_unknown_card``
        (the card process failed, with its error output). ``wire_clock_hz``
        (benches) makes the card answer no faster than a real one at that clock.
        """
        pacing = ["--wire-clock-hz", str(wire_clock_hz)] if wire_clock_hz else []
        self._spawn(slot, card_name, ["--card", card_name, *pacing], chip_options, extra_env={})

    def insert_factory(self, slot: int, factory: str, **arguments: Any) -> None:
        """Insert the responder made by ``factory`` (``"module:callable"``) called with ``arguments``.

        For tests that need a custom card: the module is imported in the card
        process with this process's ``sys.path``.
        """
        path = os.pathsep.join(entry for entry in sys.path if entry)
        self._spawn(slot, factory, ["--factory", factory], arguments, extra_env={"PYTHONPATH": path})

    def remove(self, slot: int, *, wait: bool = False) -> None:
        """Take the card out of ``slot`` (nothing if empty).

        With ``wait``, return only once pcscd reports the slot empty (up to
        ~400 ms later), so the next card put there is not mistaken for this one.
        """
        entry = self._cards.pop(slot, None)
        if entry is not None:
            _end(entry[1])
        if wait and self.pcscd.running:
            self.pcscd.wait_card(slot, present=False)

    def remove_all(self, *, wait: bool = False) -> None:
        """Take every card out (``wait``: as in :meth:`remove`, for every slot used)."""
        slots = list(self._cards)
        for slot in slots:
            self.remove(slot)
        if wait and self.pcscd.running:
            for slot in slots:
                if slot < len(self.pcscd.slots):
                    self.pcscd.wait_card(slot, present=False)

    def _slot(self, slot: int) -> SimSlot:
        for candidate in self.pcscd.slots:
            if candidate.index == slot:
                return candidate
        known = [s.index for s in self.pcscd.slots]
        raise BorneError(Message(f"pas d'emplacement {slot} (emplacements : {known})",
                                 f"no slot {slot} (slots: {known})"), code="sim_bad_slot")

    def _spawn(self, slot: int, name: str, source: list[str], options: dict[str, Any],
               extra_env: dict[str, str]) -> None:
        port = self._slot(slot).port
        if slot in self.inserted:
            raise BorneError(Message(f"l'emplacement {slot} contient déjà {self.inserted[slot]}",
                                     f"slot {slot} already holds {self.inserted[slot]}"),
                             code="sim_bad_slot")
        self.remove(slot)  # reap a card that pulled itself out
        command = [sys.executable, "-m", "borne.sim.card_process", "--host", self.host, "--port", str(port),
                   *source, "--options", json.dumps(options)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env={**os.environ, **extra_env})
        try:
            _wait_ready(process, name)
        except BaseException:
            _end(process)
            raise
        self._cards[slot] = (name, process)


def _wait_ready(process: subprocess.Popen[bytes], name: str) -> None:
    assert process.stdout is not None and process.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(_READY_TIMEOUT):
            raise BorneError(Message(f"la carte {name} ne s'est pas connectée à vpcd en "
                                     f"{_READY_TIMEOUT:.0f} s (pcscd tourne-t-il ?)",
                                     f"card {name} did not connect to vpcd within "
                                     f"{_READY_TIMEOUT:.0f} s (is pcscd running?)"),
                             code="sim_unavailable")
    if process.stdout.readline().strip() == b"ready":
        return
    process.wait(_STOP_TIMEOUT)
    error = process.stderr.read().decode(errors="replace").strip()
    raise BorneError(f"card {name} failed: {error.splitlines()[-1] if error else process.returncode}",
                     code="sim_unknown_card", stderr=error)


def _end(process: subprocess.Popen[bytes]) -> None:
    terminate(process, _STOP_TIMEOUT)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
