"""The PC/SC vocabulary every PC/SC user in borne shares: numbers, stable codes, diagnosis.

The reader backend (:mod:`borne.readers.pcsc.backend`) and the APDU channel's
card connection (:mod:`borne.apdu.exchange`) both speak to pcscd through a
``scard`` module: pyscard's ``smartcard.scard`` on the box (:func:`load_scard`,
the one place pyscard is imported), or any object with the same functions and
``SCARD_*`` constants (the simulator's in-memory pcscd in the fast tests).
Here is what they share:

- winscard.h's numbers (return codes, reader-state bits, share modes,
  protocols, dispositions), defined as plain numbers so this module imports
  without pyscard;
- :func:`card_error_code`: a PC/SC return code met while using a card, as one
  of borne's stable error codes;
- :func:`failed_exchange_code`: why an exchange failed when PC/SC did not say.

============================================================  ======================
PC/SC return code                                             borne code
============================================================  ======================
``W_REMOVED_CARD``, ``E_NO_SMARTCARD``, ``W_RESET_CARD``      ``card_removed``
``E_UNKNOWN_READER``, ``E_READER_UNAVAILABLE``                ``reader_unavailable``
one of :data:`SERVICE_LOST` (pcscd gone)                      ``pcsc_unavailable``
``W_UNRESPONSIVE_CARD``, ``W_UNPOWERED_CARD``, ``E_TIMEOUT``  ``card_unresponsive``
``E_PROTO_MISMATCH``                                          ``card_connect_failed``
anything else                                                 ``card_protocol_error``
============================================================  ======================
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

__all__ = [
    "PNP_READER", "SERVICE_LOST", "card_error_code", "failed_exchange_code", "load_scard", "u32",
]

#: pcsc-lite's pseudo-reader: waiting on it wakes up when a reader is plugged or unplugged.
PNP_READER = "\\\\?PnP?\\Notification"

# -- return codes (winscard.h, normalised to unsigned 32 bits) ------------------------------
S_SUCCESS = 0x0
F_INTERNAL_ERROR = 0x80100001
E_CANCELLED = 0x80100002
E_INVALID_HANDLE = 0x80100003
E_INVALID_PARAMETER = 0x80100004
E_INSUFFICIENT_BUFFER = 0x80100008
E_UNKNOWN_READER = 0x80100009
E_TIMEOUT = 0x8010000A
E_SHARING_VIOLATION = 0x8010000B
E_NO_SMARTCARD = 0x8010000C
E_PROTO_MISMATCH = 0x8010000F
E_INVALID_VALUE = 0x80100011
F_COMM_ERROR = 0x80100013
E_NOT_TRANSACTED = 0x80100016
E_READER_UNAVAILABLE = 0x80100017
E_NO_SERVICE = 0x8010001D
E_SERVICE_STOPPED = 0x8010001E
E_NO_READERS_AVAILABLE = 0x8010002E
W_UNRESPONSIVE_CARD = 0x80100066
W_UNPOWERED_CARD = 0x80100067
W_RESET_CARD = 0x80100068
W_REMOVED_CARD = 0x80100069

#: Codes meaning "pcscd is gone": drop the context and start over.
SERVICE_LOST = frozenset({E_NO_SERVICE, E_SERVICE_STOPPED, F_COMM_ERROR, E_INVALID_HANDLE,
                          F_INTERNAL_ERROR})

# -- reader states (SCARD_READERSTATE.dwEventState); pcsc-lite counts a reader's card
#    insertions and removals in the high 16 bits --------------------------------------------
STATE_UNAWARE = 0x0
STATE_IGNORE = 0x1
STATE_CHANGED = 0x2
STATE_UNKNOWN = 0x4
STATE_UNAVAILABLE = 0x8
STATE_EMPTY = 0x10
STATE_PRESENT = 0x20
STATE_ATRMATCH = 0x40
STATE_EXCLUSIVE = 0x80
STATE_INUSE = 0x100
STATE_MUTE = 0x200
STATE_UNPOWERED = 0x400

# -- context scope, share modes, protocols, dispositions, timeouts -------------------------
SCOPE_USER = 0x0
SHARE_EXCLUSIVE = 0x1
SHARE_SHARED = 0x2
SHARE_DIRECT = 0x3
PROTOCOL_UNDEFINED = 0x0
PROTOCOL_T0 = 0x1
PROTOCOL_T1 = 0x2
PROTOCOL_RAW = 0x4
LEAVE_CARD = 0x0
RESET_CARD = 0x1
UNPOWER_CARD = 0x2
EJECT_CARD = 0x3
INFINITE = 0x7FFFFFFF


def u32(hresult: int) -> int:
    """A PC/SC return code as an unsigned 32-bit number.

    pyscard returns HRESULTs signed on some platforms and unsigned on others.
    """
    return hresult & 0xFFFFFFFF


def load_scard() -> ModuleType:
    """pyscard's ``smartcard.scard``: imported here only, when a PC/SC user first needs it.

    Raises ImportError when pyscard (or the libpcsclite it loads) is missing.
    """
    from smartcard import scard

    return scard


def card_error_code(hresult: int) -> str:
    """Map a PC/SC error met while using a card to a stable borne code (table above)."""
    code = u32(hresult)
    if code in (W_REMOVED_CARD, E_NO_SMARTCARD, W_RESET_CARD):
        return "card_removed"
    if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE):
        return "reader_unavailable"
    if code in SERVICE_LOST:
        return "pcsc_unavailable"
    if code in (W_UNRESPONSIVE_CARD, W_UNPOWERED_CARD, E_TIMEOUT):
        return "card_unresponsive"
    if code == E_PROTO_MISMATCH:
        return "card_connect_failed"
    return "card_protocol_error"


def failed_exchange_code(scard: Any, context: int, reader: str, wait_ms: int = 1000) -> str:
    """After an exchange that failed without a clear PC/SC error, find out why.

    A card pulled mid-APDU often surfaces as a generic transport error
    (``SCARD_E_NOT_TRANSACTED``) or an empty answer before pcscd notices the
    removal, so ask pcscd and wait briefly for the slot to empty. pcscd gone
    or the reader gone are reported as such. Used by the box's own reads and by
    the APDU channel.
    """
    deadline = time.monotonic() + wait_ms / 1000
    state = STATE_PRESENT
    while True:
        remaining = int((deadline - time.monotonic()) * 1000)
        hresult, changes = scard.SCardGetStatusChange(context, max(remaining, 0), [(reader, state)])
        code = u32(hresult)
        if code in SERVICE_LOST:
            return "pcsc_unavailable"
        if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE):
            return "reader_unavailable"
        if code not in (S_SUCCESS, E_TIMEOUT) or not changes:
            return "card_protocol_error"
        state = changes[0][1] & ~STATE_CHANGED
        if state & (STATE_UNKNOWN | STATE_UNAVAILABLE):
            return "reader_unavailable"
        if not state & STATE_PRESENT:
            return "card_removed"
        if remaining <= 0:
            return "card_protocol_error"
