"""The USB reader's state as ``/v1/status``, the control socket and ``borne doctor`` show it."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = ["UsbSlotStatus", "UsbState", "UsbStatus", "usb_off"]

UsbState = Literal["off", "unsupported", "error", "configured", "host_connected"]


class UsbSlotStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One reader slot the workstation sees."""

    index: Annotated[int, Meta(ge=0, description="the slot's number on the workstation "
                                                  "(the reader's `00 0N` there)")]
    pattern: Annotated[str, Meta(description="the `[usb] slots` pattern choosing its box slot")]
    box_slot: Annotated[str | None, Meta(description="the box slot behind it (null: none now)")]
    in_use: Annotated[bool, Meta(description="the workstation holds the slot now: the box "
                                             "does not read its cards meanwhile")]


class UsbStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The box as a USB smart-card reader (`[usb]`). `state`: `off` (`mode = "off"`);
    `unsupported` (no USB device port on this board, or the gadget is not set up); `error`
    (`detail` says why); `configured` (waiting for a workstation); `host_connected`"""

    mode: Literal["off", "ccid"]
    transport: Literal["functionfs", "serial"]
    state: UsbState
    detail: Annotated[str | None, Meta(description="why the reader is not working")]
    reader_name: Annotated[str, Meta(description="the reader name the workstation shows "
                                                 "(`[usb] product`)")]
    host_using: Annotated[list[int], Meta(description="the slots the workstation holds now")]
    slots: list[UsbSlotStatus]


def usb_off(mode: str = "off", transport: str = "functionfs", product: str = "Borne USB") -> UsbStatus:
    """The status of a box whose USB reader is not running."""
    return UsbStatus(mode=mode, transport=transport, state="off", detail=None,  # type: ignore[arg-type]
                     reader_name=product, host_using=[], slots=[])
