"""The CCID class descriptor (CCID rev 1.1, section 5.1, table 5.1-1), built as bytes.

The workstation's CCID driver reads it from the interface's descriptors and decides from
it how to talk to the reader. On USB the box exchanges whole APDUs (short and extended APDU
level, dwFeatures 0x00040000) and lets the reader do everything automatically: the driver
then sends neither PPS nor SetParameters of its own and never talks TPDU or characters.
The serial twin is driven at TPDU level (0x00010000) instead: libccid hard-codes that for
every serial reader, so ``CcidSettings.exchange_level`` says which one the device keeps to.

The dwFeatures bits are table 5.1-1's, named as LudovicRousseau/CCID ``src/ccid.h`` names
them (``CCID_CLASS_AUTO_CONF_ATR`` 0x02 ... ``CCID_CLASS_EXTENDED_APDU`` 0x00040000).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

__all__ = ["DESCRIPTOR_LENGTH", "FEATURES", "CcidSettings", "ExchangeLevel", "class_descriptor"]

DESCRIPTOR_LENGTH = 0x36  # 54 bytes
CCID_DESCRIPTOR_TYPE = 0x21  # "functional" class descriptor (section 5.1)
BCD_CCID = 0x0110  # release 1.10

VOLTAGE_5V = 0x01
VOLTAGE_3V = 0x02
VOLTAGE_1V8 = 0x04
PROTOCOL_T0 = 0x0001
PROTOCOL_T1 = 0x0002

# dwFeatures (table 5.1-1).
AUTO_CONF_ATR = 0x00000002  # automatic parameter configuration based on the ATR
AUTO_ACTIVATION = 0x00000004  # automatic activation of the ICC on insertion
AUTO_VOLTAGE = 0x00000008  # automatic ICC voltage selection
AUTO_CLOCK = 0x00000010  # automatic ICC clock frequency change
AUTO_BAUD = 0x00000020  # automatic baud rate change
AUTO_PPS_PROP = 0x00000040  # automatic PPS made by the CCID
AUTO_IFSD = 0x00000400  # automatic IFSD exchange as first exchange (T=1)
TPDU_LEVEL = 0x00010000  # TPDU level exchange
EXTENDED_APDU = 0x00040000  # short and extended APDU level exchange
FEATURES = (AUTO_CONF_ATR | AUTO_ACTIVATION | AUTO_VOLTAGE | AUTO_CLOCK | AUTO_BAUD
            | AUTO_PPS_PROP | AUTO_IFSD | EXTENDED_APDU)

DEFAULT_CLOCK_KHZ = 3580  # 3.58 MHz, ISO 7816-3's usual clock
DATA_RATE_BPS = 9600  # F=372, D=1 at 3.58 MHz
MAX_DATA_RATE_BPS = 344086  # F=372, D=32 at 3.58 MHz (nominal: the box talks APDUs)
MAX_IFSD = 254

# Section 5.1: dwMaxCCIDMessageLength is between 261 + 10 and 65544 + 10 bytes; the
# top is one whole extended APDU (4 + 3 + 65535 + 2) and the header.
MIN_MESSAGE_LENGTH = 261 + 10
MAX_MESSAGE_LENGTH = 65544 + 10

_LAYOUT = struct.Struct("<BBHBBIIIBIIBIIIIIBBHBB")

#: What an XfrBlock carries: a whole APDU (USB) or a TPDU, T=0 header or T=1 block (serial).
ExchangeLevel = Literal["apdu", "tpdu"]


@dataclass(frozen=True, slots=True)
class CcidSettings:
    """What the descriptor depends on: how many slots, the largest message, the exchange level."""

    slot_count: int = 2
    max_message_length: int = MAX_MESSAGE_LENGTH
    exchange_level: ExchangeLevel = "apdu"

    def __post_init__(self) -> None:
        if self.exchange_level not in ("apdu", "tpdu"):
            raise ValueError(f"exchange_level is 'apdu' or 'tpdu', not {self.exchange_level!r}")
        if not 1 <= self.slot_count <= 16:
            raise ValueError(f"a CCID reader has 1 to 16 slots, not {self.slot_count}")
        if not MIN_MESSAGE_LENGTH <= self.max_message_length <= MAX_MESSAGE_LENGTH:
            raise ValueError(
                f"dwMaxCCIDMessageLength must be {MIN_MESSAGE_LENGTH}..{MAX_MESSAGE_LENGTH}, "
                f"not {self.max_message_length}")


def class_descriptor(settings: CcidSettings) -> bytes:
    """The 54-byte CCID class descriptor for ``settings`` (table 5.1-1, in order)."""
    return _LAYOUT.pack(
        DESCRIPTOR_LENGTH,  # bLength
        CCID_DESCRIPTOR_TYPE,  # bDescriptorType
        BCD_CCID,  # bcdCCID
        settings.slot_count - 1,  # bMaxSlotIndex
        VOLTAGE_5V | VOLTAGE_3V | VOLTAGE_1V8,  # bVoltageSupport
        PROTOCOL_T0 | PROTOCOL_T1,  # dwProtocols
        DEFAULT_CLOCK_KHZ,  # dwDefaultClock
        DEFAULT_CLOCK_KHZ,  # dwMaximumClock
        0,  # bNumClockSupported: only the default
        DATA_RATE_BPS,  # dwDataRate
        MAX_DATA_RATE_BPS,  # dwMaxDataRate
        0,  # bNumDataRatesSupported: any between the two
        MAX_IFSD,  # dwMaxIFSD
        0,  # dwSynchProtocols
        0,  # dwMechanical: none
        _features(settings.exchange_level),  # dwFeatures
        settings.max_message_length,  # dwMaxCCIDMessageLength
        0xFF,  # bClassGetResponse: echo the APDU's class
        0xFF,  # bClassEnvelope: echo the APDU's class
        0x0000,  # wLcdLayout: no LCD
        0,  # bPINSupport: no PIN pad (PIN entry stays with the workstation's software)
        1,  # bMaxCCIDBusySlots: one command at a time
    )


def _features(level: ExchangeLevel) -> int:
    if level == "tpdu":
        # The host's driver then speaks T=1 itself, IFSD exchange included (AUTO_IFSD off).
        return (FEATURES & ~(EXTENDED_APDU | AUTO_IFSD)) | TPDU_LEVEL
    return FEATURES
