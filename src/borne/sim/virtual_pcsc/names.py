"""pyscard's names for the winscard numbers, and pcsc-lite's texts for its return codes.

The values come from :mod:`borne.readers.pcsc.vocabulary`, the box's own; a unit
test checks them against pyscard's where pyscard loads.
"""

from __future__ import annotations

from borne.readers.pcsc import vocabulary as v

__all__ = ["PyscardNames", "error_message"]

_MESSAGES = {
    v.S_SUCCESS: "Command successful.", v.F_INTERNAL_ERROR: "Internal error.",
    v.E_CANCELLED: "Command cancelled.", v.E_INVALID_HANDLE: "Invalid handle.",
    v.E_INVALID_PARAMETER: "Invalid parameter given.",
    v.E_UNKNOWN_READER: "Unknown reader specified.", v.E_TIMEOUT: "Command timeout.",
    v.E_SHARING_VIOLATION: "Sharing violation.", v.E_NO_SMARTCARD: "No smart card inserted.",
    v.E_PROTO_MISMATCH: "Card protocol mismatch.", v.E_INVALID_VALUE: "Invalid value given.",
    v.F_COMM_ERROR: "RPC transport error.", v.E_NOT_TRANSACTED: "Transaction failed.",
    v.E_READER_UNAVAILABLE: "Reader is unavailable.", v.E_NO_SERVICE: "Service not available.",
    v.E_SERVICE_STOPPED: "Service was stopped.",
    v.E_NO_READERS_AVAILABLE: "Cannot find a smart card reader.",
    v.W_UNRESPONSIVE_CARD: "Card is unresponsive.", v.W_UNPOWERED_CARD: "Card is unpowered.",
    v.W_RESET_CARD: "Card was reset.", v.W_REMOVED_CARD: "Card was removed.",
}


def error_message(code: int) -> str:
    """pcsc-lite's text for a return code (``pcsc_stringify_error``)."""
    code = v.u32(code)
    return _MESSAGES.get(code, f"Unknown error: 0x{code:08X}")


class PyscardNames:
    """pyscard's names for the winscard numbers the box uses (``scard.SCARD_...``)."""

    SCARD_S_SUCCESS = v.S_SUCCESS
    SCARD_F_INTERNAL_ERROR = v.F_INTERNAL_ERROR
    SCARD_E_CANCELLED = v.E_CANCELLED
    SCARD_E_INVALID_HANDLE = v.E_INVALID_HANDLE
    SCARD_E_INVALID_PARAMETER = v.E_INVALID_PARAMETER
    SCARD_E_INSUFFICIENT_BUFFER = v.E_INSUFFICIENT_BUFFER
    SCARD_E_UNKNOWN_READER = v.E_UNKNOWN_READER
    SCARD_E_TIMEOUT = v.E_TIMEOUT
    SCARD_E_SHARING_VIOLATION = v.E_SHARING_VIOLATION
    SCARD_E_NO_SMARTCARD = v.E_NO_SMARTCARD
    SCARD_E_PROTO_MISMATCH = v.E_PROTO_MISMATCH
    SCARD_E_INVALID_VALUE = v.E_INVALID_VALUE
    SCARD_F_COMM_ERROR = v.F_COMM_ERROR
    SCARD_E_NOT_TRANSACTED = v.E_NOT_TRANSACTED
    SCARD_E_READER_UNAVAILABLE = v.E_READER_UNAVAILABLE
    SCARD_E_NO_SERVICE = v.E_NO_SERVICE
    SCARD_E_SERVICE_STOPPED = v.E_SERVICE_STOPPED
    SCARD_E_NO_READERS_AVAILABLE = v.E_NO_READERS_AVAILABLE
    SCARD_W_UNRESPONSIVE_CARD = v.W_UNRESPONSIVE_CARD
    SCARD_W_UNPOWERED_CARD = v.W_UNPOWERED_CARD
    SCARD_W_RESET_CARD = v.W_RESET_CARD
    SCARD_W_REMOVED_CARD = v.W_REMOVED_CARD
    SCARD_STATE_UNAWARE = v.STATE_UNAWARE
    SCARD_STATE_IGNORE = v.STATE_IGNORE
    SCARD_STATE_CHANGED = v.STATE_CHANGED
    SCARD_STATE_UNKNOWN = v.STATE_UNKNOWN
    SCARD_STATE_UNAVAILABLE = v.STATE_UNAVAILABLE
    SCARD_STATE_EMPTY = v.STATE_EMPTY
    SCARD_STATE_PRESENT = v.STATE_PRESENT
    SCARD_STATE_ATRMATCH = v.STATE_ATRMATCH
    SCARD_STATE_EXCLUSIVE = v.STATE_EXCLUSIVE
    SCARD_STATE_INUSE = v.STATE_INUSE
    SCARD_STATE_MUTE = v.STATE_MUTE
    SCARD_STATE_UNPOWERED = v.STATE_UNPOWERED
    SCARD_SCOPE_USER = v.SCOPE_USER
    SCARD_SHARE_EXCLUSIVE = v.SHARE_EXCLUSIVE
    SCARD_SHARE_SHARED = v.SHARE_SHARED
    SCARD_SHARE_DIRECT = v.SHARE_DIRECT
    SCARD_PROTOCOL_UNDEFINED = v.PROTOCOL_UNDEFINED
    SCARD_PROTOCOL_T0 = v.PROTOCOL_T0
    SCARD_PROTOCOL_T1 = v.PROTOCOL_T1
    SCARD_PROTOCOL_RAW = v.PROTOCOL_RAW
    SCARD_PCI_T0 = v.PROTOCOL_T0
    SCARD_PCI_T1 = v.PROTOCOL_T1
    SCARD_PCI_RAW = v.PROTOCOL_RAW
    SCARD_LEAVE_CARD = v.LEAVE_CARD
    SCARD_RESET_CARD = v.RESET_CARD
    SCARD_UNPOWER_CARD = v.UNPOWER_CARD
    SCARD_EJECT_CARD = v.EJECT_CARD
    INFINITE = v.INFINITE
