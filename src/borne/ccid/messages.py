"""CCID message layouts (CCID rev 1.1, sections 6.1 to 6.3), pure bytes.

Every bulk message starts with the same 10-byte header (section 6.1, 6.2):

======  ==============  =====================================================
offset  field           meaning
======  ==============  =====================================================
0       bMessageType    the command (bulk-OUT) or answer (bulk-IN) code
1-4     dwLength        length of abData after the header, little-endian
5       bSlot           the slot (0 .. bMaxSlotIndex)
6       bSeq            sequence number, echoed in the answer
7-9     3 bytes         message-specific (an answer: bStatus, bError, 1 byte)
======  ==============  =====================================================

The codes below are the specification's tables 6.1-1 and 6.2-1; they are the same in
LudovicRousseau/CCID ``src/commands.c`` (the host driver builds these headers) and in
frankmorgner/vsmartcard ``ccid/src/ccid.h`` (a device-side CCID emulator, which also
gives table 6.2-2's bError values ``CCID_BERROR_*`` used here).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "HEADER_LENGTH",
    "Header",
    "answer",
    "data_block",
    "data_rate_and_clock",
    "escape",
    "hardware_error",
    "notify_slot_change",
    "parameters",
    "parse_header",
    "slot_status",
    "status",
    "time_extension",
]

HEADER_LENGTH = 10
_HEADER = struct.Struct("<BIBB3s")

# Bulk-OUT commands, PC_to_RDR_* (section 6.1, table 6.1-1).
SET_PARAMETERS = 0x61
ICC_POWER_ON = 0x62
ICC_POWER_OFF = 0x63
GET_SLOT_STATUS = 0x65
SECURE = 0x69
T0_APDU = 0x6A
ESCAPE = 0x6B
GET_PARAMETERS = 0x6C
RESET_PARAMETERS = 0x6D
ICC_CLOCK = 0x6E
XFR_BLOCK = 0x6F
MECHANICAL = 0x71
ABORT = 0x72
SET_DATA_RATE_AND_CLOCK = 0x73

# Bulk-IN answers, RDR_to_PC_* (section 6.2, table 6.2-1).
DATA_BLOCK = 0x80
SLOT_STATUS = 0x81
PARAMETERS = 0x82
ESCAPE_ANSWER = 0x83
DATA_RATE_AND_CLOCK = 0x84

# Interrupt-IN messages (section 6.3).
NOTIFY_SLOT_CHANGE = 0x50
HARDWARE_ERROR = 0x51

# Which answer each command gets (section 6.1: each command's "response" line).
ANSWER_TYPE = {
    ICC_POWER_ON: DATA_BLOCK,
    ICC_POWER_OFF: SLOT_STATUS,
    GET_SLOT_STATUS: SLOT_STATUS,
    XFR_BLOCK: DATA_BLOCK,
    GET_PARAMETERS: PARAMETERS,
    RESET_PARAMETERS: PARAMETERS,
    SET_PARAMETERS: PARAMETERS,
    ESCAPE: ESCAPE_ANSWER,
    ICC_CLOCK: SLOT_STATUS,
    T0_APDU: SLOT_STATUS,
    SECURE: DATA_BLOCK,
    MECHANICAL: SLOT_STATUS,
    ABORT: SLOT_STATUS,
    SET_DATA_RATE_AND_CLOCK: DATA_RATE_AND_CLOCK,
}

# bStatus (section 6.2.6, table 6.2-3): bmICCStatus in bits 0-1, bmCommandStatus in bits
# 6-7. LudovicRousseau/CCID src/ccid.h: CCID_ICC_PRESENT_ACTIVE 0x00, ..._INACTIVE 0x01,
# CCID_ICC_ABSENT 0x02, CCID_COMMAND_FAILED 0x40, CCID_TIME_EXTENSION 0x80.
ICC_ACTIVE = 0
ICC_INACTIVE = 1
ICC_ABSENT = 2
COMMAND_OK = 0
COMMAND_FAILED = 1
TIME_EXTENSION = 2

# bError (section 6.2.6, table 6.2-2); vsmartcard ccid/src/ccid.h CCID_BERROR_*.
CMD_ABORTED = 0xFF
ICC_MUTE = 0xFE
XFR_PARITY_ERROR = 0xFD
XFR_OVERRUN = 0xFC
HW_ERROR = 0xFB
BAD_ATR_TS = 0xF8
BAD_ATR_TCK = 0xF7
ICC_PROTOCOL_NOT_SUPPORTED = 0xF6
ICC_CLASS_NOT_SUPPORTED = 0xF5
PROCEDURE_BYTE_CONFLICT = 0xF4
DEACTIVATED_PROTOCOL = 0xF3
BUSY_WITH_AUTO_SEQUENCE = 0xF2
PIN_TIMEOUT = 0xF0
PIN_CANCELLED = 0xEF
CMD_SLOT_BUSY = 0xE0
# Table 6.2-2: 0x01..0x7F is "the offset of the bad parameter" in the command; 0x00 with
# a failed bmCommandStatus is "command not supported".
CMD_NOT_SUPPORTED = 0x00
BAD_LENGTH = 1  # offset of dwLength
BAD_SLOT = 5  # offset of bSlot
BAD_POWER_SELECT = 7  # offset of bPowerSelect (IccPowerOn)
BAD_PROTOCOL_NUM = 7  # offset of bProtocolNum (SetParameters)
BAD_CLOCK_COMMAND = 7  # offset of bClockCommand (IccClock)

# bHardwareErrorCode of RDR_to_PC_HardwareError (section 6.3.2): 0x01 overcurrent.
OVERCURRENT = 0x01


@dataclass(frozen=True, slots=True)
class Header:
    """A bulk message's 10-byte header, decoded (section 6.1)."""

    message_type: int
    length: int
    slot: int
    seq: int
    specific: bytes  # the 3 message-specific bytes (offsets 7, 8, 9)


def parse_header(message: bytes) -> Header:
    """Decode the header of ``message`` (at least 10 bytes; ``ValueError`` otherwise)."""
    if len(message) < HEADER_LENGTH:
        raise ValueError(f"CCID message shorter than its header: {len(message)} bytes")
    message_type, length, slot, seq, specific = _HEADER.unpack_from(message)
    return Header(message_type, length, slot, seq, specific)


def status(icc: int, command: int = COMMAND_OK) -> int:
    """bStatus: ``icc`` (bmICCStatus, bits 0-1) and ``command`` (bmCommandStatus, bits 6-7)."""
    return (icc & 0x03) | ((command & 0x03) << 6)


def answer(message_type: int, slot: int, seq: int, b_status: int, b_error: int,
           last: int = 0, data: bytes = b"") -> bytes:
    """One bulk-IN answer: header (bStatus at 7, bError at 8, ``last`` at 9), then ``data``."""
    return _HEADER.pack(message_type, len(data), slot, seq,
                        bytes((b_status, b_error, last))) + data


def data_block(slot: int, seq: int, b_status: int, b_error: int = 0, data: bytes = b"",
               chain: int = 0) -> bytes:
    """RDR_to_PC_DataBlock (0x80, section 6.2.1): byte 9 is bChainParameter."""
    return answer(DATA_BLOCK, slot, seq, b_status, b_error, chain, data)


def time_extension(slot: int, seq: int, icc: int = ICC_ACTIVE, multiplier: int = 1) -> bytes:
    """A DataBlock asking the host to wait longer (section 6.2.6: bmCommandStatus 2).

    Sent while a slow card has not answered yet; bError carries the multiplier of the
    waiting time. The real answer, with the same bSeq, follows.
    """
    return data_block(slot, seq, status(icc, TIME_EXTENSION), multiplier)


def slot_status(slot: int, seq: int, b_status: int, b_error: int = 0, clock: int = 0) -> bytes:
    """RDR_to_PC_SlotStatus (0x81, section 6.2.2): byte 9 is bClockStatus (0 running)."""
    return answer(SLOT_STATUS, slot, seq, b_status, b_error, clock)


def parameters(slot: int, seq: int, b_status: int, b_error: int = 0, protocol: int = 0,
               data: bytes = b"") -> bytes:
    """RDR_to_PC_Parameters (0x82, section 6.2.3): byte 9 bProtocolNum, then the structure."""
    return answer(PARAMETERS, slot, seq, b_status, b_error, protocol, data)


def escape(slot: int, seq: int, b_status: int, b_error: int = 0, data: bytes = b"") -> bytes:
    """RDR_to_PC_Escape (0x83, section 6.2.4): byte 9 is RFU."""
    return answer(ESCAPE_ANSWER, slot, seq, b_status, b_error, 0, data)


def data_rate_and_clock(slot: int, seq: int, b_status: int, b_error: int = 0,
                        clock_khz: int = 0, data_rate_bps: int = 0) -> bytes:
    """RDR_to_PC_DataRateAndClockFrequency (0x84, section 6.2.5).

    abData is dwClockFrequency (kHz) then dwDataRate (bps), both little-endian (dwLength 8).
    """
    data = struct.pack("<II", clock_khz, data_rate_bps)
    return answer(DATA_RATE_AND_CLOCK, slot, seq, b_status, b_error, 0, data)


def notify_slot_change(present: list[bool], changed: list[bool]) -> bytes:
    """RDR_to_PC_NotifySlotChange (0x50, section 6.3.1), for the interrupt-IN endpoint.

    bmSlotICCState gives 2 bits per slot, slot 0 in the lowest bits of the first byte:
    bit 0 the card is present, bit 1 its state changed. Its size is the number of slots
    rounded up to 4 slots a byte.
    """
    if len(present) != len(changed):
        raise ValueError("present and changed must name the same slots")
    state = bytearray((len(present) + 3) // 4)
    for index, (is_present, has_changed) in enumerate(zip(present, changed, strict=True)):
        bits = (1 if is_present else 0) | (2 if has_changed else 0)
        state[index // 4] |= bits << (2 * (index % 4))
    return bytes((NOTIFY_SLOT_CHANGE,)) + bytes(state)


def hardware_error(slot: int, seq: int, code: int = OVERCURRENT) -> bytes:
    """RDR_to_PC_HardwareError (0x51, section 6.3.2): bSlot, bSeq, bHardwareErrorCode."""
    return bytes((HARDWARE_ERROR, slot, seq, code))
