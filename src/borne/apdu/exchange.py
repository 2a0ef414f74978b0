"""One leased slot's card connection: PC/SC on a worker thread of its own, no network.

==================  ==========================================================
operation           PC/SC call (own context, established on the first call)
==================  ==========================================================
``power_on()``      ``SCardConnect(SHARE_EXCLUSIVE, T0|T1)``, then the ATR
``reset()``         ``SCardReconnect(SHARE_EXCLUSIVE, RESET_CARD)`` (warm reset)
``transmit(apdu)``  ``SCardTransmit`` (connects first if the card is not powered)
``power_off()``     ``SCardDisconnect(UNPOWER_CARD)``
``forget()``        the card left: drop the handle (``LEAVE_CARD``)
``close()``         ``power_off`` + ``SCardReleaseContext``; the thread ends
==================  ==========================================================

Calls run one at a time, in order, on the link's thread, through the ``scard``
module given (pyscard's ``smartcard.scard`` by default, imported on the first
call). PC/SC errors become :class:`~borne.errors.CardError` codes (``no_card``,
``card_removed``, ``reader_unavailable``, ``pcsc_unavailable``,
``card_unresponsive``, ``card_connect_failed``, ``card_protocol_error``) with
the vocabulary the box's reader uses (:mod:`borne.readers.pcsc.vocabulary`).
The box's own reader may be reading the card at the very moment the lease
starts: a sharing violation on connect is retried for ``connect_timeout_s``.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import CardError
from ..readers.pcsc.vocabulary import (E_NO_SMARTCARD, E_SHARING_VIOLATION, S_SUCCESS,
                                       SERVICE_LOST, W_REMOVED_CARD, card_error_code,
                                       failed_exchange_code, load_scard, u32)

__all__ = ["CardLink"]


class CardLink:
    """The exclusive connection to the card in PC/SC reader ``reader``.

    ``scard`` is the PC/SC API called (a module like pyscard's ``smartcard.scard``);
    None: pyscard's, imported on the first call.
    """

    def __init__(self, reader: str, *, connect_timeout_s: float = 3.0,
                 thread_name: str = "apdu", scard: Any = None) -> None:
        self.reader = reader
        self._connect_timeout_s = connect_timeout_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._scard: Any = scard  # None: pyscard's, imported on the first call
        self._context: int | None = None
        self._card: int | None = None
        self._protocol = 0
        self._closed = False

    @property
    def powered(self) -> bool:
        """Whether the card is connected (read on the loop: a hint, not a guarantee)."""
        return self._card is not None

    async def _call(self, function: Any, *args: Any) -> Any:
        if self._closed:
            raise CardError(code="reader_unavailable")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    async def power_on(self) -> bytes:
        """Connect to the card (power it) and return its ATR."""
        return await self._call(self._power_on)

    async def reset(self) -> bytes:
        """Warm reset; the ATR after it."""
        return await self._call(self._reset)

    async def transmit(self, apdu: bytes) -> bytes:
        """The card's full response (data + SW1 SW2) to ``apdu``."""
        return await self._call(self._transmit, apdu)

    async def power_off(self) -> None:
        """Disconnect, unpowering the card."""
        await self._call(self._disconnect, True)

    async def forget(self) -> None:
        """The card was removed: drop the handle."""
        await self._call(self._disconnect, False)

    async def close(self) -> None:
        """Unpower the card, release the context, end the thread (idempotent)."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._close)
        self._closed = True
        try:
            await future
        finally:
            self._executor.shutdown(wait=False)

    # -- on the link's thread ------------------------------------------------------------

    def _ensure_context(self) -> tuple[Any, int]:
        if self._scard is None:
            self._scard = load_scard()  # pyscard only when a lease is used
        if self._context is None:
            hresult, context = self._scard.SCardEstablishContext(self._scard.SCARD_SCOPE_USER)
            if u32(hresult) != S_SUCCESS:
                raise CardError(code="pcsc_unavailable")
            self._context = context
        return self._scard, self._context

    def _fail(self, hresult: int, *, connecting: bool = False) -> CardError:
        code = u32(hresult)
        if code in SERVICE_LOST:
            self._drop_context()
        if connecting and code in (E_NO_SMARTCARD, W_REMOVED_CARD):
            return CardError(code="no_card")
        return CardError(code=card_error_code(hresult))

    def _drop_context(self) -> None:
        context, self._context, self._card = self._context, None, None
        if context is not None:
            self._scard.SCardReleaseContext(context)

    def _power_on(self) -> bytes:
        if self._card is not None:
            self._disconnect(True)
        scard, context = self._ensure_context()
        deadline = time.monotonic() + self._connect_timeout_s
        while True:
            hresult, card, protocol = scard.SCardConnect(
                context, self.reader, scard.SCARD_SHARE_EXCLUSIVE,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            if u32(hresult) != E_SHARING_VIOLATION or time.monotonic() >= deadline:
                break
            time.sleep(0.02)  # the box's own read of this card is finishing
        if u32(hresult) == E_SHARING_VIOLATION:
            raise CardError(code="card_connect_failed")
        if u32(hresult) != S_SUCCESS:
            raise self._fail(hresult, connecting=True)
        self._card, self._protocol = card, protocol
        return self._atr()

    def _atr(self) -> bytes:
        hresult, _name, _state, _protocol, atr = self._scard.SCardStatus(self._card)
        if u32(hresult) != S_SUCCESS:
            raise self._lost(hresult)
        return bytes(atr)

    def _lost(self, hresult: int) -> CardError:
        """An error on a connected card: drop the handle, say why."""
        error = self._fail(hresult)
        if error.code == "card_protocol_error":
            error = CardError(code=self._why_failed())
        if error.code != "card_unresponsive":
            self._disconnect(False)
        return error

    def _reset(self) -> bytes:
        if self._card is None:
            return self._power_on()
        scard = self._scard
        hresult, protocol = scard.SCardReconnect(
            self._card, scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1, scard.SCARD_RESET_CARD)
        if u32(hresult) != S_SUCCESS:
            raise self._lost(hresult)
        self._protocol = protocol
        return self._atr()

    def _transmit(self, apdu: bytes) -> bytes:
        if self._card is None:
            self._power_on()
        hresult, response = self._scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if u32(hresult) != S_SUCCESS:
            raise self._lost(hresult)
        if len(response) < 2:
            # No status word: vpcd (and some readers) answer so when the card left mid-APDU.
            code = self._why_failed()
            if code != "card_unresponsive":
                self._disconnect(False)
            raise CardError(code=code)
        return bytes(response)

    def _why_failed(self, wait_ms: int = 1000) -> str:
        """After a failure without a clear PC/SC code, ask pcscd whether the card is still there."""
        if self._context is None:
            return "pcsc_unavailable"
        return failed_exchange_code(self._scard, self._context, self.reader, wait_ms)

    def _disconnect(self, unpower: bool) -> None:
        card, self._card = self._card, None
        if card is not None:
            scard = self._scard
            scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD if unpower
                                  else scard.SCARD_LEAVE_CARD)

    def _close(self) -> None:
        try:
            self._disconnect(True)
        finally:
            if self._context is not None:
                self._drop_context()
