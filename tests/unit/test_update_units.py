"""The update's systemd units, udev rule and USB mount helper: what systemd says of them.

``systemd-analyze verify`` of each unit with its programs at their repository paths (as
tests/unit/test_systemd_unit.py does for borne.service), the request file the daemon
writes, and the USB stick's mount options (the helper run with stand-ins for ``mount``,
``blkid`` and ``getent``: this CI kernel has no vfat to mount a real stick).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
FILES = REPO / "image" / "files"
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze (missing: apt-get install systemd)"


def _installed(unit: Path, where: Path, name: str | None = None) -> Path:
    """UNIT with the box's programs pointed at this repository's (and this venv's borne)."""
    text = unit.read_text()
    for box_path, here in {"/opt/borne/venv/bin/borne": str(Path(sys.executable).with_name("borne")),
                           "/usr/lib/rauc/tryboot-backend": str(FILES / "rauc" / "tryboot-backend"),
                           "/opt/borne/libexec/borne-usb-mount": str(FILES / "borne-usb-mount")}.items():
        text = text.replace(box_path, here)
    target = where / (name or unit.name)
    target.write_text(text)
    return target


def _verify(*units: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANALYZE, "verify", "--no-pager", *map(str, units)], capture_output=True,
                          text=True, timeout=60)


def test_the_update_units_verify(tmp_path: Path) -> None:
    units = [_installed(SYSTEMD / name, tmp_path) for name in
             ("borne-update-commit.service", "borne-update-reboot.path", "borne-update-reboot.service")]
    units.append(_installed(FILES / "borne-rauc-state.service", tmp_path))
    units.append(_installed(FILES / "borne-usb-mount@.service", tmp_path, "borne-usb-mount@sda1.service"))
    run = _verify(*units)
    assert run.returncode == 0 and run.stderr.strip() == "", run.stderr
    # The same check catches a mistake.
    broken = units[0].read_text().replace("Type=oneshot", "Type=oneshott")
    units[0].write_text(broken)
    assert "Failed to parse service type" in _verify(units[0]).stderr


def test_the_reboot_watches_the_daemons_request_file_and_tries_only_a_pending_trial() -> None:
    from borne.config import DaemonConfig

    watched = f"{DaemonConfig().runtime_dir}/reboot-request"
    assert f"PathExists={watched}\n" in (SYSTEMD / "borne-update-reboot.path").read_text()
    service = (SYSTEMD / "borne-update-reboot.service").read_text()
    assert f"ConditionPathExists={watched}\n" in service
    assert ("if /usr/lib/rauc/tryboot-backend pending; then exec /usr/bin/systemctl reboot \"0 tryboot\"; "
            "else exec /usr/bin/systemctl reboot; fi") in service


def test_the_commit_runs_only_on_a_trial_beside_the_daemon_and_reboots_if_it_fails() -> None:
    text = (SYSTEMD / "borne-update-commit.service").read_text()
    for line in ("ExecCondition=+/usr/lib/rauc/tryboot-backend trial",
                 "ExecStart=/opt/borne/venv/bin/borne update commit", "Wants=borne.service",
                 "FailureAction=reboot", "User=borne"):
        assert f"\n{line}" in text, line
    assert "Requires=borne.service" not in text  # a daemon that never starts must be undone
    # Not ordered after the daemon: one that never sends READY=1 would hold the commit
    # back for its whole TimeoutStartSec; the commit's own deadline counts from the boot.
    after = [line for line in text.splitlines() if line.startswith("After=")]
    assert after and not any("borne.service" in line.split() for line in after), after


def test_the_udev_rule_starts_the_mount_for_usb_fat_sticks_only() -> None:
    rules = [line for line in (FILES / "80-borne-usb-stick.rules").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules == ['ACTION=="add", SUBSYSTEM=="block", ENV{ID_BUS}=="usb", '
                     'ENV{ID_FS_USAGE}=="filesystem", ENV{ID_FS_TYPE}=="vfat|exfat", TAG+="systemd", '
                     'ENV{SYSTEMD_WANTS}+="borne-usb-mount@%k.service"']
    unit = (FILES / "borne-usb-mount@.service").read_text()
    assert "BindsTo=dev-%i.device" in unit and "ExecStop=/opt/borne/libexec/borne-usb-mount unmount %I" in unit


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.fixture
def stand_ins(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """blkid, getent, mount and umount stand-ins that record what they were asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    _stub(bin_dir, "blkid", 'echo "${BLKID_TYPE}"\n')
    _stub(bin_dir, "getent", 'echo "borne:x:995:"\n')
    _stub(bin_dir, "mount", f'echo "mount $*" >> {log}\n')
    _stub(bin_dir, "umount", f'echo "umount $*" >> {log}\n')
    _stub(bin_dir, "mountpoint", "exit 0\n")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "BORNE_USB_BASE": str(tmp_path / "usb")}
    return log, env


def test_a_fat_stick_is_mounted_read_only_nosuid_nodev_noexec(stand_ins: tuple[Path, dict[str, str]]) -> None:
    log, env = stand_ins
    helper = str(FILES / "borne-usb-mount")
    done = subprocess.run([helper, "mount", "sda1"], env={**env, "BLKID_TYPE": "vfat"},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    base = env["BORNE_USB_BASE"]
    assert log.read_text().splitlines() == [
        f"mount -t vfat -o ro,nosuid,nodev,noexec,noatime,uid=0,gid=995,dmask=0027,fmask=0137 "
        f"/dev/sda1 {base}/sda1"]
    subprocess.run([helper, "unmount", "sda1"], env=env, check=True)
    assert log.read_text().splitlines()[-1] == f"umount -l {base}/sda1"
    assert not Path(base, "sda1").exists()


@pytest.mark.parametrize(("name", "fs_type"), [("sda1", "ext4"), ("sda1", ""), ("../sda1", "vfat"),
                                               ("", "vfat")])
def test_anything_else_is_left_alone(stand_ins: tuple[Path, dict[str, str]], name: str, fs_type: str) -> None:
    log, env = stand_ins
    done = subprocess.run([str(FILES / "borne-usb-mount"), "mount", name],
                          env={**env, "BLKID_TYPE": fs_type}, capture_output=True, text=True)
    assert done.returncode != 0 and not log.exists()
