"""``borne doctor``'s line on the USB reader, from the daemon's ``usb`` status (borne.health.usb)."""

from __future__ import annotations

from borne.ccid.status import UsbSlotStatus, UsbStatus, usb_off
from borne.health import check_usb

import msgspec


def status(state: str, **fields: object) -> dict:
    return msgspec.to_builtins(UsbStatus(
        mode="ccid", transport="functionfs", state=state, detail=fields.get("detail"),
        reader_name="Borne USB", host_using=list(fields.get("using", [])),
        slots=[UsbSlotStatus(index=0, pattern="*", box_slot="sim-00", in_use=False)]))


def test_off_says_nothing():
    assert check_usb(None) is None
    assert check_usb(msgspec.to_builtins(usb_off())) is None


def test_a_board_without_a_device_port_is_a_warning_with_what_to_do():
    check = check_usb(status("unsupported", detail="/run/borne-ffs/ccid0: no such directory"))
    assert (check.status, check.code) == ("warn", "usb_unsupported")
    assert "borne-usb-gadget" in check.fix_en and "Borne USB" in check.detail_fr


def test_a_failed_transport_fails():
    check = check_usb(status("error", detail="ttyAMA0: permission denied"))
    assert (check.status, check.code) == ("fail", "usb_error")
    assert "permission denied" in check.detail_en


def test_a_workstation_using_slots_is_named():
    check = check_usb(status("host_connected", using=[1]))
    assert check.status == "ok"
    assert "slots in use: 1" in check.detail_en and "lecteurs utilisés : 1" in check.detail_fr
    assert "no workstation" in check_usb(status("configured")).detail_en
