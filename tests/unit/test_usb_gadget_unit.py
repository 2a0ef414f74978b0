"""borne-usb-gadget.service: what systemd says of it, and what it promises the daemon."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "borne-usb-gadget.service"
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze (missing: apt-get install systemd)"


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANALYZE, "verify", "--no-pager", str(unit)], capture_output=True,
                          text=True, timeout=60)


def test_the_unit_verifies_once_installed(tmp_path: Path) -> None:
    unit = tmp_path / UNIT.name
    borne = str(Path(sys.executable).with_name("borne"))
    unit.write_text(UNIT.read_text().replace("/opt/borne/venv/bin/borne", borne))
    run = _verify(unit)
    assert run.returncode == 0 and run.stderr.strip() == "", run.stderr
    unit.write_text(unit.read_text().replace("Type=oneshot", "Type=oneshott"))
    assert "Failed to parse service type" in _verify(unit).stderr


def test_the_unit_runs_before_the_daemon_only_on_a_board_with_a_device_controller() -> None:
    lines = UNIT.read_text().splitlines()
    for line in ("ConditionDirectoryNotEmpty=/sys/class/udc", "Before=borne.service",
                 "Type=oneshot", "RemainAfterExit=yes",
                 "ExecStart=/opt/borne/venv/bin/borne usb gadget up",
                 "ExecStop=/opt/borne/venv/bin/borne usb gadget down",
                 "WantedBy=multi-user.target"):
        assert line in lines, line
    assert not any(line.startswith("User=") for line in lines)  # configfs and mount are root's
    # Not Requires=: a configfs that cannot mount (a container) must not fail the boot.
    assert not any(line.startswith("Requires=") for line in lines)


def test_the_daemon_writes_where_the_gadget_mounts_functionfs() -> None:
    from borne.ccid.settings import UsbConfig

    daemon = (REPO / "systemd" / "borne.service").read_text()
    assert f"ReadWritePaths=-{UsbConfig().functionfs_dir}\n" in daemon
