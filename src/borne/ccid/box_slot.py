"""A box slot as the CCID core sees it, from the transport's thread.

:class:`borne.ccid.device.CcidDevice` runs on the transport's worker thread and calls its
slots synchronously; :class:`BoxSlot` hands each call to :class:`~.host_slots.HostSlots` on
the event loop and waits for the answer (the transport thread may block: the host waits
for its answer anyway). A call that fails raises :class:`~.host_slots.SlotRefused`, which
the core answers with the CCID error of a failed command.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from .host_slots import HostSlots, SlotRefused

__all__ = ["BoxSlot"]

#: Longest wait for one call on the loop: a power-on waiting for the box's own read
#: (``host_slots.READ_WAIT_S``) and a slow card's answer both fit.
CALL_TIMEOUT_S = 20.0


class BoxSlot:
    """Host slot ``index`` of ``slots``, callable from any thread but the loop's."""

    def __init__(self, slots: HostSlots, index: int, loop: asyncio.AbstractEventLoop) -> None:
        self._slots = slots
        self._index = index
        self._loop = loop

    @property
    def present(self) -> bool:
        """A card is in the box slot behind this one."""
        return self._slots.present(self._index)

    @property
    def powered(self) -> bool:
        """The host powered the card and holds the slot."""
        return self._slots.powered(self._index)

    @property
    def busy(self) -> bool:
        """A paired workstation's lease holds the slot."""
        return self._slots.busy(self._index)

    def take_change(self) -> bool:
        """True once after the card lost its power without the host asking (see
        :meth:`HostSlots.take_change`)."""
        return self._slots.take_change(self._index)

    def power_on(self) -> bytes:
        """Power or reset the card; its ATR."""
        return self._call(self._slots.power_on(self._index))

    def power_off(self) -> None:
        """Unpower the card; the box reads the slot again."""
        self._call(self._slots.power_off(self._index))

    def transmit(self, apdu: bytes) -> bytes:
        """One command APDU; the whole response APDU."""
        return self._call(self._slots.transmit(self._index, apdu))

    def _call(self, coroutine: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(CALL_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise SlotRefused("card_unresponsive") from None
        except concurrent.futures.CancelledError:
            raise SlotRefused("released") from None  # the daemon stops
