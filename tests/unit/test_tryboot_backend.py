"""image/files/rauc/tryboot-backend: RAUC's custom bootloader backend, driven for real.

The real script edits ``autoboot.txt`` on a FAT image made by ``mkfs.vfat`` (as it edits
the SD card's first partition), with the tryboot flag, the kernel command line and the
boot id as files: every transition of an update's life, one boot after another.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

IMAGE = Path(__file__).resolve().parents[2] / "image" / "files" / "rauc"
BACKEND = IMAGE / "tryboot-backend"
_SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
TOOLS = {name: shutil.which(name, path=_SEARCH) for name in ("mkfs.vfat", "mcopy", "mtype", "mshowfat")}
pytestmark = pytest.mark.skipif(
    None in TOOLS.values(),
    reason="needs dosfstools (mkfs.vfat) and mtools (mcopy, mtype, mshowfat): ./dev.sh setup "
           "installs them; .ci/unit-unprivileged may hide them",
)


@dataclass
class Box:
    """One box's boot state as files: the FAT partition, the marks, this boot's facts."""

    root: Path

    @property
    def fat(self) -> Path:
        return self.root / "autoboot.vfat"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def env(self) -> dict[str, str]:
        path = os.pathsep.join([os.path.dirname(tool) for tool in TOOLS.values()] + [os.environ["PATH"]])
        return {"PATH": path, "LANG": "C.UTF-8",
                "BORNE_AUTOBOOT_DEV": str(self.fat), "BORNE_TRYBOOT_FLAG": str(self.root / "tryboot"),
                "BORNE_TRYBOOT_STATE_DIR": str(self.state), "BORNE_CMDLINE": str(self.root / "cmdline"),
                "BORNE_BOOT_ID": str(self.root / "boot_id")}

    def boot(self, slot: str, *, tryboot: bool, boot_id: str) -> None:
        """A new boot: the firmware started SLOT, with the tryboot flag or not."""
        (self.root / "tryboot").write_bytes(b"\0\0\0\1" if tryboot else b"\0\0\0\0")
        (self.root / "cmdline").write_text(f"console=tty1 root=/dev/x rauc.slot={slot} ro\n")
        (self.root / "boot_id").write_text(boot_id + "\n")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(BACKEND), *args], env=self.env(), capture_output=True, text=True,
                              timeout=30)
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def autoboot(self) -> str:
        return subprocess.run([TOOLS["mtype"], "-i", str(self.fat), "::autoboot.txt"], env=self.env(),
                              capture_output=True, text=True, check=True).stdout

    def sections(self) -> tuple[str, str]:
        """([all] boot_partition, [tryboot] boot_partition)."""
        values, section = {}, ""
        for line in self.autoboot().splitlines():
            if line.startswith("["):
                section = line
            elif line.startswith("boot_partition="):
                values[section] = line.split("=", 1)[1]
        return values["[all]"], values["[tryboot]"]

    def pending(self) -> bool:
        return self.run("pending", check=False).returncode == 0


@pytest.fixture
def box(tmp_path: Path) -> Box:
    """A fresh card: autoboot.txt as the image ships it, booted on A, no mark yet."""
    box = Box(tmp_path)
    subprocess.run([TOOLS["mkfs.vfat"], "-C", str(box.fat), "4096"], check=True, capture_output=True)
    subprocess.run([TOOLS["mcopy"], "-i", str(box.fat), str(IMAGE / "autoboot.txt"), "::autoboot.txt"],
                   check=True, env=box.env())
    box.boot("A", tryboot=False, boot_id="boot-1")
    return box


def install(box: Box, slot: str) -> None:
    """What RAUC 1.8 asks of the backend for an install into SLOT (src/install.c)."""
    box.run("set-state", slot, "bad")     # before writing: the target is not bootable
    box.run("set-primary", slot)          # after writing: activate it


def test_a_fresh_card_boots_a_and_b_was_never_installed(box: Box) -> None:
    assert box.sections() == ("2", "3")
    assert box.out("get-primary") == "A" and box.out("get-current") == "A"
    assert box.out("get-state", "A") == "good" and box.out("get-state", "B") == "bad"
    # [tryboot] points at B from the start, but no trial is pending: the reboot unit
    # makes a plain reboot, and a stray '0 tryboot' would not be the update's.
    assert not box.pending() and box.run("trial", check=False).returncode != 0


def test_an_install_sets_up_a_trial_and_leaves_all_on_the_running_slot(box: Box) -> None:
    before = box.fat.read_bytes()
    install(box, "B")
    assert box.sections() == ("2", "3")
    assert box.fat.read_bytes() == before  # [tryboot] already named B: nothing written
    assert box.pending() and box.out("get-primary") == "B" and box.out("get-state", "B") == "good"


def test_the_tried_boot_committed_by_mark_good(box: Box) -> None:
    install(box, "B")
    box.boot("B", tryboot=True, boot_id="boot-2")
    assert box.out("get-current") == "B" and box.out("get-state", "B") == "good"
    assert not box.pending()  # the trial is running, not waiting
    assert box.run("trial", check=False).returncode == 0  # borne-update-commit.service runs
    box.run("set-state", "B", "good")  # rauc status mark-good
    assert box.run("trial", check=False).returncode != 0  # committed: no longer a trial
    assert box.sections() == ("3", "3")
    assert box.out("get-primary") == "B" and box.out("get-state", "A") == "good"
    # The copy of the file as it was, on the data partition.
    assert "boot_partition=2" in (box.state / "autoboot.txt.previous").read_text()
    # Every later boot starts B, with or without the flag.
    box.boot("B", tryboot=False, boot_id="boot-3")
    assert box.out("get-primary") == "B" and box.out("get-state", "B") == "good"


def test_a_commit_changes_one_byte_of_the_partition(box: Box) -> None:
    install(box, "B")
    box.boot("B", tryboot=True, boot_id="boot-2")
    before = box.fat.read_bytes()
    box.run("set-state", "B", "good")
    after = box.fat.read_bytes()
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert len(changed) == 1 and after[changed[0]:changed[0] + 1] == b"3"
    fsck = subprocess.run([TOOLS["mkfs.vfat"].replace("mkfs.vfat", "fsck.vfat"), "-n", str(box.fat)],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_mark_bad_on_the_tried_boot_never_changes_all_and_is_remembered(box: Box) -> None:
    install(box, "B")
    box.boot("B", tryboot=True, boot_id="boot-2")
    box.run("set-state", "B", "bad")  # the health checks failed: mark-bad, then reboot
    assert box.sections() == ("2", "3")
    assert (box.state / "B").read_text().strip() == "bad"
    assert box.out("get-state", "B") == "bad" and not box.pending()
    box.boot("A", tryboot=False, boot_id="boot-3")  # the plain reboot: back on A
    assert box.run("trial", check=False).returncode != 0
    assert box.out("get-primary") == "A" and box.out("get-state", "B") == "bad"


def test_a_trial_that_never_committed_is_bad_after_any_other_boot(box: Box) -> None:
    # The tried boot hung (a watchdog reset) or the power went: the firmware is back on
    # [all], the flag gone; the trial is over without a mark, and never retried by itself.
    install(box, "B")
    box.boot("B", tryboot=True, boot_id="boot-2")
    box.boot("A", tryboot=False, boot_id="boot-3")
    assert box.out("get-state", "B") == "bad" and not box.pending()
    assert box.out("get-primary") == "A" and box.sections() == ("2", "3")


def test_a_power_cut_between_install_and_reboot_cancels_the_trial(box: Box) -> None:
    install(box, "B")
    box.boot("A", tryboot=False, boot_id="boot-2")
    assert not box.pending() and box.out("get-state", "B") == "bad"
    install(box, "B")  # a new install succeeds
    assert box.pending()


def test_mark_good_of_a_slot_not_on_trial_commits_nothing(box: Box) -> None:
    install(box, "B")
    box.run("set-state", "B", "good")  # B is not running: it cannot have proven itself
    box.run("set-state", "A", "good")
    assert box.sections() == ("2", "3")
    # Booted on B without the flag (someone's hand-made boot): still no commit.
    box.boot("B", tryboot=False, boot_id="boot-2")
    box.run("set-state", "B", "good")
    assert box.sections() == ("2", "3")


def test_an_update_back_to_a_after_b_was_committed(box: Box) -> None:
    install(box, "B")
    box.boot("B", tryboot=True, boot_id="boot-2")
    box.run("set-state", "B", "good")
    box.boot("B", tryboot=False, boot_id="boot-3")
    install(box, "A")
    assert box.sections() == ("3", "2") and box.pending() and box.out("get-primary") == "A"
    box.boot("A", tryboot=True, boot_id="boot-4")
    box.run("set-primary", "A")  # rauc status mark-active booted: commits too
    assert box.sections() == ("2", "2") and box.out("get-primary") == "A"


def test_set_primary_of_the_committed_slot_cancels_a_pending_trial(box: Box) -> None:
    install(box, "B")
    box.run("set-primary", "A")
    assert box.sections() == ("2", "2") and not box.pending()
    assert box.out("get-primary") == "A"


def test_a_reinstall_clears_a_bad_mark(box: Box) -> None:
    install(box, "B")
    box.boot("B", tryboot=True, boot_id="boot-2")
    box.run("set-state", "B", "bad")
    box.boot("A", tryboot=False, boot_id="boot-3")
    install(box, "B")
    assert box.pending() and box.out("get-state", "B") == "good"


@pytest.mark.parametrize("args", [("set-primary", "C"), ("get-state",), ("set-state", "A", "maybe"),
                                  ("frobnicate",)])
def test_wrong_calls_fail_and_write_nothing(box: Box, args: tuple[str, ...]) -> None:
    before = box.fat.read_bytes()
    assert box.run(*args, check=False).returncode != 0
    assert box.fat.read_bytes() == before and not box.state.exists()

