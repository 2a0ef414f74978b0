"""``borne usb gadget up|bind|down|status``: the box's USB CCID gadget, run by root.

``up`` (``borne-usb-gadget.service``, before the daemon): lay the configfs gadget out from
``[usb]`` and mount one FunctionFS per exposed slot under ``functionfs_dir``, owned by the
daemon's user. ``bind`` (the daemon unit's ``ExecStartPost``): once the daemon has written
every function's descriptors, bind the gadget to the board's controller: the workstation
sees the readers from then on. ``down``: unbind, unmount, remove. ``status``: what is set up.
With ``[usb] mode = "off"``, another transport, or a board without a device port, each
command says so and succeeds: the unit is harmless everywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ccid import gadget as g
from ..ccid.settings import UsbConfig
from ..errors import BackendError, Message

__all__ = ["GadgetHost", "add_parser", "gadget_spec", "usb_command"]

Run = Callable[[Sequence[str]], Any]


@dataclass(frozen=True)
class GadgetHost:
    """The machine the commands act on (tests pass temporary directories and a fake ``run``)."""

    udc_class: Path = g.UDC_CLASS
    run: Run = field(default=lambda argv: subprocess.run(list(argv), check=True, timeout=30))
    user: str = "borne"
    #: ``os.rmdir`` on configfs; a test's plain tree needs its files removed first.
    remove_dir: Callable[[Path], None] = os.rmdir


def _failed(en: str, fr: str) -> BackendError:
    # backend_error: the gadget is the USB reader's device backend, and the catalogue is full.
    return BackendError(Message(fr, en))


def functions(usb: UsbConfig) -> list[str]:
    """One FunctionFS function per exposed slot: ``ccid0``, ``ccid1``..."""
    return [f"ccid{index}" for index in range(len(usb.slots))]


def gadget_spec(usb: UsbConfig) -> g.GadgetSpec:
    """The :class:`~borne.ccid.gadget.GadgetSpec` the ``[usb]`` settings describe."""
    return g.GadgetSpec(vendor_id=usb.vendor_id, product_id=usb.product_id,
                        manufacturer=usb.manufacturer, product=usb.product,
                        serial=usb.serial_number, functions=functions(usb),
                        max_power_ma=usb.max_power_ma)


def _why_not(usb: UsbConfig, host: GadgetHost) -> str | None:
    if usb.mode != "ccid":
        return 'off ([usb] mode is not "ccid")'
    if usb.transport != "functionfs":
        return f"off ([usb] transport is {usb.transport!r})"
    if not g.controllers(host.udc_class):
        return "unsupported: this board has no USB device controller (dwc2 off, or no device port)"
    return None


def gadget_up(usb: UsbConfig, host: GadgetHost) -> str:
    """Lay the gadget out and mount its FunctionFS instances; returns what was done."""
    why = _why_not(usb, host)
    if why:
        return why
    root = Path(usb.configfs_dir)
    if not root.is_dir():
        host.run(["modprobe", "libcomposite"])
    if not root.is_dir():
        raise _failed(f"no {root}: is configfs mounted and libcomposite loaded?",
                      f"pas de {root} : configfs monté et libcomposite chargé ?")
    gadget = g.lay_out(gadget_spec(usb), root)
    account = pwd.getpwnam(host.user)
    base = Path(usb.functionfs_dir)
    base.mkdir(mode=0o755, parents=True, exist_ok=True)
    for function in functions(usb):
        mount_point = base / function
        mount_point.mkdir(mode=0o750, exist_ok=True)
        if not os.path.ismount(mount_point):
            host.run(g.mount_command(function, mount_point, account.pw_uid, account.pw_gid))
    return f"laid out: {gadget}, FunctionFS under {base} for {host.user}"


def gadget_bind(usb: UsbConfig, host: GadgetHost, wait_s: float) -> str:
    """Bind once every function has its descriptors (its ``ep1`` exists), within ``wait_s``."""
    why = _why_not(usb, host)
    if why:
        return why
    gadget = Path(usb.configfs_dir) / g.GADGET_NAME
    if g.bound_udc(gadget):
        return f"already bound to {g.bound_udc(gadget)}"
    endpoints = [Path(usb.functionfs_dir) / f / "ep1" for f in functions(usb)]
    deadline = time.monotonic() + wait_s
    while not all(p.exists() for p in endpoints):
        if time.monotonic() >= deadline:
            raise _failed("the daemon did not write its USB descriptors in time",
                          "le démon n'a pas écrit ses descripteurs USB à temps")
        time.sleep(0.1)
    udc = g.controllers(host.udc_class)[0]
    g.bind(gadget, udc)
    return f"bound to {udc}"


def gadget_down(usb: UsbConfig, host: GadgetHost) -> str:
    """Unbind, unmount and remove the gadget (whatever ``[usb]`` says now)."""
    gadget = Path(usb.configfs_dir) / g.GADGET_NAME
    if gadget.is_dir():
        g.unbind(gadget)
    base = Path(usb.functionfs_dir)
    mounted = sorted(p for p in base.iterdir() if os.path.ismount(p)) if base.is_dir() else []
    for mount_point in mounted:
        host.run(["umount", str(mount_point)])
    g.tear_down(gadget, remove_dir=host.remove_dir)
    return f"removed: {gadget}" if not gadget.exists() else f"left: {gadget}"


def gadget_status(usb: UsbConfig, host: GadgetHost) -> dict[str, Any]:
    """What is set up, for a person or a script."""
    now = g.state(Path(usb.configfs_dir) / g.GADGET_NAME, host.udc_class)
    return {"mode": usb.mode, "transport": usb.transport, "state": now.state, "udc": now.udc,
            "host": now.host, "functions": functions(usb), "functionfs_dir": usb.functionfs_dir}


def add_parser(commands: Any) -> None:
    """``borne usb gadget up|bind|down|status``."""
    usb = commands.add_parser("usb", help="the box as a USB smart-card reader (CCID gadget)")
    sub = usb.add_subparsers(dest="usb_command", required=True, metavar="USBCOMMAND")
    gadget = sub.add_parser("gadget", help="the USB gadget in configfs (root)")
    actions = gadget.add_subparsers(dest="gadget_command", required=True, metavar="GADGETCOMMAND")
    actions.add_parser("up", help="lay the gadget out and mount FunctionFS for the daemon")
    bind = actions.add_parser("bind", help="bind the gadget once the daemon is ready")
    bind.add_argument("--wait", type=float, default=10.0,
                      help="seconds to wait for the daemon's descriptors (10)")
    actions.add_parser("down", help="unbind, unmount and remove the gadget")
    status = actions.add_parser("status", help="what is set up")
    status.add_argument("--json", action="store_true", help="print the state as JSON")


def usb_command(args: argparse.Namespace, *, language: str,
                host: GadgetHost | None = None) -> int:
    """Run ``borne usb gadget ...``; 0 on success."""
    from ..config import load_config_for_tools

    usb = load_config_for_tools(args.config).usb
    host = host or GadgetHost()
    if args.gadget_command == "up":
        print(gadget_up(usb, host))
    elif args.gadget_command == "bind":
        print(gadget_bind(usb, host, args.wait))
    elif args.gadget_command == "down":
        print(gadget_down(usb, host))
    else:
        status = gadget_status(usb, host)
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            print(", ".join(f"{k}: {v}" for k, v in status.items() if v not in (None, [])))
    return 0
