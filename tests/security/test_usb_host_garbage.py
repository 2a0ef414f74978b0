"""A hostile USB host (the workstation the box is plugged into) sending garbage.

Threat: a workstation gone bad (malware on the pharmacy's PC) owns the USB cable. Whatever
it sends on bulk-OUT or ep0, the box's CCID transport answers with the specification's
errors or a stall, keeps serving, never waits for bytes a message announced but never sent,
never buffers more than one message, and offers no vendor command (Escape). The
FunctionFS endpoints are the daemon's user's and group's only: another local user can
neither read the workstation's APDUs nor answer them.
"""

from __future__ import annotations

import random
import stat
import struct
import threading
import time
from pathlib import Path

import pytest

from borne.ccid import messages as m
from borne.ccid.descriptor import CcidSettings
from borne.ccid.device import CcidDevice
from borne.ccid.ffs_descriptors import DISABLE, ENABLE, SETUP, Setup
from borne.ccid.functionfs import FunctionFsTransport, UsbStrings
from borne.ccid.gadget import mount_command
from borne.ccid.settings import UsbConfig
from borne.cli.usb import GadgetHost, gadget_up
from support.ccid_cards import echo_slot
from support.ffs_fake import FakeEndpoints

ANSWERS = {m.DATA_BLOCK, m.SLOT_STATUS, m.PARAMETERS, m.ESCAPE_ANSWER, m.DATA_RATE_AND_CLOCK}


@pytest.fixture
def box():
    host = FakeEndpoints()
    transport = FunctionFsTransport(Path("/nonexistent"), CcidDevice([echo_slot(bytes.fromhex("3B 02 14 50"))], CcidSettings(
        slot_count=1, max_message_length=271)), strings=UsbStrings("Borne"), endpoints=host)
    transport.start()
    host.read("ep0"), host.read("ep0")  # the blobs
    host.enable()
    yield host, transport
    transport.stop()
    host.close()


def command(kind: int, seq: int = 0, data: bytes = b"") -> bytes:
    return struct.pack("<BIBB3s", kind, len(data), 0, seq, b"\0\0\0") + data


def still_serving(host: FakeEndpoints, seq: int = 0x5A) -> None:
    """A well-formed GetSlotStatus still gets its own answer at once."""
    while not host.nothing_on("ep2", 0.05):
        host.read("ep2")
    host.send_bulk(command(m.GET_SLOT_STATUS, seq=seq))
    answer = host.read("ep2", timeout=2.0)
    assert answer[0] == m.SLOT_STATUS and answer[6] == seq and answer[7] & 0x40 == 0, answer.hex()


@pytest.mark.parametrize("transfer", [
    b"", b"\x6f", b"\x65\x00\x00\x00\x00",  # shorter than a header
    struct.pack("<BIBB3s", 0x6F, 0xFFFFFFFF, 0, 1, b"\0\0\0"),  # 4 GiB announced
    struct.pack("<BIBB3s", 0x6F, 262, 0, 2, b"\0\0\0") + b"\0" * 262,  # one byte over the maximum
    struct.pack("<BIBB3s", 0x6F, 0, 9, 3, b"\0\0\0"),  # no such slot
    struct.pack("<BIBB3s", 0x00, 0, 0, 4, b"\0\0\0"),  # no such message
    bytes(range(256)) * 4,
], ids=["zero-length", "1-byte", "5-byte", "4GiB-announced", "over-maximum", "bad-slot",
        "bad-type", "counting-bytes"])
def test_each_garbage_transfer_is_answered_with_an_error_or_dropped_and_the_box_serves_on(box, transfer):
    host, transport = box
    started = time.monotonic()
    host.send_bulk(transfer)
    if transfer:  # an empty transfer (a zero-length packet) is no message
        answer = host.read("ep2", timeout=2.0)
        assert answer[0] in ANSWERS and answer[7] & 0x40, answer.hex()  # bStatus: command failed
    assert time.monotonic() - started < 2.0
    still_serving(host)


def test_a_message_announcing_more_than_it_brings_is_answered_without_waiting_for_the_rest(box):
    host, transport = box
    host.send_bulk(struct.pack("<BIBB3s", 0x6F, 100, 0, 7, b"\0\0\0") + b"\0" * 10)
    answer = host.read("ep2", timeout=3.0)  # STALE_AFTER_S, then the error
    assert answer[0] == m.DATA_BLOCK and answer[6] == 7 and answer[8] == 1  # bError: dwLength
    still_serving(host)


def test_the_host_cannot_send_vendor_commands(box):
    host, transport = box
    host.send_bulk(command(m.ESCAPE, seq=9, data=b"\x02"))
    answer = host.read("ep2")
    assert answer[0] == m.ESCAPE_ANSWER and answer[7] & 0x40 and answer[8] == 0  # not supported


def test_a_flood_of_random_transfers_never_stops_the_box(box):
    host, transport = box
    rng = random.Random(18)
    for _ in range(300):
        host.send_bulk(rng.randbytes(rng.choice((1, 9, 10, 11, 64, 300))))
    time.sleep(1.2)  # an incomplete message goes stale
    still_serving(host, seq=0x77)
    assert transport.host_connected


def test_random_control_requests_are_each_answered_once_and_ep0_serves_on(box):
    host, transport = box
    rng = random.Random(1818)
    for _ in range(200):
        setup = Setup(rng.randrange(256), rng.randrange(256), rng.randrange(65536),
                      rng.randrange(65536), rng.randrange(65536))
        answer = host.setup(setup.request_type, setup.request, setup.value, setup.index,
                            setup.length)
        assert answer == b"stall" or answer == b"ack" or answer.startswith(b"data:")
        if answer.startswith(b"data:"):
            assert len(answer) - 5 <= setup.length
    host.event(99)  # an event type the kernel does not send
    host.event(SETUP, None)  # a SETUP of zeros: a standard request, stalled
    assert host.read("ep0") == b"stall"
    assert host.setup(0xA1, 0x02, length=4).startswith(b"data:")


def test_a_host_that_leaves_mid_message_does_not_hold_the_stop(box):
    host, transport = box
    host.send_bulk(struct.pack("<BIBB3s", 0x6F, 200, 0, 1, b"\0\0\0") + b"\0" * 50)
    host.event(DISABLE)
    stopped = threading.Event()
    started = time.monotonic()
    threading.Thread(target=lambda: (transport.stop(), stopped.set()), daemon=True).start()
    assert stopped.wait(2.5) and time.monotonic() - started < 2.0
    host.event(ENABLE)  # nothing listens any more: nothing breaks


def test_the_functionfs_mounts_are_the_daemons_user_and_group_only(tmp_path):
    options = dict(o.partition("=")[::2]
                   for o in mount_command("ccid0", tmp_path, 998, 997)[4].split(","))
    assert (options["uid"], options["gid"]) == ("998", "997")
    assert int(options["rmode"], 8) & 0o007 == 0 and int(options["fmode"], 8) & 0o007 == 0
    # And the mount points `borne usb gadget up` makes: no one else may even look inside.
    (tmp_path / "udc" / "fe980000.usb").mkdir(parents=True)
    (tmp_path / "configfs").mkdir()
    usb = UsbConfig(mode="ccid", slots=["*"], functionfs_dir=str(tmp_path / "ffs"),
                     configfs_dir=str(tmp_path / "configfs"))
    mounted: list[list[str]] = []
    gadget_up(usb, GadgetHost(udc_class=tmp_path / "udc", run=mounted.append, user="root"))
    assert mounted and mounted[0][-1] == str(tmp_path / "ffs" / "ccid0")
    assert stat.S_IMODE((tmp_path / "ffs" / "ccid0").stat().st_mode) & 0o007 == 0
