"""The CCID class descriptor, byte by byte against table 5.1-1 (CCID rev 1.1)."""

from __future__ import annotations

import pytest

from borne.ccid.descriptor import CcidSettings, class_descriptor

# Table 5.1-1, in order, for 2 slots and a 271-byte maximum message.
EXPECTED = bytes.fromhex(
    "36"  # bLength 54
    "21"  # bDescriptorType: CCID functional descriptor
    "1001"  # bcdCCID 1.10
    "01"  # bMaxSlotIndex: slots 0 and 1
    "07"  # bVoltageSupport 5V | 3V | 1.8V
    "03000000"  # dwProtocols T=0 | T=1
    "FC0D0000"  # dwDefaultClock 3580 kHz
    "FC0D0000"  # dwMaximumClock 3580 kHz
    "00"  # bNumClockSupported
    "80250000"  # dwDataRate 9600 bps
    "16400500"  # dwMaxDataRate 344086 bps
    "00"  # bNumDataRatesSupported
    "FE000000"  # dwMaxIFSD 254
    "00000000"  # dwSynchProtocols
    "00000000"  # dwMechanical
    "7E040400"  # dwFeatures: auto ATR/activation/voltage/clock/baud/PPS, IFSD, extended APDU
    "0F010000"  # dwMaxCCIDMessageLength 271
    "FF"  # bClassGetResponse
    "FF"  # bClassEnvelope
    "0000"  # wLcdLayout
    "00"  # bPINSupport
    "01"  # bMaxCCIDBusySlots
)


def test_the_descriptor_is_table_5_1_1_byte_by_byte():
    built = class_descriptor(CcidSettings(slot_count=2, max_message_length=271))
    assert len(built) == 54
    assert built.hex(" ") == EXPECTED.hex(" ")


def test_the_slot_count_and_message_length_follow_the_settings():
    built = class_descriptor(CcidSettings(slot_count=3))
    assert built[4] == 2
    assert int.from_bytes(built[44:48], "little") == 65554
    assert int.from_bytes(built[40:44], "little") & 0x00070000 == 0x00040000


@pytest.mark.parametrize("kwargs", [
    {"slot_count": 0}, {"slot_count": 17},
    {"max_message_length": 270}, {"max_message_length": 65555},
])
def test_settings_outside_the_spec_are_refused(kwargs):
    with pytest.raises(ValueError):
        CcidSettings(**kwargs)
