"""The bytes FunctionFS wants on ep0 for one CCID interface, and the events it reads back.

FunctionFS (Linux, ``drivers/usb/gadget/function/f_fs.c``) lets a user-space program be one
function of a USB gadget: it writes two blobs to the function's ``ep0`` file (its USB
descriptors, then its strings), the kernel then creates one file per endpoint (``ep1``,
``ep2``... in the order of the endpoint descriptors), and ``ep0`` reads as a stream of
12-byte events. The layouts are the kernel's ``include/uapi/linux/usb/functionfs.h``:

==========================  ========================================================
``usb_functionfs_descs_head_v2``  le32 magic (3, ``FUNCTIONFS_DESCRIPTORS_MAGIC_V2``),
                            le32 length (the whole blob), le32 flags
                            (``FUNCTIONFS_HAS_FS_DESC`` 1 | ``HAS_HS_DESC`` 2), then one
                            le32 count per flag (fs_count, hs_count), then the full-speed
                            descriptors, then the high-speed ones
``usb_functionfs_strings_head``   le32 magic (2), le32 length, le32 str_count,
                            le32 lang_count, then per language: le16 code and
                            str_count NUL-terminated UTF-8 strings
``usb_functionfs_event``    ``usb_ctrlrequest`` (8 bytes: bRequestType, bRequest,
                            le16 wValue, le16 wIndex, le16 wLength), u8 type, 3 pad
==========================  ========================================================

f_fs.c accepts a class descriptor of type 0x21 inside an interface of class 0x0B only
when it is exactly ``sizeof(struct ccid_descriptor)`` (54 bytes, ``include/linux/usb/ccid.h``,
since Linux 5.0): :func:`borne.ccid.descriptor.class_descriptor` is that size.

One interface is one CCID reader (CCID rev 1.1, section 4: an interface of class 0x0B
with a bulk-OUT, a bulk-IN and an optional interrupt-IN endpoint; section 5.1 places the
class descriptor after the interface descriptor and before the endpoints). The box
exposes one single-slot interface per slot (docs/usb-reader.md, "Windows and slots").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "EVENT_SIZE",
    "EVENT_TYPES",
    "Event",
    "Setup",
    "descriptors_blob",
    "event_bytes",
    "parse_events",
    "strings_blob",
]

DESCRIPTORS_MAGIC_V2 = 3
STRINGS_MAGIC = 2
HAS_FS_DESC = 1
HAS_HS_DESC = 2

# enum usb_functionfs_event_type, in the header's order.
BIND, UNBIND, ENABLE, DISABLE, SETUP, SUSPEND, RESUME = range(7)
EVENT_TYPES = {BIND: "bind", UNBIND: "unbind", ENABLE: "enable", DISABLE: "disable",
               SETUP: "setup", SUSPEND: "suspend", RESUME: "resume"}
EVENT_SIZE = 12
_EVENT = struct.Struct("<BBHHHB3x")

INTERFACE_CLASS_CCID = 0x0B
ENDPOINT_BULK = 0x02
ENDPOINT_INTERRUPT = 0x03
DIR_IN = 0x80
LANG_EN_US = 0x0409

# Endpoint numbers as written; the UDC picks the real addresses, FunctionFS names the
# files after the order: ep1 bulk-OUT, ep2 bulk-IN, ep3 interrupt-IN.
BULK_OUT_ADDRESS = 0x01
BULK_IN_ADDRESS = DIR_IN | 0x02
INTERRUPT_IN_ADDRESS = DIR_IN | 0x03
ENDPOINT_FILES = ("ep1", "ep2", "ep3")

# USB 2.0 section 5.8.3: bulk packets are 64 bytes at full speed, 512 at high speed.
# Section 9.6.6: bInterval is in frames (1 ms) at full speed, 2**(n-1) microframes
# (125 us) at high speed: 16 ms both ways, as common CCID readers poll.
_SPEEDS = ((64, 16), (512, 8))
INTERRUPT_PACKET = 16  # NotifySlotChange is 2 bytes for up to 4 slots


@dataclass(frozen=True, slots=True)
class Setup:
    """A control request the host sent to the interface (USB 2.0 section 9.3)."""

    request_type: int
    request: int
    value: int
    index: int
    length: int

    @property
    def device_to_host(self) -> bool:
        """The data stage (if any) goes to the host: the answer is written to ep0."""
        return bool(self.request_type & DIR_IN)


@dataclass(frozen=True, slots=True)
class Event:
    """One ep0 event: its type (``EVENT_TYPES`` names it), and the request for a SETUP."""

    type: int
    setup: Setup | None = None

    @property
    def name(self) -> str:
        """``bind``, ``enable``, ``setup``... or ``unknown-N`` for a type this code does not know."""
        return EVENT_TYPES.get(self.type, f"unknown-{self.type}")


def _interface(string_index: int) -> bytes:
    # USB 2.0 table 9-12: bLength, bDescriptorType 4, bInterfaceNumber (FunctionFS
    # renumbers), bAlternateSetting, bNumEndpoints, class, subclass, protocol, iInterface.
    return struct.pack("<9B", 9, 4, 0, 0, 3, INTERFACE_CLASS_CCID, 0, 0, string_index)


def _endpoint(address: int, attributes: int, packet: int, interval: int) -> bytes:
    # USB 2.0 table 9-13: bLength 7, bDescriptorType 5, address, attributes, wMaxPacketSize, bInterval.
    return struct.pack("<BBBBHB", 7, 5, address, attributes, packet, interval)


def descriptors_blob(class_descriptor: bytes) -> bytes:
    """The v2 descriptors blob for one CCID interface (full and high speed).

    Each speed lists 5 descriptors: the interface (class 0x0B, 3 endpoints, string 1),
    the 54-byte CCID class descriptor, bulk-OUT, bulk-IN, interrupt-IN.
    """
    if len(class_descriptor) != 54 or class_descriptor[1] != 0x21:
        raise ValueError("a CCID class descriptor is 54 bytes of type 0x21 (CCID 5.1)")
    per_speed = []
    for bulk_packet, interval in _SPEEDS:
        per_speed.append(b"".join((
            _interface(1),
            class_descriptor,
            _endpoint(BULK_OUT_ADDRESS, ENDPOINT_BULK, bulk_packet, 0),
            _endpoint(BULK_IN_ADDRESS, ENDPOINT_BULK, bulk_packet, 0),
            _endpoint(INTERRUPT_IN_ADDRESS, ENDPOINT_INTERRUPT, INTERRUPT_PACKET, interval),
        )))
    body = struct.pack("<II", 5, 5) + b"".join(per_speed)
    head = struct.pack("<III", DESCRIPTORS_MAGIC_V2, 12 + len(body), HAS_FS_DESC | HAS_HS_DESC)
    return head + body


def strings_blob(interface_name: str) -> bytes:
    """The strings blob: one language (en-US), one string (the interface's name, string 1).

    Windows names a composite device's readers after their interfaces; pcscd's libccid
    shows it too. The device's manufacturer/product/serial strings are configfs's
    (:mod:`borne.ccid.gadget`), not the function's.
    """
    encoded = interface_name.encode("utf-8")
    if b"\x00" in encoded or not 0 < len(encoded) <= 126:
        raise ValueError("an interface name is 1 to 126 bytes of UTF-8 without NUL")
    body = struct.pack("<H", LANG_EN_US) + encoded + b"\x00"
    return struct.pack("<IIII", STRINGS_MAGIC, 16 + len(body), 1, 1) + body


def parse_events(data: bytes) -> list[Event]:
    """The events in what one read of ep0 returned (a whole number of 12-byte events).

    A trailing partial event (never sent by the kernel) is ignored rather than trusted.
    """
    events = []
    for offset in range(0, len(data) - EVENT_SIZE + 1, EVENT_SIZE):
        request_type, request, value, index, length, kind = _EVENT.unpack_from(data, offset)
        setup = Setup(request_type, request, value, index, length) if kind == SETUP else None
        events.append(Event(kind, setup))
    return events


def event_bytes(kind: int, setup: Setup | None = None) -> bytes:
    """One event as the kernel lays it out (for fake endpoint sets in tests and the bench)."""
    s = setup or Setup(0, 0, 0, 0, 0)
    return _EVENT.pack(s.request_type, s.request, s.value, s.index, s.length, kind)
