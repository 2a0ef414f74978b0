"""A real ``rauc service`` installs a real bundle through the box's backend and handler.

RAUC 1.8 (Debian's) runs on a private D-Bus with loop devices for the four slots, the
image's ``system.conf`` with only the devices and paths changed, the image's
``tryboot-backend`` and ``post-install``, and a plain bundle built by ``image/bundle.sh``
and signed with the development key (plain: this kernel has no device-mapper for
verity). Then the tried boot is played: RAUC restarted on slot B with the tryboot flag,
``rauc status mark-good`` (or ``mark-bad``), and ``autoboot.txt`` read back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.rauc_box import start_private_bus

REPO = Path(__file__).resolve().parents[2]
RAUC_FILES = REPO / "image" / "files" / "rauc"
DEV_KEYS = REPO / "image" / "keys" / "development"

pytestmark = pytest.mark.skipif(shutil.which("rauc") is None or shutil.which("dbus-daemon") is None,
                                reason="needs rauc, rauc-service and dbus: ./dev.sh setup installs them")



@dataclass
class Card:
    """The SD card as files and loop devices, and the facts of the current boot."""

    root: Path
    loops: dict[str, str] = field(default_factory=dict)
    service: subprocess.Popen[bytes] | None = None

    @property
    def autoboot(self) -> Path:
        return self.root / "autoboot.vfat"

    def env(self) -> dict[str, str]:
        return {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={self.root / 'bus.sock'}",
                "MTOOLS_SKIP_CHECK": "1",
                "BORNE_AUTOBOOT_DEV": str(self.autoboot),
                "BORNE_TRYBOOT_FLAG": str(self.root / "tryboot"),
                "BORNE_TRYBOOT_STATE_DIR": str(self.root / "rauc-data" / "tryboot"),
                "BORNE_CMDLINE": str(self.root / "cmdline"),
                "BORNE_BOOT_ID": str(self.root / "boot_id"),
                "BORNE_TRYBOOT_BACKEND": str(RAUC_FILES / "tryboot-backend"),
                "BORNE_TRYBOOT_DEFAULTS": str(self.root / "no-defaults")}

    def boot(self, slot: str, *, tryboot: bool, boot_id: str) -> None:
        """The firmware started SLOT (with its flag or not); RAUC starts on it."""
        self.stop_service()
        (self.root / "tryboot").write_bytes(b"\0\0\0\1" if tryboot else b"\0\0\0\0")
        (self.root / "cmdline").write_text(f"console=tty1 rauc.slot={slot}\n")
        (self.root / "boot_id").write_text(boot_id + "\n")
        self.service = subprocess.Popen(
            ["rauc", f"--override-boot-slot={slot}", f"--conf={self.root / 'system.conf'}", "service"],
            env=self.env(), stdout=open(self.root / "rauc.log", "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while self.rauc("status", check=False).returncode != 0:
            assert self.service.poll() is None, (self.root / "rauc.log").read_text()
            assert time.monotonic() < deadline, "rauc service did not answer"
            time.sleep(0.2)

    def stop_service(self) -> None:
        if self.service is not None:
            self.service.terminate()
            self.service.wait(timeout=10)
            self.service = None

    def rauc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["rauc", *args], env=self.env(), capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr,
                                          (self.root / "rauc.log").read_text()[-3000:])
        return done

    def sections(self) -> tuple[str, str]:
        text = subprocess.run(["mtype", "-i", str(self.autoboot), "::autoboot.txt"], env=self.env(),
                              capture_output=True, text=True, check=True).stdout
        return (re.search(r"\[all\][^\[]*boot_partition=(\d)", text).group(1),
                re.search(r"\[tryboot\][^\[]*boot_partition=(\d)", text).group(1))

    def cmdline_of(self, bootfs: str) -> str:
        return subprocess.run(["mtype", "-i", self.loops[bootfs], "::cmdline.txt"], env=self.env(),
                              capture_output=True, text=True, check=True).stdout

    def release_of(self, rootfs: str) -> str:
        return subprocess.run(["debugfs", "-R", "cat /etc/borne-release", self.loops[rootfs]],
                              capture_output=True, text=True, check=True).stdout


def _losetup(image: Path) -> str:
    return subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def card(tmp_path: Path) -> Iterator[Card]:
    """Slots A (written, the running system) and B (empty), a private bus, RAUC on A."""
    card = Card(tmp_path)
    bus, _ = start_private_bus(tmp_path)
    try:
        for name, size in (("rootfs.0", 96), ("rootfs.1", 96), ("bootfs.0", 34), ("bootfs.1", 34)):
            image = tmp_path / f"{name}.img"
            subprocess.run(["truncate", "-s", f"{size}M", str(image)], check=True)
            if name.startswith("bootfs"):
                subprocess.run(["mkfs.vfat", str(image)], check=True, capture_output=True)
                (tmp_path / "cmdline.txt").write_text("console=tty1 root=PARTUUID=1234-0X rootwait\n")
                subprocess.run(["mcopy", "-i", str(image), str(tmp_path / "cmdline.txt"), "::"],
                               check=True, env=card.env())
            card.loops[name] = _losetup(image)
        subprocess.run(["mkfs.vfat", "-C", str(card.autoboot), "4096"], check=True, capture_output=True)
        subprocess.run(["mcopy", "-i", str(card.autoboot), str(RAUC_FILES / "autoboot.txt"), "::"],
                       check=True, env=card.env())
        conf = (RAUC_FILES / "system.conf").read_text()
        for slot, device in {"rootfs.0": "/dev/mmcblk0p5", "rootfs.1": "/dev/mmcblk0p6",
                             "bootfs.0": "/dev/mmcblk0p2", "bootfs.1": "/dev/mmcblk0p3"}.items():
            conf = conf.replace(f"device={device}\n", f"device={card.loops[slot]}\n")
        conf = (conf.replace("data-directory=/var/lib/rauc", f"data-directory={tmp_path / 'rauc-data'}\n"
                             f"mountprefix={tmp_path / 'mnt'}")
                .replace("path=/etc/rauc/keyring.pem", f"path={DEV_KEYS / 'keyring.pem'}")
                .replace("/usr/lib/rauc/", f"{RAUC_FILES}/"))
        assert "/dev/mmcblk0" not in conf and "/usr/lib/rauc" not in conf
        (tmp_path / "system.conf").write_text(conf)
        (tmp_path / "rauc-data").mkdir()
        card.boot("A", tryboot=False, boot_id="boot-1")
        yield card
    finally:
        card.stop_service()
        bus.terminate()
        bus.wait(timeout=10)
        for loop in card.loops.values():
            subprocess.run(["losetup", "-d", loop], check=False)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Version 2.0.1 of a tiny root (over 4 KiB of squashfs) with a boot partition."""
    work = tmp_path_factory.mktemp("bundle")
    (work / "root" / "etc").mkdir(parents=True)
    (work / "root" / "usr" / "bin").mkdir(parents=True)
    (work / "root" / "usr" / "bin" / "tool").write_bytes(os.urandom(64 * 1024))
    (work / "root" / "etc" / "hostname").write_text("borne\n")
    (work / "boot").mkdir()
    (work / "boot" / "cmdline.txt").write_text("console=tty1 root=PARTUUID=abcd-02 rootwait quiet\n")
    (work / "boot" / "kernel8.img").write_bytes(os.urandom(32 * 1024))
    out = work / "update.raucb"
    subprocess.run([str(REPO / "image" / "bundle.sh"), "--version", "2.0.1", "--format", "plain",
                    "--compression", "lz4", "--root-size", "80", "--boot", str(work / "boot"),
                    str(work / "root"), str(out)], check=True, capture_output=True)
    return out


def test_an_install_writes_slot_b_and_sets_up_its_trial(card: Card, bundle: Path) -> None:
    bootfs_a = card.cmdline_of("bootfs.0")
    card.rauc("install", str(bundle))
    # The new system is in slot B, with its version; its boot partition boots its own root.
    assert card.release_of("rootfs.1") == "VERSION=2.0.1\nCOMPATIBLE=borne-rpi\n"
    cmdline = card.cmdline_of("bootfs.1")
    assert cmdline.split() == ["console=tty1", "rootwait", "quiet", f"root={card.loops['rootfs.1']}",
                               "rauc.slot=B"]
    assert card.cmdline_of("bootfs.0") == bootfs_a  # the running slot's, untouched
    # autoboot.txt: [all] stays on A, [tryboot] names B; the trial waits for the reboot.
    assert card.sections() == ("2", "3")
    backend = [str(RAUC_FILES / "tryboot-backend")]
    assert subprocess.run([*backend, "pending"], env=card.env()).returncode == 0
    status = card.rauc("status", "--output-format=shell").stdout
    assert "RAUC_BOOT_PRIMARY='rootfs.1'" in status


def test_the_tried_boot_is_committed_by_mark_good(card: Card, bundle: Path) -> None:
    card.rauc("install", str(bundle))
    card.boot("B", tryboot=True, boot_id="boot-2")
    card.rauc("status", "mark-good")
    assert card.sections() == ("3", "3")
    card.boot("B", tryboot=False, boot_id="boot-3")  # every later boot: B, committed
    status = card.rauc("status", "--output-format=shell").stdout
    assert "RAUC_BOOT_PRIMARY='rootfs.1'" in status and "RAUC_SYSTEM_BOOTED_BOOTNAME='B'" in status


def test_the_tried_boot_marked_bad_goes_back_to_a(card: Card, bundle: Path) -> None:
    card.rauc("install", str(bundle))
    card.boot("B", tryboot=True, boot_id="boot-2")
    card.rauc("status", "mark-bad")
    assert card.sections() == ("2", "3")  # [all] never changed by a bad mark
    card.boot("A", tryboot=False, boot_id="boot-3")
    status = card.rauc("status", "--output-format=shell").stdout
    assert "RAUC_BOOT_PRIMARY='rootfs.0'" in status
    assert re.search(r"RAUC_SLOT_STATE_\d+='inactive'", status)
    backend = [str(RAUC_FILES / "tryboot-backend")]
    assert subprocess.run([*backend, "get-state", "B"], env=card.env(), capture_output=True,
                          text=True).stdout.strip() == "bad"
    # A new install succeeds after that.
    card.rauc("install", str(bundle))
    assert subprocess.run([*backend, "pending"], env=card.env()).returncode == 0
