"""The card half of the in-memory pcscd's PC/SC API: handles on a card and what they do.

``SCardConnect``, ``SCardReconnect``, ``SCardDisconnect``, ``SCardBeginTransaction``,
``SCardEndTransaction``, ``SCardStatus`` and ``SCardTransmit``, with pyscard's
argument names and return shapes, following pcsc-lite 1.9.9 (``winscard.c``,
``readerfactory.c``): see :mod:`borne.sim.virtual_pcsc` for the behaviours.
"""

from __future__ import annotations

from typing import Any

from borne.readers.pcsc import vocabulary as v
from borne.vpcd.responder import CardPulled

from .reader import EXCLUSIVE, status_word
from .state import Handle, PcscdState

__all__ = ["CardCalls"]


class CardCalls(PcscdState):
    """pyscard's card functions over :class:`~.state.PcscdState`."""

    def SCardConnect(self, hcontext: int, readername: str, dwShareMode: int,  # noqa: N802
                     dwPreferredProtocols: int) -> list[Any]:
        """``[rv, hcard, protocol]``."""
        with self._cond:
            self.calls["SCardConnect"] += 1
            _context, rv = self._context(hcontext)
            if rv:
                return [rv, 0, 0]
            if dwShareMode not in (v.SHARE_SHARED, v.SHARE_EXCLUSIVE):
                return [v.E_INVALID_VALUE, 0, 0]  # SHARE_DIRECT: not modelled
            reader = self._readers.get(readername)
            if reader is None:
                return [v.E_UNKNOWN_READER, 0, 0]
            if reader.broken:
                return [v.E_READER_UNAVAILABLE, 0, 0]
            if reader.contexts == EXCLUSIVE:
                return [v.E_SHARING_VIOLATION, 0, 0]
            rv = self._wait_unlocked(reader, -1)  # pcscd waits for any transaction to end
            if rv:
                return [rv, 0, 0]
            rv, protocol = reader.power_and_negotiate(dwPreferredProtocols)
            if rv:
                return [rv, 0, 0]
            if dwShareMode == v.SHARE_EXCLUSIVE and reader.contexts != 0:
                return [v.E_SHARING_VIOLATION, 0, 0]
            hcard = next(self._ids)
            if dwShareMode == v.SHARE_EXCLUSIVE:
                reader.contexts, reader.lock, reader.lock_count = EXCLUSIVE, hcard, 1
            else:
                reader.contexts += 1
            self._handles[hcard] = Handle(reader, hcontext)
            self._cond.notify_all()  # INUSE / EXCLUSIVE changed
            return [v.S_SUCCESS, hcard, protocol]

    def SCardReconnect(self, hcard: int, dwShareMode: int, dwPreferredProtocols: int,  # noqa: N802
                       dwInitialization: int) -> list[Any]:
        """``[rv, protocol]``: acknowledges a reset; ``RESET_CARD``/``UNPOWER_CARD`` reset it."""
        with self._cond:
            self.calls["SCardReconnect"] += 1
            if dwInitialization not in (v.LEAVE_CARD, v.RESET_CARD, v.UNPOWER_CARD) \
                    or dwShareMode not in (v.SHARE_SHARED, v.SHARE_EXCLUSIVE):
                return [v.E_INVALID_VALUE, 0]
            handle, rv = self._handle(hcard)
            if handle is None:
                return [rv, 0]
            reader = handle.reader
            rv = self._wait_unlocked(reader, hcard) or (
                v.E_READER_UNAVAILABLE if reader.broken else v.S_SUCCESS)
            if rv:
                return [rv, 0]
            if dwInitialization != v.LEAVE_CARD:
                self._reset_others(reader, hcard)
                reader.reset(unpower=dwInitialization == v.UNPOWER_CARD)
            rv, protocol = reader.power_and_negotiate(dwPreferredProtocols, connected=True)
            if rv:
                return [rv, 0]
            if dwShareMode == v.SHARE_EXCLUSIVE and reader.contexts != EXCLUSIVE:
                if reader.contexts != 1:
                    return [v.E_SHARING_VIOLATION, 0]
                reader.contexts, reader.lock, reader.lock_count = EXCLUSIVE, hcard, 1
            elif dwShareMode == v.SHARE_SHARED and reader.contexts == EXCLUSIVE:
                reader.contexts, reader.lock, reader.lock_count = 1, 0, 0
            handle.event = 0
            self._cond.notify_all()
            return [v.S_SUCCESS, protocol]

    def SCardDisconnect(self, hcard: int, dwDisposition: int) -> int:  # noqa: N802
        """Close the handle; ``RESET_CARD``/``UNPOWER_CARD`` reset or power the card down."""
        with self._cond:
            self.calls["SCardDisconnect"] += 1
            if dwDisposition not in (v.LEAVE_CARD, v.RESET_CARD, v.UNPOWER_CARD, v.EJECT_CARD):
                return v.E_INVALID_VALUE
            handle, rv = self._handle(hcard)
            if rv == v.E_INVALID_VALUE:  # pcsc-lite ignores the reader's removal
                del self._handles[hcard]
                return v.S_SUCCESS
            if handle is None:
                return rv
            if dwDisposition != v.LEAVE_CARD:
                rv = self._wait_unlocked(handle.reader, hcard)
                if rv:
                    return rv
            rv = self._disconnect(hcard, dwDisposition)
            self._cond.notify_all()
            return rv

    def _disconnect(self, hcard: int, disposition: int) -> int:
        handle = self._handles[hcard]
        reader = handle.reader
        if reader.lock not in (0, hcard) and disposition != v.LEAVE_CARD:
            return v.E_SHARING_VIOLATION
        if reader.lock == hcard:
            reader.lock = reader.lock_count = 0
        if disposition in (v.RESET_CARD, v.UNPOWER_CARD):
            self._reset_others(reader, hcard)
            reader.reset(unpower=disposition == v.UNPOWER_CARD, power_up=False)
        del self._handles[hcard]
        reader.contexts = 0 if reader.contexts == EXCLUSIVE else max(reader.contexts - 1, 0)
        return v.S_SUCCESS

    def SCardBeginTransaction(self, hcard: int) -> int:  # noqa: N802
        """Lock the card for this handle; waits while another handle holds it."""
        with self._cond:
            self.calls["SCardBeginTransaction"] += 1
            handle, rv = self._handle(hcard)
            if handle is None:
                return rv
            reader = handle.reader
            rv = self._wait_unlocked(reader, hcard)
            if rv or reader.broken:
                return rv or v.E_READER_UNAVAILABLE
            rv = self._event_code(handle)
            if rv:
                return rv
            reader.lock = hcard
            reader.lock_count += 1
            return v.S_SUCCESS

    def SCardEndTransaction(self, hcard: int, dwDisposition: int) -> int:  # noqa: N802
        """Release the lock taken by :meth:`SCardBeginTransaction` (``LEAVE_CARD`` only)."""
        with self._cond:
            self.calls["SCardEndTransaction"] += 1
            if dwDisposition != v.LEAVE_CARD:
                return v.E_INVALID_VALUE  # resetting here: not modelled
            handle, rv = self._handle(hcard)
            if handle is None:
                return rv
            rv = self._event_code(handle)
            if rv:
                return rv
            reader = handle.reader
            if reader.lock not in (0, hcard):
                return v.E_SHARING_VIOLATION
            if reader.lock_count <= (1 if reader.contexts == EXCLUSIVE else 0):
                return v.E_NOT_TRANSACTED
            reader.lock_count -= 1
            if reader.lock_count == 0:
                reader.lock = 0
            self._cond.notify_all()
            return v.S_SUCCESS

    def SCardStatus(self, hcard: int) -> list[Any]:  # noqa: N802
        """``[rv, reader name, state (count << 16 | pcsc-lite's card state), protocol, ATR]``."""
        with self._cond:
            self.calls["SCardStatus"] += 1
            handle, rv = self._handle(hcard)
            if rv == v.E_INVALID_VALUE:
                rv = v.E_READER_UNAVAILABLE  # the client library finds the reader gone first
            if handle is None:
                return [rv, "", 0, 0, []]
            reader = handle.reader
            rv = self._wait_unlocked(reader, hcard) or self._event_code(handle) or (
                v.E_READER_UNAVAILABLE if reader.broken else v.S_SUCCESS)
            if rv:
                return [rv, "", 0, 0, []]
            return [v.S_SUCCESS, reader.name, (reader.counter << 16) | status_word(reader),
                    reader.protocol, list(reader.atr)]

    def SCardTransmit(self, hcard: int, pioSendPci: int, apducommand: list[int]  # noqa: N802
                      ) -> list[Any]:
        """``[rv, response bytes as a list]``; the card answers outside the lock."""
        with self._cond:
            self.calls["SCardTransmit"] += 1
            handle, rv = self._handle(hcard)
            if handle is None:
                return [rv, []]
            reader = handle.reader
            rv = self._wait_unlocked(reader, hcard) or (
                v.E_READER_UNAVAILABLE if reader.broken else self._event_code(handle))
            if rv:
                return [rv, []]
            if reader.card is None:
                return [v.E_NO_SMARTCARD, []]
            if pioSendPci != reader.protocol:
                return [v.E_PROTO_MISMATCH, []]
            card, generation = reader.card, self._generation
        with reader.io:  # one APDU at a time per reader, as pcscd's driver does
            try:
                response: bytes | None = bytes(card.respond(bytes(apducommand)))
            except CardPulled:
                response = None
        with self._cond:
            if self._generation != generation:
                return [v.F_COMM_ERROR, []]  # pcscd died during the exchange
            if self._readers.get(reader.name) is not reader:
                return [v.E_READER_UNAVAILABLE, []]
            if response is None or reader.card is not card:
                if reader.card is card:
                    self._take_out(reader)
                    self._cond.notify_all()
                return [v.S_SUCCESS if self.pulled_answer == "empty" else v.E_NOT_TRANSACTED, []]
            return [v.S_SUCCESS, list(response)]
