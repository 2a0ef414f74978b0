"""The box's USB gadget in configfs: a device with one FunctionFS function per CCID interface.

Linux's gadget framework (``libcomposite``) is driven by directories and attribute files
under ``/sys/kernel/config/usb_gadget`` (the kernel's Documentation/usb/gadget_configfs.rst):

====================================  =================================================
``<gadget>/idVendor``, ``idProduct``  the USB ids (hex), ``bcdUSB`` 0x0200, ``bDeviceClass``
                                      0: the class is in each interface (Windows then
                                      loads its composite driver and a CCID driver per
                                      interface)
``<gadget>/strings/0x409/``           ``manufacturer``, ``product`` (the reader name a
                                      workstation shows), ``serialnumber``
``<gadget>/configs/c.1/``             ``MaxPower`` (mA), ``bmAttributes``, and one link
                                      per function
``<gadget>/functions/ffs.<name>``     a FunctionFS instance, mounted with ``mount -t
                                      functionfs <name> <dir>``; the daemon writes its
                                      descriptors there (:mod:`.functionfs`)
``<gadget>/UDC``                      the controller's name binds the gadget, "" unbinds
====================================  =================================================

The gadget can be bound only once every FunctionFS function has its descriptors (f_fs.c
refuses to bind an unready function), so the order is: :func:`lay_out`, mount, the daemon
starts and writes its descriptors, :func:`bind`. When the daemon closes ``ep0`` the kernel
unbinds the gadget by itself. Everything here takes its root as an argument, so the tests
lay the tree out in a temporary directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CONFIG",
    "CONFIGFS_ROOT",
    "GADGET_NAME",
    "GadgetSpec",
    "GadgetState",
    "bind",
    "bound_udc",
    "controllers",
    "lay_out",
    "mount_command",
    "state",
    "tear_down",
    "unbind",
]

CONFIGFS_ROOT = Path("/sys/kernel/config/usb_gadget")
UDC_CLASS = Path("/sys/class/udc")
GADGET_NAME = "borne"
CONFIG = "c.1"
LANG = "0x409"
_FUNCTION_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
BUS_POWERED = 0x80  # USB 2.0 table 9-10: bit 7 is always set


@dataclass(frozen=True, slots=True)
class GadgetSpec:
    """What the workstation sees of the box: ids, strings, one function per CCID interface."""

    vendor_id: int
    product_id: int
    manufacturer: str
    product: str
    serial: str
    functions: list[str] = field(default_factory=lambda: ["ccid0"])
    max_power_ma: int = 100

    def __post_init__(self) -> None:
        for name, value in (("vendor_id", self.vendor_id), ("product_id", self.product_id)):
            if not 0 <= value <= 0xFFFF:
                raise ValueError(f"{name} is 16 bits, not {value:#x}")
        for name, text in (("manufacturer", self.manufacturer), ("product", self.product),
                           ("serial", self.serial)):
            if len(text) > 126 or any(c in text for c in "\n\x00"):
                raise ValueError(f"{name}: at most 126 characters, on one line")
        if not self.functions or len(set(self.functions)) != len(self.functions):
            raise ValueError("one or more functions, each named once")
        for function in self.functions:
            if not _FUNCTION_NAME.match(function):
                raise ValueError(f"a function name is [a-z0-9_], 1 to 32 long: {function!r}")
        if not 0 <= self.max_power_ma <= 500:  # USB 2.0: a bus-powered device takes at most 500 mA
            raise ValueError(f"max_power_ma is 0..500, not {self.max_power_ma}")


@dataclass(frozen=True, slots=True)
class GadgetState:
    """What ``borne usb gadget status`` and ``borne doctor`` say.

    ``state``: ``unsupported`` (no USB device controller on this board), ``absent`` (no
    gadget laid out), ``configured`` (laid out, not bound), ``bound``. ``host``: the
    controller's own word once bound (``configured`` = a host uses it, ``not attached``,
    ``suspended``...; /sys/class/udc/<udc>/state).
    """

    state: str
    udc: str | None = None
    host: str | None = None


def _write(path: Path, text: str) -> None:
    path.write_text(text + "\n" if text else "\n", encoding="utf-8")


def lay_out(spec: GadgetSpec, root: Path = CONFIGFS_ROOT, name: str = GADGET_NAME) -> Path:
    """Create (or bring up to date) the gadget ``name`` under ``root``; return its directory.

    Idempotent: run twice, the tree is the same. A bound gadget is refused (unbind first):
    the kernel would refuse most writes anyway.
    """
    gadget = root / name
    if bound_udc(gadget):
        raise RuntimeError(f"the gadget {gadget} is bound: unbind it first")
    gadget.mkdir(parents=False, exist_ok=True)
    _write(gadget / "idVendor", f"{spec.vendor_id:#06x}")
    _write(gadget / "idProduct", f"{spec.product_id:#06x}")
    _write(gadget / "bcdDevice", "0x0100")
    _write(gadget / "bcdUSB", "0x0200")
    for attribute in ("bDeviceClass", "bDeviceSubClass", "bDeviceProtocol"):
        _write(gadget / attribute, "0x00")
    strings = gadget / "strings" / LANG
    strings.mkdir(parents=True, exist_ok=True)
    _write(strings / "manufacturer", spec.manufacturer)
    _write(strings / "product", spec.product)
    _write(strings / "serialnumber", spec.serial)
    config = gadget / "configs" / CONFIG
    (config / "strings" / LANG).mkdir(parents=True, exist_ok=True)
    _write(config / "strings" / LANG / "configuration", "CCID")
    _write(config / "MaxPower", str(spec.max_power_ma))
    _write(config / "bmAttributes", f"{BUS_POWERED:#04x}")
    wanted = {f"ffs.{function}" for function in spec.functions}
    for link in config.iterdir():
        if link.is_symlink() and link.name not in wanted:
            link.unlink()
    for function in spec.functions:
        directory = gadget / "functions" / f"ffs.{function}"
        directory.mkdir(parents=True, exist_ok=True)
        link = config / directory.name
        if not link.is_symlink():
            link.symlink_to(directory)
    return gadget


def controllers(udc_class: Path = UDC_CLASS) -> list[str]:
    """The USB device controllers of this board (empty: no device port, or dwc2 off)."""
    try:
        return sorted(entry.name for entry in udc_class.iterdir())
    except OSError:
        return []


def bound_udc(gadget: Path) -> str | None:
    """The controller the gadget is bound to, or None."""
    try:
        return (gadget / "UDC").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def bind(gadget: Path, udc: str) -> None:
    """Bind the gadget to the controller ``udc`` (every function must have its descriptors)."""
    _write(gadget / "UDC", udc)


def unbind(gadget: Path) -> None:
    """Unbind the gadget (nothing if it is not bound)."""
    if bound_udc(gadget):
        _write(gadget / "UDC", "")


def tear_down(gadget: Path, remove_dir: Callable[[Path], None] = os.rmdir) -> None:
    """Unbind and remove the gadget, in the order configfs wants (gadget_configfs.rst,
    "Cleaning up"): links, configuration strings, configurations, functions, strings, gadget.

    The FunctionFS mounts must be unmounted first. ``remove_dir``: ``os.rmdir`` on configfs,
    where a directory's attribute files go with it; a test passes one that empties a plain
    directory first. Nothing there: nothing done.
    """
    if not gadget.is_dir():
        return
    unbind(gadget)
    configs = gadget / "configs"
    for config in _dirs(configs):
        for link in config.iterdir():
            if link.is_symlink():
                link.unlink()
        for strings in _dirs(config / "strings"):
            remove_dir(strings)
        remove_dir(config)
    for function in _dirs(gadget / "functions"):
        remove_dir(function)
    for strings in _dirs(gadget / "strings"):
        remove_dir(strings)
    remove_dir(gadget)


def _dirs(parent: Path) -> list[Path]:
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink())


def mount_command(function: str, mount_point: Path, uid: int, gid: int) -> list[str]:
    """The ``mount`` of one FunctionFS instance that only the daemon's user can use.

    f_fs.c's mount options: ``uid``/``gid`` own the endpoint files, ``rmode`` is the
    directory's mode (the kernel keeps only its read and search bits: 0550), ``fmode`` the
    files' (0660). The daemon's user and group, nobody else: another local user must neither
    read a workstation's APDUs nor answer them.
    """
    options = f"uid={uid},gid={gid},rmode=0750,fmode=0660,nodev,noexec,nosuid"
    return ["mount", "-t", "functionfs", "-o", options, function, str(mount_point)]


def state(gadget: Path, udc_class: Path = UDC_CLASS) -> GadgetState:
    """The gadget's state (see :class:`GadgetState`)."""
    if not controllers(udc_class):
        return GadgetState("unsupported")
    if not gadget.is_dir():
        return GadgetState("absent")
    udc = bound_udc(gadget)
    if udc is None:
        return GadgetState("configured")
    try:
        host = (udc_class / udc / "state").read_text(encoding="utf-8").strip()
    except OSError:
        host = None
    return GadgetState("bound", udc, host)
