"""The USB stick watch, without RAUC: which sticks it notices and what it hands the service.

A stand-in service records the calls; sticks are directories under a temporary ``usb_dir``
(what ``borne-usb-mount@.service`` mounts). The real install, signature and downgrade checks
are in tests/security/test_update_usb.py and tests/integration/test_update_api.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from borne.update.errors import UpdateRefused
from borne.update.usb_watch import SEVERAL_CODE, UsbWatch, bundles_on


class Service:
    """Records installs; refuses with ``refuse`` if set."""

    def __init__(self, refuse: str | None = None) -> None:
        self.installs: list[tuple[Path, dict]] = []
        self.refuse = refuse
        self.reboots: list[dict] = []

    async def install(self, bundle: Path, **options: object) -> SimpleNamespace:
        self.installs.append((bundle, options))
        if self.refuse:
            raise UpdateRefused(self.refuse)
        return SimpleNamespace(version="1.1.0", compatible="borne-test")

    def snapshot(self) -> SimpleNamespace:
        return SimpleNamespace(state="installed")

    async def request_reboot(self, **options: object) -> None:
        self.reboots.append(options)


def watch(tmp_path: Path, service: Service) -> tuple[UsbWatch, list[str]]:
    refused: list[str] = []
    usb = tmp_path / "usb"
    usb.mkdir(exist_ok=True)
    return UsbWatch(usb, service, lambda *, code: refused.append(code)), refused


def stick(tmp_path: Path, name: str, *files: str) -> Path:
    where = tmp_path / "usb" / name
    where.mkdir(parents=True)
    for file in files:
        (where / file).write_bytes(b"bundle")
    return where


async def test_a_new_stick_with_one_bundle_is_installed_never_as_a_downgrade(tmp_path):
    service = Service()
    usb, refused = watch(tmp_path, service)
    await usb.look()
    assert service.installs == []
    stick(tmp_path, "sda1", "borne-1.1.0.raucb", "notes.txt")
    await usb.look()
    await usb.look()  # seen once: not installed twice
    assert service.installs == [(tmp_path / "usb" / "sda1" / "borne-1.1.0.raucb",
                                 {"origin": "usb", "actor": "usb", "allow_downgrade": False})]
    assert refused == []
    await usb.stop()


async def test_no_bundle_is_nothing_and_two_bundles_install_neither(tmp_path):
    service = Service()
    usb, refused = watch(tmp_path, service)
    stick(tmp_path, "sda1", "photo.jpg")
    stick(tmp_path, "sdb1", "a.raucb", "b.RAUCB")
    await usb.look()
    assert service.installs == [] and refused == [SEVERAL_CODE]


async def test_the_mount_over_an_empty_mount_point_and_a_stick_plugged_again_count(tmp_path):
    service = Service()
    usb, _ = watch(tmp_path, service)
    empty = stick(tmp_path, "sda1")  # the unit makes the mount point, then mounts
    await usb.look()
    os.rmdir(empty)
    stick(tmp_path, "sda1", "borne.raucb")  # another directory (inode): the stick mounted
    await usb.look()
    assert len(service.installs) == 1
    os.unlink(tmp_path / "usb" / "sda1" / "borne.raucb")
    os.rmdir(tmp_path / "usb" / "sda1")  # pulled out
    await usb.look()
    stick(tmp_path, "sda1", "borne.raucb")  # plugged in again
    await usb.look()
    assert len(service.installs) == 2


async def test_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "borne.raucb").write_bytes(b"bundle")
    service = Service()
    usb, refused = watch(tmp_path, service)
    linked = stick(tmp_path, "sda1")
    (linked / "borne.raucb").symlink_to(outside / "borne.raucb")
    (linked / "dir.raucb").mkdir()
    (tmp_path / "usb" / "sdb1").symlink_to(outside, target_is_directory=True)
    await usb.look()
    assert bundles_on(linked) == [] and service.installs == [] and refused == []


async def test_a_refusal_is_the_service_s_to_tell_and_the_watch_goes_on(tmp_path):
    service = Service(refuse="update_downgrade_refused")
    usb, refused = watch(tmp_path, service)
    stick(tmp_path, "sda1", "old.raucb")
    await usb.look()
    stick(tmp_path, "sdb1", "other.raucb")
    await usb.look()
    assert len(service.installs) == 2 and refused == []  # the service published its own


async def test_no_usb_dir_yet_is_no_stick(tmp_path):
    usb = UsbWatch(tmp_path / "missing", Service(), lambda *, code: None)
    await usb.look()
