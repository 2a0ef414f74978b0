"""``borne usb gadget up|bind|down|status`` on temporary directories with a fake ``mount``."""

from __future__ import annotations

import getpass
import json
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from borne.cli.main import main
from borne.ccid.settings import UsbConfig
from borne.cli.usb import GadgetHost, gadget_bind, gadget_down, gadget_status, gadget_up
from borne.errors import BorneError


@pytest.fixture
def machine(tmp_path):
    """A board with one device controller, an empty configfs, a FunctionFS directory."""
    (tmp_path / "udc" / "fe980000.usb").mkdir(parents=True)
    (tmp_path / "configfs").mkdir()
    ran: list[list[str]] = []
    host = GadgetHost(udc_class=tmp_path / "udc", run=lambda argv: ran.append(list(argv)),
                      user=getpass.getuser())
    usb = UsbConfig(mode="ccid", slots=["*CPS*", "*Vitale*"],
                     functionfs_dir=str(tmp_path / "ffs"), configfs_dir=str(tmp_path / "configfs"))
    return usb, host, ran, tmp_path


def test_up_lays_the_gadget_out_and_mounts_one_functionfs_per_slot(machine):
    usb, host, ran, tmp = machine
    gadget_up(usb, host)
    assert sorted(p.name for p in (tmp / "configfs" / "borne" / "functions").iterdir()) == [
        "ffs.ccid0", "ffs.ccid1"]
    assert [argv[:3] for argv in ran] == [["mount", "-t", "functionfs"]] * 2
    assert [argv[-2:] for argv in ran] == [["ccid0", str(tmp / "ffs" / "ccid0")],
                                           ["ccid1", str(tmp / "ffs" / "ccid1")]]


@pytest.mark.parametrize("change,said", [
    ({"mode": "off"}, "off"), ({"transport": "serial", "serial_device": "/dev/ttyAMA0"}, "off")])
def test_up_and_bind_do_nothing_when_usb_is_off(machine, change, said):
    usb, host, ran, tmp = machine
    usb = msgspec.structs.replace(usb, **change)
    assert gadget_up(usb, host).startswith(said) and gadget_bind(usb, host, 0).startswith(said)
    assert ran == [] and not (tmp / "configfs" / "borne").exists()


def test_a_board_without_a_device_port_is_unsupported(machine):
    usb, host, ran, tmp = machine
    (tmp / "udc" / "fe980000.usb").rmdir()
    assert gadget_up(usb, host).startswith("unsupported")
    assert gadget_status(usb, host)["state"] == "unsupported"


def test_bind_waits_for_the_daemons_descriptors_then_binds(machine):
    usb, host, ran, tmp = machine
    gadget_up(usb, host)
    with pytest.raises(BorneError) as refused:
        gadget_bind(usb, host, 0.2)
    assert refused.value.code == "backend_error"
    for function in ("ccid0", "ccid1"):  # what the daemon's descriptors make the kernel create
        (tmp / "ffs" / function / "ep1").touch()
    assert gadget_bind(usb, host, 0.2) == "bound to fe980000.usb"
    assert gadget_status(usb, host)["state"] == "bound"
    assert gadget_bind(usb, host, 0.2).startswith("already bound")


def test_down_unbinds_and_removes(machine):
    usb, host, ran, tmp = machine
    gadget_up(usb, host)
    gadget_down(usb, replace(host, remove_dir=_configfs_rmdir))
    assert not (tmp / "configfs" / "borne").exists()
    assert gadget_status(usb, host)["state"] == "absent"


def _configfs_rmdir(path) -> None:
    for entry in Path(path).iterdir():
        entry.rmdir() if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    Path(path).rmdir()


def test_the_command_line_accepts_options_after_the_subcommand(tmp_path, capsys):
    config = tmp_path / "borne.toml"
    config.write_text("")
    assert main(["usb", "gadget", "status", "--json", "--config", str(config)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["mode"] == "off" and status["functionfs_dir"] == "/run/borne-ffs"
