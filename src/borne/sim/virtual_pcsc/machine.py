"""The in-memory pcscd as the test drives it, and the context half of its PC/SC API.

:class:`VirtualPcsc` is the machine (plug readers, move cards, stop and start
pcscd) and pyscard's ``smartcard.scard`` module at once: the context and
watching functions are here, the card functions in :mod:`.cards`, the
``SCARD_*`` names in :mod:`.names`.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from borne.readers.pcsc import vocabulary as v
from borne.vpcd.responder import CardResponder

from .cards import CardCalls
from .names import PyscardNames, error_message
from .reader import VirtualReader, watch_pass
from .state import Context

__all__ = ["VirtualPcsc"]


class VirtualPcsc(CardCalls, PyscardNames):
    """pcscd and pyscard's ``smartcard.scard`` in one object, in memory (see the package).

    Thread-safe: the box's worker threads call the PC/SC API while the test
    plugs readers and moves cards. :attr:`calls` counts the API calls by name.
    ``pulled_answer``: what ``SCardTransmit`` returns for the APDU a card leaves
    during (``E_NOT_TRANSACTED`` as a real reader's driver, or vpcd's empty success).
    """

    def __init__(self, *, pulled_answer: Literal["not_transacted", "empty"] = "not_transacted"
                 ) -> None:
        super().__init__(pulled_answer=pulled_answer)

    # -- the test's side: the machine --------------------------------------------------------

    def plug(self, name: str, card: CardResponder | None = None, *, mute: bool = False) -> None:
        """A reader appears (with ``card`` already in it: its count stays 0)."""
        with self._cond:
            if name in self._readers:
                raise ValueError(f"reader {name!r} is already plugged")
            reader = self._readers[name] = VirtualReader(name)
            if card is not None:
                reader.put(card, mute=mute, running=self.running)
                reader.counter = 0
            self._cond.notify_all()

    def unplug(self, name: str) -> None:
        """The reader disappears, with its card."""
        with self._cond:
            del self._readers[name]
            self._cond.notify_all()

    def insert(self, name: str, card: CardResponder, *, mute: bool = False) -> None:
        """Put ``card`` in the reader; ``mute``: it gives no ATR (pcscd: ``STATE_MUTE``)."""
        with self._cond:
            self._readers[name].put(card, mute=mute, running=self.running)
            self._cond.notify_all()

    def remove(self, name: str) -> CardResponder:
        """Take the card out of the reader; the handles on it see ``W_REMOVED_CARD``."""
        with self._cond:
            card = self._take_out(self._readers[name])
            self._cond.notify_all()
            return card

    def swap(self, name: str, card: CardResponder) -> CardResponder:
        """Replace the card at once: nobody sees the slot empty, the count moves by two."""
        with self._cond:
            old = self._take_out(self._readers[name])
            self._readers[name].put(card, mute=False, running=self.running)
            self._cond.notify_all()
            return old

    def break_reader(self, name: str, broken: bool = True) -> None:
        """The reader's driver fails (pcscd: ``STATE_UNAVAILABLE``), or works again.

        pcscd counts the card it finds on recovery (or its absence) as an event.
        """
        with self._cond:
            reader = self._readers[name]
            if reader.broken and not broken and self.running:
                reader.counter = (reader.counter + 1) & 0xFFFF
            reader.broken = broken
            self._cond.notify_all()

    def stop(self) -> None:
        """pcscd stops or dies: waits fail with ``F_COMM_ERROR``, contexts are dead for good."""
        with self._cond:
            self.running = False
            self._generation += 1
            for reader in self._readers.values():
                reader.forget_clients()
            self._cond.notify_all()

    def start(self) -> None:
        """pcscd starts again: counts at 0, the cards still in the readers powered afresh."""
        with self._cond:
            self.running = True
            for reader in self._readers.values():
                reader.restart()
            self._cond.notify_all()

    # -- pyscard's smartcard.scard: contexts and watching -------------------------------

    def SCardEstablishContext(self, dwScope: int) -> list[Any]:  # noqa: N802 (pyscard's names)
        """``[rv, hcontext]``."""
        with self._cond:
            self.calls["SCardEstablishContext"] += 1
            if not self.running:
                return [v.E_NO_SERVICE, 0]
            hcontext = next(self._ids)
            self._contexts[hcontext] = Context(self._generation)
            return [v.S_SUCCESS, hcontext]

    def SCardReleaseContext(self, hcontext: int) -> int:  # noqa: N802
        """Forget the context; pcscd disconnects its handles, leaving their cards as they are."""
        with self._cond:
            self.calls["SCardReleaseContext"] += 1
            _context, rv = self._context(hcontext)
            if rv == v.E_INVALID_HANDLE:
                return rv
            for hcard in [h for h, handle in self._handles.items() if handle.context == hcontext]:
                if rv == v.S_SUCCESS:
                    self._disconnect(hcard, v.LEAVE_CARD)
                self._handles.pop(hcard, None)
            del self._contexts[hcontext]
            self._cond.notify_all()
            return rv

    def SCardListReaders(self, hcontext: int, readergroups: list[str]) -> list[Any]:  # noqa: N802
        """``[rv, reader names]``."""
        with self._cond:
            self.calls["SCardListReaders"] += 1
            _context, rv = self._context(hcontext)
            if rv:
                return [rv, []]
            if not self._readers:
                return [v.E_NO_READERS_AVAILABLE, []]
            return [v.S_SUCCESS, list(self._readers)]

    def SCardGetStatusChange(self, hcontext: int, dwTimeout: int,  # noqa: N802
                             readerstatelist: list[tuple[Any, ...]]) -> list[Any]:
        """``[rv, [(reader, event state, ATR bytes as a list)...]]`` (see the module)."""
        with self._cond:
            self.calls["SCardGetStatusChange"] += 1
            context, rv = self._context(hcontext)
            if context is None:
                return [rv, []]
            # pyscard clears CHANGED in the states given, as applications are told to.
            given = [(str(state[0]), int(state[1]) & 0xFFFFFFFF & ~v.STATE_CHANGED)
                     for state in readerstatelist]
            if all(current & v.STATE_IGNORE for _name, current in given):
                return [v.S_SUCCESS, [(name, 0, []) for name, _current in given]]
            if any(name not in self._readers and name.lower() != v.PNP_READER.lower()
                   for name, _current in given):
                return [v.E_UNKNOWN_READER, [(name, 0, []) for name, _current in given]]
            readers_at_start = len(self._readers)
            forever = dwTimeout in (v.INFINITE, 0xFFFFFFFF, -1)
            deadline = time.monotonic() + max(dwTimeout, 0) / 1000
            context.waiting = True
            try:
                while True:
                    found, changed = watch_pass(given, self._readers, readers_at_start)
                    if changed:
                        return [v.S_SUCCESS, found]
                    remaining = None if forever else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return [v.E_TIMEOUT, found]
                    self._cond.wait(remaining)
                    if context.cancelled:
                        return [v.E_CANCELLED, found]
                    if context.generation != self._generation:
                        return [v.F_COMM_ERROR, found]
            finally:
                context.waiting = context.cancelled = False

    def SCardCancel(self, hcontext: int) -> int:  # noqa: N802
        """Wake the context's pending ``SCardGetStatusChange``, if any (else nothing happens)."""
        with self._cond:
            self.calls["SCardCancel"] += 1
            context, rv = self._context(hcontext)
            if context is not None and context.waiting:
                context.cancelled = True
                self._cond.notify_all()
            return rv

    def SCardGetErrorMessage(self, lErrCode: int) -> str:  # noqa: N802
        """pcsc-lite's text for a code (``pcsc_stringify_error``)."""
        return error_message(lErrCode)
