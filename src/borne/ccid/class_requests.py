"""CCID class-specific control requests on ep0 (CCID rev 1.1, section 5.3, table 5.3-1).

==========================  =============  ========  ===================  =========
request                     bmRequestType  bRequest  wValue               wLength
==========================  =============  ========  ===================  =========
ABORT                       0x21           0x01      bSeq << 8 | bSlot    0
GET_CLOCK_FREQUENCIES       0xA1           0x02      0                    4 * n
GET_DATA_RATES              0xA1           0x03      0                    4 * n
==========================  =============  ========  ===================  =========

ABORT is the first half of an abort (section 5.3.1): the host then sends
``PC_to_RDR_Abort`` with the same bSlot and bSeq on bulk-OUT, which
:class:`~borne.ccid.device.CcidDevice` answers. The box finishes every command before it
reads the next, so nothing is ever left to abort: the request is acknowledged. The two
GET requests answer arrays of little-endian dwords; Microsoft asks readers to implement
them even with automatic clock and baud rate ("Microsoft Class Drivers for USB CCID Smart
Cards", USB CCID class driver details). Anything else is stalled (USB 2.0 section 9.2.7:
a request the function does not understand gets a STALL on the control pipe).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .descriptor import DATA_RATE_BPS, DEFAULT_CLOCK_KHZ, MAX_DATA_RATE_BPS
from .ffs_descriptors import Setup

__all__ = ["ABORT", "GET_CLOCK_FREQUENCIES", "GET_DATA_RATES", "ControlAnswer", "answer_request"]

ABORT = 0x01
GET_CLOCK_FREQUENCIES = 0x02
GET_DATA_RATES = 0x03
CLASS_INTERFACE_OUT = 0x21
CLASS_INTERFACE_IN = 0xA1

CLOCKS_KHZ = (DEFAULT_CLOCK_KHZ,)
DATA_RATES_BPS = (DATA_RATE_BPS, MAX_DATA_RATE_BPS)


@dataclass(frozen=True, slots=True)
class ControlAnswer:
    """What ep0 does with a request: send ``data`` (IN), acknowledge (OUT), or stall.

    ``aborted`` is the (slot, seq) an ABORT named, for the log.
    """

    stall: bool = False
    data: bytes | None = None
    aborted: tuple[int, int] | None = None


STALL = ControlAnswer(stall=True)


def answer_request(setup: Setup) -> ControlAnswer:
    """The answer to one control request FunctionFS passed up (never raises)."""
    if setup.request_type == CLASS_INTERFACE_OUT and setup.request == ABORT:
        if setup.length != 0:
            return STALL
        return ControlAnswer(aborted=(setup.value & 0xFF, setup.value >> 8))
    if setup.request_type == CLASS_INTERFACE_IN and setup.value == 0:
        values = {GET_CLOCK_FREQUENCIES: CLOCKS_KHZ, GET_DATA_RATES: DATA_RATES_BPS}.get(setup.request)
        if values is not None:
            data = struct.pack(f"<{len(values)}I", *values)
            # USB 2.0 section 9.3.5: never more than wLength; less is a short answer.
            return ControlAnswer(data=data[:setup.length])
    return STALL
