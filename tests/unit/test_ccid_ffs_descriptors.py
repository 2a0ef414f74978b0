"""The FunctionFS blobs for one CCID interface and the ep0 events, as bytes
(layouts: Linux include/uapi/linux/usb/functionfs.h; CCID rev 1.1 sections 4 and 5)."""

from __future__ import annotations

import struct

import pytest

from borne.ccid.descriptor import CcidSettings, class_descriptor
from borne.ccid.ffs_descriptors import (
    DISABLE,
    ENABLE,
    SETUP,
    Setup,
    descriptors_blob,
    event_bytes,
    parse_events,
    strings_blob,
)

CCID = class_descriptor(CcidSettings(slot_count=1))


def test_descriptors_blob_has_the_v2_head_and_five_descriptors_per_speed():
    blob = descriptors_blob(CCID)
    magic, length, flags, fs_count, hs_count = struct.unpack_from("<5I", blob)
    assert (magic, length, flags, fs_count, hs_count) == (3, len(blob), 3, 5, 5)
    per_speed = 9 + 54 + 7 * 3
    assert len(blob) == 20 + 2 * per_speed
    for speed, (bulk, interval) in enumerate(((64, 16), (512, 8))):
        part = blob[20 + speed * per_speed:20 + (speed + 1) * per_speed]
        assert part[:9] == bytes([9, 4, 0, 0, 3, 0x0B, 0, 0, 1])
        assert part[9:63] == CCID
        assert part[63:70] == bytes([7, 5, 0x01, 2]) + struct.pack("<HB", bulk, 0)
        assert part[70:77] == bytes([7, 5, 0x82, 2]) + struct.pack("<HB", bulk, 0)
        assert part[77:84] == bytes([7, 5, 0x83, 3]) + struct.pack("<HB", 16, interval)


def test_descriptors_blob_refuses_what_the_kernel_would():
    with pytest.raises(ValueError):
        descriptors_blob(CCID[:53])
    with pytest.raises(ValueError):
        descriptors_blob(b"\x36\x24" + CCID[2:])


def test_strings_blob_is_one_language_one_string():
    blob = strings_blob("Borne CPS")
    assert blob == (struct.pack("<IIII", 2, len(blob), 1, 1) + struct.pack("<H", 0x0409)
                    + b"Borne CPS\x00")


@pytest.mark.parametrize("name", ["", "a\x00b", "x" * 127])
def test_strings_blob_refuses_a_bad_name(name):
    with pytest.raises(ValueError):
        strings_blob(name)


def test_events_are_parsed_twelve_bytes_at_a_time():
    setup = Setup(0xA1, 0x02, 0, 0, 4)
    data = event_bytes(ENABLE) + event_bytes(SETUP, setup) + event_bytes(DISABLE)
    assert data[12:] == bytes([0xA1, 0x02, 0, 0, 0, 0, 4, 0, SETUP, 0, 0, 0]) + event_bytes(DISABLE)
    events = parse_events(data + b"\x01\x02")  # a partial trailing event is ignored
    assert [e.name for e in events] == ["enable", "setup", "disable"]
    assert events[1].setup == setup and events[1].setup.device_to_host
    assert parse_events(event_bytes(9))[0].name == "unknown-9"
