"""PC/SC smart-card backend (pyscard), in a worker thread only it knows about.

=========  ==============================================================
path       what it drives
=========  ==============================================================
``pcsc``          every reader slot of the machine's pcscd
``pcsc:GLOB``     only the slots whose PC/SC name matches the glob
``sim``           the twin: same code, only the ``Borne Sim*`` slots of the
                  simulator's pcscd (vpcd driver + virtual card processes)
=========  ==============================================================

Supports: readers present at start and plugged in later (pcsc-lite's
``\\\\?PnP?\\Notification`` pseudo-reader), readers unplugged, multi-slot
readers (each slot is its own PC/SC reader name; which slot is contactless is
configured, see :class:`borne.config.PcscConfig`), cards inserted/removed/swapped
(pcsc-lite's event counter in the high word of ``dwEventState``), and pcscd
stopping or restarting under the daemon: the device state turns
``unavailable`` and the backend re-establishes its context every
``retry_interval_s`` until pcscd answers again.

A card is read as soon as pcscd reports it present, inside a PC/SC transaction
so no other client interleaves APDUs, with the sans-I/O scripts of
:mod:`borne.readers.cards`. PC/SC errors become stable codes here, with
:mod:`borne.readers.pcsc.vocabulary`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ...errors import CardError
from ..base import ReaderSink, SlotInfo, SmartcardBackend, call_on_loop, slot_id_for
from ..cards import read_card
from ..cards.script import drive
from .vocabulary import (E_CANCELLED, E_NO_READERS_AVAILABLE, E_READER_UNAVAILABLE, E_TIMEOUT,
                         E_UNKNOWN_READER, PNP_READER, S_SUCCESS, SERVICE_LOST, STATE_CHANGED,
                         STATE_EMPTY, STATE_IGNORE, STATE_MUTE, STATE_PRESENT, STATE_UNAVAILABLE,
                         STATE_UNKNOWN, card_error_code, failed_exchange_code, load_scard, u32)

__all__ = ["PcscBackend"]

# Named after the package, as it always was: the backend's log lines reach journald under it.
log = logging.getLogger("borne.readers.pcsc")

SIM_READER_GLOB = "Borne Sim*"
#: What an event state says about the card: present/empty/mute and pcsc-lite's event count.
_CARD_BITS = STATE_EMPTY | STATE_PRESENT | STATE_MUTE | 0xFFFF0000


def _known_card(atr: bytes) -> bool:
    """Whether the ATR names a card family we read (CPS, Vitale 1): not a phone."""
    from ..cards import atr as atr_table

    return atr_table.classify(atr) is not None


class _ServiceLost(Exception):
    """pcscd went away under us."""


class PcscBackend(SmartcardBackend):
    """Watches PC/SC readers and reads the cards put in them.

    ``scard`` is the PC/SC API the worker calls: a module like pyscard's
    ``smartcard.scard`` (the simulator's in-memory pcscd in the fast tests).
    None: pyscard's, imported by the worker when it starts.
    """

    device = "pcsc"

    #: How long one SCardGetStatusChange waits before asking again. pcscd wakes the
    #: waiting client when a reader changes; should that wake-up ever be lost, the
    #: next wait compares the readers' event counters and reports the change at
    #: once, so this bounds how late a card can be seen (at the cost of one round
    #: trip to pcscd per period). The tests once waited 20 s in vain for a card
    #: inserted just after the box started (1 run in ~40); a minute was too long.
    WAIT_TIMEOUT_MS = 5_000

    def __init__(self, *, reader_glob: str | None = None, contactless: list[str] | None = None,
                 ignore: list[str] | None = None, retry_interval_s: float = 0.5,
                 wait_timeout_ms: int = WAIT_TIMEOUT_MS, cps_layout: Any = None,
                 apcv: tuple[bytes, list[bytes]] | None = None, scard: Any = None) -> None:
        self._reader_glob = reader_glob
        self._contactless = list(contactless or [])
        self._ignore = list(ignore or [])
        self._retry_interval_s = retry_interval_s
        # Long waits: pcscd wakes us on any change, so this only bounds a stop's latency
        # if SCardCancel were to be missed. No busy polling.
        self._wait_timeout_ms = wait_timeout_ms
        self._cps_layout = cps_layout
        # (AID, commands) of the apCV exchange tried on contactless slots ([nfc] settings).
        self._apcv = apcv
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._crash: str | None = None
        self._context: int | None = None
        self._context_lock = threading.Lock()
        self._sink: ReaderSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The PC/SC API: pyscard's smartcard.scard unless given (the simulator's in-memory
        # pcscd in fast tests); pyscard is imported by the worker, so a given one never loads it.
        self._scard: Any = scard
        # Slots (reader names or slot ids) leased through the APDU channel: not read.
        self._paused: set[str] = set()
        self._paused_lock = threading.Lock()

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> PcscBackend:
        pcsc = config.readers.pcsc
        glob = SIM_READER_GLOB if scheme == "sim" else argument
        from ..nfc.apcv_script import apcv_settings

        return cls(reader_glob=glob, contactless=pcsc.contactless, ignore=pcsc.ignore,
                   retry_interval_s=pcsc.retry_interval_s,
                   cps_layout=config.readers.cps.to_layout(config.source),
                   apcv=apcv_settings(config.nfc.aid, config.nfc.script, source=config.source))

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, sink: ReaderSink, loop: asyncio.AbstractEventLoop) -> None:
        self._sink, self._loop = sink, loop
        self._thread = threading.Thread(target=self._run_guarded, name="pcsc-monitor", daemon=True)
        self._thread.start()

    async def wait_ready(self, timeout: float) -> bool:
        return await asyncio.to_thread(self._ready.wait, timeout)

    async def stop(self) -> None:
        self._stopping.set()
        self._cancel_wait()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None

    def describe(self) -> dict[str, Any]:
        return {"device": self.device, "backend": "pcsc", "reader_glob": self._reader_glob}

    def crashed(self) -> str | None:
        return self._crash

    def set_paused(self, reader_name_or_slot_id: str, paused: bool) -> None:
        """Stop (or resume) reading the cards put in a slot; thread-safe.

        Insertions and removals are still reported; a card inserted while paused
        is not read, and resuming does not read the card already there.
        """
        with self._paused_lock:
            if paused:
                self._paused.add(reader_name_or_slot_id)
            else:
                self._paused.discard(reader_name_or_slot_id)

    def _is_paused(self, reader: str, slot: SlotInfo) -> bool:
        with self._paused_lock:
            return reader in self._paused or slot.id in self._paused

    # -- helpers run in the worker thread --------------------------------------------------

    def _emit(self, method: Callable[..., None], *args: Any) -> None:
        call_on_loop(self._loop, method, *args)

    def _cancel_wait(self) -> None:
        with self._context_lock:
            if self._context is not None and self._scard is not None:
                self._scard.SCardCancel(self._context)

    def _wanted(self, reader: str) -> bool:
        if reader == PNP_READER:
            return False
        if any(fnmatch.fnmatchcase(reader, pattern) for pattern in self._ignore):
            return False
        return self._reader_glob is None or fnmatch.fnmatchcase(reader, self._reader_glob)

    def _slot_for(self, reader: str) -> SlotInfo:
        contactless = any(fnmatch.fnmatchcase(reader, p) for p in self._contactless)
        return SlotInfo(slot_id_for(reader), reader, "contactless" if contactless else "contact",
                        "pcsc")

    def _run_guarded(self) -> None:
        try:
            self._run()
        except BaseException as error:  # a bug: say it, and let the watchdog restart us
            log.exception("PC/SC worker died")
            self._crash = f"pcsc worker died: {type(error).__name__}"
            self._ready.set()

    def _run(self) -> None:
        if self._scard is None:
            try:
                self._scard = load_scard()
            except ImportError as error:
                self._emit(self._sink.device_state, self.device, "error",
                           f"pyscard missing: {error}")
                self._ready.set()
                return
        scard = self._scard
        reported: str | None = None
        while not self._stopping.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if u32(hresult) != S_SUCCESS:
                if reported != "unavailable":
                    self._emit(self._sink.device_state, self.device, "unavailable",
                               scard.SCardGetErrorMessage(hresult))
                    reported = "unavailable"
                self._ready.set()  # ready = enumeration done or known to be impossible
                self._stopping.wait(self._retry_interval_s)
                continue
            with self._context_lock:
                self._context = context
            self._emit(self._sink.device_state, self.device, "available", None)
            reported = "available"
            try:
                self._watch(scard, context)
            except _ServiceLost as lost:
                log.warning("pcscd lost: %s", lost)
            finally:
                with self._context_lock:
                    self._context = None
                scard.SCardReleaseContext(context)
            if not self._stopping.is_set():
                self._emit(self._sink.device_state, self.device, "unavailable", "pcscd went away")
                reported = "unavailable"
                self._stopping.wait(self._retry_interval_s)

    def _list_readers(self, scard: Any, context: int) -> list[str]:
        hresult, readers = scard.SCardListReaders(context, [])
        code = u32(hresult)
        if code == E_NO_READERS_AVAILABLE:
            return []
        if code in SERVICE_LOST:
            raise _ServiceLost(scard.SCardGetErrorMessage(hresult))
        if code != S_SUCCESS:
            return []
        return [r for r in readers if self._wanted(r)]

    def _watch(self, scard: Any, context: int) -> None:
        sink = self._sink
        assert sink is not None
        # reader name -> last dwEventState we acknowledged (CHANGED bit cleared)
        states: dict[str, int] = {}
        slots: dict[str, SlotInfo] = {}
        pnp_state = 0
        relist = True
        try:
            while not self._stopping.is_set():
                if relist:
                    present = self._list_readers(scard, context)
                    for reader in [r for r in states if r not in present]:
                        self._detach(reader, states, slots)
                    for reader in present:
                        if reader not in states:
                            slots[reader] = self._slot_for(reader)
                            states[reader] = 0
                            self._emit(sink.reader_attached, slots[reader])
                    relist = False
                    self._ready.set()
                query = [(r, s) for r, s in states.items()] + [(PNP_READER, pnp_state)]
                hresult, changes = scard.SCardGetStatusChange(context, self._wait_timeout_ms, query)
                detected_ns = time.monotonic_ns()
                code = u32(hresult)
                if code in (E_TIMEOUT, E_CANCELLED):
                    continue
                if code in SERVICE_LOST:
                    raise _ServiceLost(scard.SCardGetErrorMessage(hresult))
                if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE):
                    relist = True  # a reader vanished between listing and waiting
                    continue
                if code != S_SUCCESS:
                    log.warning("SCardGetStatusChange: %s", scard.SCardGetErrorMessage(hresult))
                    self._stopping.wait(self._retry_interval_s)
                    relist = True
                    continue
                for reader, event_state, atr in changes:
                    if reader == PNP_READER:
                        if event_state & STATE_CHANGED:
                            relist = True
                        pnp_state = event_state & ~STATE_CHANGED
                        continue
                    if not event_state & STATE_CHANGED or reader not in states:
                        continue
                    if event_state & (STATE_UNKNOWN | STATE_UNAVAILABLE | STATE_IGNORE):
                        # Acknowledge all but the card, or pcsc-lite reports the same change
                        # at once on every wait while a reader's driver fails: a busy loop.
                        # The card stays as last known, for the comparison on recovery.
                        states[reader] = (states[reader] & _CARD_BITS) \
                            | (event_state & ~_CARD_BITS & ~STATE_CHANGED)
                        relist = True
                        continue
                    self._on_change(scard, context, reader, states[reader], event_state,
                                    bytes(atr), slots[reader], detected_ns)
                    states[reader] = event_state & ~STATE_CHANGED
        finally:
            for reader in list(states):
                self._detach(reader, states, slots)

    def _detach(self, reader: str, states: dict[str, int], slots: dict[str, SlotInfo]) -> None:
        slot = slots.pop(reader)
        if states.pop(reader) & STATE_PRESENT:
            self._emit(self._sink.card_removed, slot.id, time.monotonic_ns())
        self._emit(self._sink.reader_detached, slot.id)

    def _on_change(self, scard: Any, context: int, reader: str, old: int, new: int, atr: bytes,
                   slot: SlotInfo, detected_ns: int) -> None:
        sink = self._sink
        was_present = bool(old & STATE_PRESENT)
        is_present = bool(new & STATE_PRESENT)
        # pcsc-lite counts insertions/removals in the high word: a changed count while
        # "present" both times means the card was swapped between two waits.
        swapped = was_present and is_present and (old >> 16) != (new >> 16)
        if was_present and (not is_present or swapped):
            self._emit(sink.card_removed, slot.id, detected_ns)
        if is_present and (not was_present or swapped):
            self._emit(sink.card_inserted, slot.id, atr, detected_ns)
            if new & STATE_MUTE:
                self._emit(sink.card_error, slot.id, "card_unresponsive", detected_ns)
                return
            if self._is_paused(reader, slot):  # leased: the APDU channel's client reads it
                return
            self._read(scard, context, reader, atr, slot, detected_ns)

    def _read(self, scard: Any, context: int, reader: str, atr: bytes, slot: SlotInfo,
              detected_ns: int) -> None:
        """Read the card and report it, once the card is released.

        The outcome is reported after the transaction ends and the handle is
        closed, so a client that reacts to ``card.decoded`` (the billing
        software, the APDU channel) finds the card free, not locked by us.
        """
        sink = self._sink
        hresult, card, protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if u32(hresult) != S_SUCCESS:
            self._emit(sink.card_error, slot.id, card_error_code(hresult), detected_ns)
            return
        try:
            if not atr:
                hresult, _name, _state, _proto, raw_atr = scard.SCardStatus(card)
                atr = bytes(raw_atr) if u32(hresult) == S_SUCCESS else b""
            scard.SCardBeginTransaction(card)

            def transmit(apdu: bytes) -> bytes:
                rv, response = scard.SCardTransmit(card, protocol, list(apdu))
                if u32(rv) != S_SUCCESS:
                    code = card_error_code(rv)
                    if code == "card_protocol_error":
                        code = failed_exchange_code(scard, context, reader)
                    raise CardError(code=code)
                if len(response) < 2:
                    # No status word at all: vpcd (and some readers) answer this way
                    # when the card vanished mid-exchange.
                    raise CardError(code=failed_exchange_code(scard, context, reader))
                return bytes(response)

            try:
                outcome: tuple[Callable[..., None], Any] | None = None
                if slot.kind == "contactless" and self._apcv is not None \
                        and not _known_card(atr):
                    outcome = self._try_phone(transmit)
                if outcome is None:
                    outcome = (sink.card_decoded,
                               drive(read_card(atr, cps_layout=self._cps_layout), transmit))
            except CardError as error:
                outcome = (sink.card_error, error.code)
            except Exception:  # a decoder bug must not kill the monitor thread
                log.exception("decoder failed on slot %s", slot.id)
                outcome = (sink.card_error, "card_data_invalid")
        finally:
            scard.SCardEndTransaction(card, scard.SCARD_LEAVE_CARD)
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        report, value = outcome
        self._emit(report, slot.id, value, detected_ns)

    def _try_phone(self, transmit: Callable[[bytes], bytes]) -> tuple[Callable[..., None], Any] | None:
        """A phone presenting the apCV on a contactless slot: its presentation, or None.

        The configured apCV application is selected first; a card without it (a
        contactless CPS, a transit card) answers the SELECT with an error and is
        then read like any card.
        """
        from ..nfc.apcv_script import read_presentation

        aid, commands = self._apcv  # type: ignore[misc]
        try:
            payload = drive(read_presentation(aid, commands), transmit)
        except CardError as error:
            if error.code == "apcv_not_selected":
                return None
            if error.code == "card_removed":  # the phone was taken away mid-exchange
                raise CardError(code="nfc_target_lost") from None
            raise
        return (self._sink.phone_presented, payload)  # type: ignore[union-attr]
