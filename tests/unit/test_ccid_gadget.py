"""The configfs gadget laid out, bound, unbound and torn down, on a temporary directory tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from borne.ccid.gadget import (
    GadgetSpec,
    bind,
    bound_udc,
    controllers,
    lay_out,
    mount_command,
    state,
    tear_down,
    unbind,
)

SPEC = GadgetSpec(vendor_id=0x1D6B, product_id=0x0104, manufacturer="Borne",
                  product="Borne lecteur", serial="B0001", functions=["ccid0", "ccid1"],
                  max_power_ma=100)


def read(path: Path) -> str:
    return path.read_text().strip()


def configfs_rmdir(path: Path) -> None:
    """configfs removes a directory's attribute files and its default groups (the kernel's
    own empty ``strings``, ``configs``, ``functions``) with it; a plain tree needs help.
    Anything the user made inside must be gone first, as configfs would insist."""
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            assert not any(entry.iterdir()), f"{entry} must be emptied before {path}"
            entry.rmdir()
        else:
            assert not entry.is_symlink(), f"the link {entry} must go before {path}"
            entry.unlink()
    path.rmdir()


def test_lay_out_writes_ids_strings_configuration_and_one_function_per_interface(tmp_path):
    gadget = lay_out(SPEC, tmp_path)
    assert gadget == tmp_path / "borne"
    assert read(gadget / "idVendor") == "0x1d6b" and read(gadget / "idProduct") == "0x0104"
    assert read(gadget / "bcdUSB") == "0x0200" and read(gadget / "bDeviceClass") == "0x00"
    strings = gadget / "strings" / "0x409"
    assert [read(strings / n) for n in ("manufacturer", "product", "serialnumber")] == [
        "Borne", "Borne lecteur", "B0001"]
    config = gadget / "configs" / "c.1"
    assert read(config / "MaxPower") == "100" and read(config / "bmAttributes") == "0x80"
    for function in ("ffs.ccid0", "ffs.ccid1"):
        assert (gadget / "functions" / function).is_dir()
        assert (config / function).resolve() == gadget / "functions" / function


def test_lay_out_twice_is_the_same_tree_and_drops_a_function_no_longer_wanted(tmp_path):
    lay_out(SPEC, tmp_path)
    one = GadgetSpec(**{**{f: getattr(SPEC, f) for f in SPEC.__slots__}, "functions": ["ccid0"]})
    gadget = lay_out(one, tmp_path)
    links = sorted(p.name for p in (gadget / "configs" / "c.1").iterdir() if p.is_symlink())
    assert links == ["ffs.ccid0"]


def test_bind_unbind_and_a_bound_gadget_is_not_rewritten(tmp_path):
    gadget = lay_out(SPEC, tmp_path)
    assert bound_udc(gadget) is None
    bind(gadget, "fe980000.usb")
    assert bound_udc(gadget) == "fe980000.usb"
    with pytest.raises(RuntimeError, match="unbind"):
        lay_out(SPEC, tmp_path)
    unbind(gadget)
    assert bound_udc(gadget) is None and read(gadget / "UDC") == ""


def test_tear_down_removes_everything_in_configfs_order(tmp_path):
    gadget = lay_out(SPEC, tmp_path)
    bind(gadget, "fe980000.usb")
    tear_down(gadget, remove_dir=configfs_rmdir)
    assert not gadget.exists()
    tear_down(gadget, remove_dir=configfs_rmdir)  # nothing there: nothing done


def test_state_tells_unsupported_absent_configured_bound(tmp_path):
    udc_class = tmp_path / "udc"
    gadget = tmp_path / "configfs" / "borne"
    assert state(gadget, udc_class).state == "unsupported"
    (udc_class / "fe980000.usb").mkdir(parents=True)
    assert controllers(udc_class) == ["fe980000.usb"]
    assert state(gadget, udc_class).state == "absent"
    gadget.parent.mkdir()
    lay_out(SPEC, gadget.parent)
    assert state(gadget, udc_class).state == "configured"
    bind(gadget, "fe980000.usb")
    (udc_class / "fe980000.usb" / "state").write_text("configured\n")
    assert state(gadget, udc_class) == state(gadget, udc_class).__class__(
        "bound", "fe980000.usb", "configured")


@pytest.mark.parametrize("change", [
    {"vendor_id": 0x10000}, {"product_id": -1}, {"product": "x" * 127},
    {"manufacturer": "a\nb"}, {"functions": []}, {"functions": ["a", "a"]},
    {"functions": ["../x"]}, {"max_power_ma": 501},
])
def test_a_bad_spec_is_refused(change):
    fields = {f: getattr(SPEC, f) for f in SPEC.__slots__}
    with pytest.raises(ValueError):
        GadgetSpec(**{**fields, **change})


def test_mount_command_keeps_other_users_out():
    command = mount_command("ccid0", Path("/run/borne-ffs/ccid0"), 998, 997)
    assert command[:4] == ["mount", "-t", "functionfs", "-o"]
    options = dict(o.partition("=")[::2] for o in command[4].split(","))
    assert options["uid"] == "998" and options["gid"] == "997"
    assert int(options["rmode"], 8) & 0o007 == 0 and int(options["fmode"], 8) & 0o007 == 0
    assert {"nodev", "noexec", "nosuid"} <= options.keys()
    assert command[5:] == ["ccid0", "/run/borne-ffs/ccid0"]


