"""Hardware-in-the-loop: the box as a USB CCID reader on a real Pi plugged into a workstation.

Runs only on a real box with a USB device port (``BORNE_HIL=1``, root, ``/sys/class/udc``
not empty, the USB-C / micro-USB data port cabled to a workstation whose CCID driver is
loaded: Windows, or Linux with pcscd + libccid); everywhere else it is skipped with the
reason. Stop the box's own gadget first (``systemctl stop borne.service
borne-usb-gadget.service``): this test lays out its own, ``borne-hil``.

What only a real kernel and host can say is checked here: f_fs.c accepts the descriptors
(with the 54-byte CCID class descriptor), the UDC binds, the host configures the device
(ENABLE) and its CCID driver talks to the slot (GetSlotStatus, and with a card IccPowerOn).
These tests never stand alone: the same behaviour is tested off the box with a fake
endpoint set (tests/unit/test_ccid_functionfs.py: blobs, events, class requests, bulk and
interrupt messages; tests/unit/test_ccid_gadget.py and test_cli_usb.py: the configfs tree,
bind, tear-down; tests/security/test_usb_host_garbage.py: a hostile host), and the CCID
conversation itself through a real pcscd + libccid over a serial line
(tests/integration/test_ccid_twin.py).
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from borne.ccid import gadget as g
from borne.ccid import messages as m
from borne.ccid.descriptor import CcidSettings
from borne.ccid.device import CcidDevice
from borne.ccid.functionfs import FunctionFsTransport, UsbStrings
from support.ccid_cards import echo_slot

pytestmark = [
    pytest.mark.skipif(os.environ.get("BORNE_HIL") != "1",
                       reason="hardware-in-the-loop: set BORNE_HIL=1 on a real box"),
    pytest.mark.skipif(not g.controllers(), reason="this board has no USB device controller "
                       "(no device port, or dwc2 not in device mode: docs/usb-reader.md)"),
]
ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")
HOST_WAIT_S = float(os.environ.get("BORNE_HIL_USB_WAIT", "30"))


class Recording(CcidDevice):
    """The device, remembering which commands the host sent."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[int] = []

    def handle(self, bulk_out: bytes) -> list[bytes]:
        if bulk_out:
            self.seen.append(bulk_out[0])
        return super().handle(bulk_out)


@pytest.fixture
def hil_gadget(tmp_path):
    if g.bound_udc(g.CONFIGFS_ROOT / g.GADGET_NAME):
        pytest.skip("the box's own gadget is bound: stop borne.service and borne-usb-gadget.service")
    spec = g.GadgetSpec(vendor_id=0x1D6B, product_id=0x0104, manufacturer="borne HIL",
                        product="Borne HIL", serial="HIL0001", functions=["hil0"])
    gadget = g.lay_out(spec, g.CONFIGFS_ROOT, "borne-hil")
    mount_point = tmp_path / "hil0"
    mount_point.mkdir()
    subprocess.run(g.mount_command("hil0", mount_point, os.getuid(), os.getgid()), check=True)
    device = Recording([echo_slot(ATR)], CcidSettings(slot_count=1))
    transport = FunctionFsTransport(mount_point, device, strings=UsbStrings("Borne HIL 0"),
                                    presence=lambda: [True])
    try:
        transport.start()
        g.bind(gadget, g.controllers()[0])
        yield gadget, transport, device
    finally:
        g.unbind(gadget)
        transport.stop()
        subprocess.run(["umount", str(mount_point)], check=False)
        g.tear_down(gadget)


def _until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_kernel_takes_the_descriptors_and_the_host_configures_the_reader(hil_gadget):
    gadget, transport, device = hil_gadget
    assert g.bound_udc(gadget), "the UDC refused the gadget (descriptors not accepted?)"
    assert _until(lambda: transport.host_connected, HOST_WAIT_S), (
        "no host configured the device: is the data port cabled to a workstation?")
    assert g.state(gadget).host == "configured"


def test_the_hosts_ccid_driver_talks_to_the_slot(hil_gadget):
    gadget, transport, device = hil_gadget
    assert _until(lambda: m.GET_SLOT_STATUS in device.seen or m.ICC_POWER_ON in device.seen,
                  HOST_WAIT_S), f"the host's CCID driver sent nothing we know: {device.seen}"
