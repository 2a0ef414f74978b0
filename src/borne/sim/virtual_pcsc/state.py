"""The in-memory pcscd's bookkeeping: readers, contexts, card handles, and the lookups on them.

Everything here runs under :attr:`PcscdState._cond`, the one lock of the
machine; waiting for a change is waiting on that condition.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from borne.readers.pcsc import vocabulary as v
from borne.vpcd.responder import CardResponder

from .reader import REMOVED, RESET, VirtualReader

__all__ = ["Context", "Handle", "PcscdState"]


@dataclass
class Context:
    """An application's context (``SCardEstablishContext``)."""

    #: pcscd's life it was made in: dead once pcscd stops, even after a restart.
    generation: int
    #: In ``SCardGetStatusChange``, and whether ``SCardCancel`` asked it to return.
    waiting: bool = False
    cancelled: bool = False


@dataclass
class Handle:
    """A card handle (``SCardConnect``)."""

    reader: VirtualReader
    context: int
    #: :data:`~.reader.RESET` or :data:`~.reader.REMOVED` since it last (re)connected.
    event: int = 0


class PcscdState:
    """What pcscd and its client library keep; the base of :class:`~.machine.VirtualPcsc`."""

    def __init__(self, *, pulled_answer: Literal["not_transacted", "empty"]) -> None:
        #: What ``SCardTransmit`` returns for the APDU a card leaves during.
        self.pulled_answer = pulled_answer
        #: How many times each PC/SC function was called (busy loops show here).
        self.calls: Counter[str] = Counter()
        #: Whether pcscd runs.
        self.running = True
        self._cond = threading.Condition()
        self._readers: dict[str, VirtualReader] = {}
        self._contexts: dict[int, Context] = {}
        self._handles: dict[int, Handle] = {}
        self._generation = 0
        self._ids = itertools.count(0x10000)

    @property
    def waiters(self) -> int:
        """How many contexts wait in ``SCardGetStatusChange`` now (a watcher at rest)."""
        with self._cond:
            return sum(context.waiting for context in self._contexts.values())

    def _context(self, hcontext: int) -> tuple[Context | None, int]:
        context = self._contexts.get(hcontext)
        if context is None:
            return None, v.E_INVALID_HANDLE
        if context.generation != self._generation:
            return None, v.E_NO_SERVICE
        return context, v.S_SUCCESS

    def _handle(self, hcard: int) -> tuple[Handle | None, int]:
        handle = self._handles.get(hcard)
        if handle is None:
            return None, v.E_INVALID_HANDLE
        _context, rv = self._context(handle.context)
        if rv:
            return None, rv
        if self._readers.get(handle.reader.name) is not handle.reader:
            return None, v.E_INVALID_VALUE  # pcscd no longer knows the handle's reader
        return handle, v.S_SUCCESS

    def _wait_unlocked(self, reader: VirtualReader, hcard: int) -> int:
        """Block while another handle holds a transaction (pcsc-lite's clients retry)."""
        generation = self._generation
        while reader.lock not in (0, hcard):
            self._cond.wait()
            if self._generation != generation:
                return v.E_NO_SERVICE
            if self._readers.get(reader.name) is not reader:
                return v.E_INVALID_VALUE
        return v.S_SUCCESS

    @staticmethod
    def _event_code(handle: Handle) -> int:
        """What the handle must hear first: its card was removed, or reset by another."""
        return {REMOVED: v.W_REMOVED_CARD, RESET: v.W_RESET_CARD}.get(handle.event, v.S_SUCCESS)

    def _reset_others(self, reader: VirtualReader, hcard: int) -> None:
        for other_id, other in self._handles.items():
            if other.reader is reader and other_id != hcard:
                other.event = RESET

    def _take_out(self, reader: VirtualReader) -> CardResponder:
        if reader.card is None:
            raise ValueError(f"no card in {reader.name!r}")
        for handle in self._handles.values():
            if handle.reader is reader:
                handle.event = REMOVED
        return reader.take_out(running=self.running)
