"""systemd/borne.service: what systemd itself says of it (systemd-analyze), and its promises."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "borne.service"
# Not a skip when missing: ./dev.sh setup installs it, and these checks are the promise.
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze (missing: apt-get install systemd)"


def _service() -> dict[str, list[str]]:
    """Every [Service] key with all its values (a key may repeat)."""
    values: dict[str, list[str]] = {}
    section = None
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_exposure_is_at_most_2() -> None:
    run = subprocess.run([ANALYZE, "security", "--offline=true", "--no-pager", str(UNIT)],
                         capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for borne\.service: (\d+\.\d+)", run.stdout)
    assert match, run.stdout[-500:] + run.stderr
    assert float(match.group(1)) <= 2.0


def test_verify_finds_nothing_wrong_once_installed(tmp_path: Path) -> None:
    # "Installed": ExecStart points at this venv's real borne (the unit names /opt/borne/venv).
    borne = Path(sys.executable).with_name("borne")
    assert borne.exists()
    unit = tmp_path / "borne.service"
    unit.write_text(UNIT.read_text().replace("/opt/borne/venv/bin/borne", str(borne)))
    run = subprocess.run([ANALYZE, "verify", "--no-pager", str(unit)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stderr.strip() == "", run.stderr
    # And the same check does catch a mistake (so the empty output above means something).
    unit.write_text(unit.read_text().replace("Type=notify", "Type=notifyy"))
    broken = subprocess.run([ANALYZE, "verify", "--no-pager", str(unit)], capture_output=True,
                            text=True, timeout=60)
    assert "Failed to parse service type" in broken.stderr


def test_the_units_promises() -> None:
    service = _service()
    assert service["Type"] == ["notify"] and service["NotifyAccess"] == ["main"]
    assert service["Restart"] == ["on-failure"] and service["WatchdogSec"]
    assert service["User"] == ["borne"] and service["CapabilityBoundingSet"] == [""]
    assert set(service["SupplementaryGroups"][0].split()) == {"i2c", "spi", "gpio", "video", "input"}
    assert service["ProtectSystem"] == ["strict"] and service["NoNewPrivileges"] == ["yes"]
    assert service["StateDirectory"] == ["borne"] and service["RuntimeDirectory"] == ["borne"]
    assert service["ExecStart"] == ["/opt/borne/venv/bin/borne serve"]
    # The state and runtime directories are the only writable places, with the USB
    # reader's FunctionFS endpoints (only when mounted: "-").
    assert service.get("ReadWritePaths") == ["-/run/borne-ffs"]
    # Binding the USB gadget is root's and may fail without stopping the daemon ("-+").
    assert service["ExecStartPost"] == ["-+/bin/sh -c 'ls /sys/class/udc/* >/dev/null 2>&1 "
                                        "|| exit 0; exec /opt/borne/venv/bin/borne usb gadget bind'"]
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string(re.sub(r"^(SystemCallFilter|DeviceAllow)=.*$", "", UNIT.read_text(), flags=re.M))
    assert "pcscd.service" in unit["Unit"]["After"] and unit["Unit"]["StartLimitIntervalSec"] == "0"


def test_poweroff_units_verify_and_watch_the_daemons_request_file(tmp_path: Path) -> None:
    # borne-poweroff.path (root) powers the box off when the daemon, which may not, asks.
    from borne.battery.poweroff import POWEROFF_REQUEST
    from borne.config import DaemonConfig

    units = [UNIT.with_name(f"borne-poweroff.{kind}") for kind in ("path", "service")]
    run = subprocess.run([ANALYZE, "verify", "--no-pager", *map(str, units)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stderr.strip() == "", run.stderr
    watched = f"{DaemonConfig().runtime_dir}/{POWEROFF_REQUEST}"
    assert f"PathExists={watched}\n" in units[0].read_text()
    assert f"ConditionPathExists={watched}\n" in units[1].read_text()
    broken = tmp_path / units[0].name
    broken.write_text(units[0].read_text().replace("PathExists=", "PathExist="))
    (tmp_path / units[1].name).write_text(units[1].read_text())
    run = subprocess.run([ANALYZE, "verify", "--no-pager", str(broken), str(tmp_path / units[1].name)],
                         capture_output=True, text=True, timeout=60)
    assert "lacks path setting" in run.stderr


def test_the_descriptor_limit_leaves_room_beyond_the_apis_caps() -> None:
    from borne.api.server import BACKLOG, DESCRIPTOR_RESERVE
    from borne.secure_channel.settings import ConnectionLimits

    # The API's caps (a flood is closed by them, never by EMFILE), connections accepted in
    # a burst before the caps close them, and the rest of the daemon (pcscd, SQLite, camera).
    (limit,) = _service()["LimitNOFILE"]
    assert int(limit) >= ConnectionLimits().most + 3 * BACKLOG + DESCRIPTOR_RESERVE
