"""The ``[usb]`` section: the box as a USB CCID smart-card reader (see :mod:`borne.ccid`).

A leaf like every section: it imports nothing of borne but the errors and the sections'
base, so :mod:`borne.config` reads it without loading the CCID core.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["UsbConfig"]

#: The USB IDs a box shows when its config names none: the Linux Foundation's vendor id
#: and its "Multifunction Composite Gadget" product (the ids Linux's own gadget examples
#: use). A vendor putting boxes on sale sets ids of its own.
DEFAULT_VENDOR_ID = 0x1D6B
DEFAULT_PRODUCT_ID = 0x0104


class UsbConfig(Section):
    """What the workstation sees when the box is plugged into it.

    ``mode``: ``off`` (the default: the USB port is left alone), ``ccid`` (the box is a
    CCID smart-card reader). ``transport``: ``functionfs`` (a Pi's USB device port, set up
    by ``borne-usb-gadget.service``) or ``serial`` (a tty: a serial cable to a workstation
    whose pcscd runs libccidtwin, and the tests' stand-in for USB).
    ``slots``: one pattern per reader slot the workstation sees, matched (``fnmatch``)
    against the box's slot ids and PC/SC names, first contact slot not yet taken; a
    pattern that matches nothing leaves its slot empty.
    """

    mode: Literal["off", "ccid"] = "off"
    transport: Literal["functionfs", "serial"] = "functionfs"
    #: The tty of the serial transport (``/dev/ttyAMA0``, a pty in the tests).
    serial_device: str = ""
    vendor_id: int = DEFAULT_VENDOR_ID
    product_id: int = DEFAULT_PRODUCT_ID
    manufacturer: str = "borne"
    #: The product string: the reader name the billing software shows.
    product: str = "Borne USB"
    #: "" is the box's own serial (from the board).
    serial_number: str = ""
    slots: list[str] = msgspec.field(default_factory=lambda: ["*", "*"])
    #: Where ``borne-usb-gadget.service`` mounts FunctionFS, one directory per function.
    functionfs_dir: str = "/run/borne-ffs"
    configfs_dir: str = "/sys/kernel/config/usb_gadget"
    #: The current the box asks of the workstation's port (mA, USB 2: at most 500).
    max_power_ma: int = 500

    def __post_init__(self) -> None:
        """Refuse a section that cannot work, naming the key."""
        for key in ("vendor_id", "product_id"):
            if not 0 <= getattr(self, key) <= 0xFFFF:
                raise ConfigError(Message.same("0..0xFFFF"), key=f"usb.{key}")
        if not 1 <= len(self.slots) <= 8:
            raise ConfigError(Message("de 1 à 8 lecteurs", "1 to 8 slots"), key="usb.slots")
        for key in ("manufacturer", "product", "serial_number"):
            value = getattr(self, key)
            # USB string descriptors hold at most 126 UTF-16 units.
            if len(value) > 126 or any(ord(c) < 0x20 for c in value):
                raise ConfigError(Message("texte trop long ou caractère de contrôle",
                                          "too long or a control character"), key=f"usb.{key}")
        if not self.product:
            raise ConfigError(Message("nom de lecteur vide", "empty reader name"), key="usb.product")
        if self.mode == "ccid" and self.transport == "serial" and not self.serial_device:
            raise ConfigError(Message("chemin du port série attendu", "a serial device path"),
                              key="usb.serial_device")
        if not 1 <= self.max_power_ma <= 500:
            raise ConfigError(Message.same("1..500"), key="usb.max_power_ma")
