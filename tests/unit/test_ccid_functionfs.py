"""FunctionFsTransport over a fake endpoint set (socket pairs standing in for ep0..ep3).

What the kernel's FunctionFS does with these bytes is checked on a Pi only
(tests/hil/test_usb_gadget.py); here: the blobs written at start, the ep0 events, the
class requests, whole messages through bulk-OUT/bulk-IN, NotifySlotChange on interrupt-IN,
and a host sending garbage, which gets errors and stalls, never a hang.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from borne.ccid import messages as m
from borne.ccid.descriptor import CcidSettings, class_descriptor
from borne.ccid.device import CcidDevice
from borne.ccid.ffs_descriptors import DISABLE, RESUME, descriptors_blob, strings_blob
from borne.ccid.functionfs import FunctionFsTransport, UsbStrings
from support.ccid_cards import ECHO_ATR, echo_slot
from support.ffs_fake import FakeEndpoints

ATR = ECHO_ATR


def command(kind: int, seq: int = 0, data: bytes = b"", specific: bytes = b"\0\0\0",
            slot: int = 0) -> bytes:
    return struct.pack("<BIBB3s", kind, len(data), slot, seq, specific) + data


@pytest.fixture
def host():
    fake = FakeEndpoints()
    yield fake
    fake.close()


@pytest.fixture
def transport(host):
    card = echo_slot()
    device = CcidDevice([card], CcidSettings(slot_count=1, max_message_length=271))
    started = FunctionFsTransport(Path("/nonexistent"), device, strings=UsbStrings("Borne CPS"),
                                  presence=lambda: [card.present], endpoints=host)
    started.start()
    yield started
    started.stop()


def test_start_writes_the_descriptors_then_the_strings(host, transport):
    assert host.read("ep0") == descriptors_blob(class_descriptor(
        CcidSettings(slot_count=1, max_message_length=271)))
    assert host.read("ep0") == strings_blob("Borne CPS")


def test_start_without_the_function_raises_oserror():
    device = CcidDevice([echo_slot()], CcidSettings(slot_count=1))
    transport = FunctionFsTransport(Path("/nonexistent/ffs"), device, strings=UsbStrings("x"))
    with pytest.raises(OSError):
        transport.start()


def test_host_connected_follows_enable_and_disable(host, transport):
    host.read("ep0"), host.read("ep0")
    assert not transport.host_connected
    host.enable()
    assert host.read("ep3") == bytes([m.NOTIFY_SLOT_CHANGE, 0b11])  # 6.3.1: occupied slot reported
    assert transport.host_connected
    host.event(DISABLE)
    deadline = time.monotonic() + 2
    while transport.host_connected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not transport.host_connected


def test_resume_reports_the_occupied_slots_again(host, transport):
    host.enable()
    assert host.read("ep3") == bytes([0x50, 0b11])
    host.event(RESUME)
    assert host.read("ep3") == bytes([0x50, 0b11])


def test_notify_goes_to_interrupt_in_only_with_a_host(host, transport):
    transport.notify(bytes([0x50, 0b10]))
    assert host.nothing_on("ep3")
    host.enable()
    host.read("ep3")
    transport.notify(bytes([0x50, 0b10]))
    assert host.read("ep3") == bytes([0x50, 0b10])


def test_power_on_and_an_apdu_through_the_bulk_endpoints(host, transport):
    host.send_bulk(command(m.ICC_POWER_ON, seq=1))
    assert host.read("ep2") == m.data_block(0, 1, m.status(m.ICC_ACTIVE), 0, ATR)
    apdu = bytes.fromhex("00 A4 04 00 02 3F 00")
    host.send_bulk(command(m.XFR_BLOCK, seq=2, data=apdu))
    assert host.read("ep2") == m.data_block(0, 2, m.status(m.ICC_ACTIVE), 0, b"\x3f\x00\x90\x00")


def test_a_message_in_several_transfers_is_answered_once_whole(host, transport):
    host.send_bulk(command(m.ICC_POWER_ON, seq=1))
    host.read("ep2")
    whole = command(m.XFR_BLOCK, seq=3, data=bytes(5) + b"\xAB" * 100)
    host.send_bulk(whole[:64])
    host.send_bulk(whole[64:])
    answer = host.read("ep2")
    assert answer == m.data_block(0, 3, m.status(m.ICC_ACTIVE), 0, b"\xAB" * 100 + b"\x90\x00")
    assert host.nothing_on("ep2")


@pytest.mark.parametrize("request_type,code,length,expected", [
    (0xA1, 0x02, 4, b"data:" + struct.pack("<I", 3580)),
    (0xA1, 0x03, 8, b"data:" + struct.pack("<II", 9600, 344086)),
    (0xA1, 0x03, 4, b"data:" + struct.pack("<I", 9600)),  # never more than wLength
    (0x21, 0x01, 0, b"ack"),  # ABORT: the bulk PC_to_RDR_Abort follows
])
def test_class_requests_are_answered(host, transport, request_type, code, length, expected):
    host.read("ep0"), host.read("ep0")
    assert host.setup(request_type, code, value=0x0500 if code == 1 else 0,
                      length=length) == expected


@pytest.mark.parametrize("request_type,code,value,length", [
    (0xA1, 0x04, 0, 4),  # no such CCID request
    (0x21, 0x02, 0, 0),  # a GET sent host-to-device
    (0x21, 0x01, 0, 8),  # ABORT with a data stage
    (0xA1, 0x02, 1, 4),  # wValue must be 0
    (0xC0, 0x01, 0, 64),  # a vendor request
    (0x80, 0x06, 0x0300, 255),  # a standard request the kernel would have kept
])
def test_bad_setup_requests_are_stalled(host, transport, request_type, code, value, length):
    host.read("ep0"), host.read("ep0")
    assert host.setup(request_type, code, value=value, length=length) == b"stall"
    assert host.setup(0xA1, 0x02, length=4).startswith(b"data:")  # ep0 still serves


def test_stop_is_prompt_and_idempotent(host):
    device = CcidDevice([echo_slot()], CcidSettings(slot_count=1))
    transport = FunctionFsTransport(Path("/x"), device, strings=UsbStrings("x"), endpoints=host)
    transport.start()
    started = time.monotonic()
    transport.stop()
    transport.stop()
    assert time.monotonic() - started < 2.0


def test_an_answer_filling_its_last_packet_is_followed_by_a_zero_length_packet(host):
    card = echo_slot()
    device = CcidDevice([card], CcidSettings(slot_count=1, max_message_length=271))
    transport = FunctionFsTransport(Path("/x"), device, strings=UsbStrings("x"), endpoints=host,
                                    packet_size=64)
    transport.start()
    try:
        host.send_bulk(command(m.ICC_POWER_ON, seq=1))
        assert len(host.read("ep2")) == 30  # not a multiple of 64: no zero-length packet
        host.send_bulk(command(m.XFR_BLOCK, seq=2, data=bytes(5) + b"\x11" * 52))
        assert len(host.read("ep2")) == 64  # 10 + 52 + 2
        assert host.read("ep2") == b""  # the zero-length packet that ends the host's read
        assert host.nothing_on("ep2")
    finally:
        transport.stop()
