"""``borne doctor``: check what the box needs and say what to fix, in plain words.

It checks from outside what it can (the config file, pcscd and its readers, the
data partition, the certificates on disk, the clock, the control group), then
asks the running daemon over the control socket for what only the daemon knows
(its camera, scanner, NFC reader, screen, panel, API; whether it fell back to
the default config; paired workstations' certificates). The checks and their
words are :mod:`borne.health`'s, the same as ``health`` in ``GET /v1/status``.
"""

from __future__ import annotations

import grp
from datetime import datetime, timezone
from typing import Any

from ..config import Config
from ..errors import BorneError
from ..health import (
    Check,
    check_battery,
    check_certificate,
    check_client_certs,
    check_clock,
    check_config_file,
    check_config_problem,
    check_data_dir,
    check_disk,
    check_update,
    check_usb,
    check_network,
    configured_devices,
    device_checks,
    probe_pcscd,
)

__all__ = ["Check", "doctor", "run_checks"]


def _check_group(config: Config) -> Check:
    try:
        grp.getgrnam(config.control.group)
    except KeyError:
        group = config.control.group
        return Check("group", "warn", f"groupe {group} absent : seul root pilote la borne",
                     f"group {group} missing: only root can drive the box",
                     f"groupadd --system {group}", f"groupadd --system {group}", code="group_missing")
    return Check("group", "ok", f"groupe {config.control.group} présent",
                 f"group {config.control.group} exists")


def _ask_daemon(config: Config) -> list[Check]:
    """The daemon's own view: one check saying whether it answered, then its devices' checks."""
    from ..control.client import call

    try:
        status = call(config.control_socket, "status", timeout=5.0)
    except BorneError as error:
        unknown_fr = ("état de la caméra, de la douchette, du NFC, de l'écran et de l'API "
                      "inconnu")
        unknown_en = "state of the camera, scanner, NFC, screen and API unknown"
        group = config.control.group
        if error.code == "control_forbidden":
            return [Check(
                "daemon", "warn", f"accès refusé au service ({unknown_fr})",
                f"access to the daemon refused ({unknown_en})",
                f"lancez borne doctor en root ou membre du groupe {group}",
                f"run borne doctor as root or a member of group {group}", code="daemon_forbidden")]
        return [Check(
            "daemon", "warn", f"le service ne répond pas ({unknown_fr})",
            f"the daemon does not answer ({unknown_en})",
            "systemctl start borne (ou : borne serve) ; journalctl -u borne dit pourquoi il s'est "
            "arrêté",
            "systemctl start borne (or: borne serve); journalctl -u borne says why it stopped",
            code="daemon_down")]
    checks = [Check("daemon", "ok", f"le service répond sur {config.control_socket}",
                    f"the daemon answers on {config.control_socket}")]
    clock = status.get("clock") or {}
    if clock.get("source") == "client" and clock.get("synchronised"):
        # Only the daemon knows a workstation set its clock (an offset, not the kernel's).
        checks.append(check_clock(True, str(clock.get("wall")), "client"))
    devices: dict[str, Any] = status.get("devices", {})
    fallback = devices.get("config")
    if fallback is not None and fallback.get("state") == "error":
        checks.append(check_config_problem(fallback.get("detail") or "?", None))
    # pcscd and the data directory were checked from here already: the daemon's view
    # of them only when it differs (pcscd refusing the borne user, say).
    for check in device_checks(devices, configured_devices(config), slots=None):
        if check.name not in ("pcscd", "storage") or check.status != "ok":
            checks.append(check)
    battery = check_battery(status.get("battery"), devices.get("battery"),
                            config.battery.device != "none")
    if battery is not None:
        checks.append(battery)
    for check in (check_update(status.get("update")), check_usb(status.get("usb")),
                  check_network(status.get("network"))):
        if check is not None:
            checks.append(check)
    try:
        clients = call(config.control_socket, "clients", timeout=5.0)
    except BorneError:
        return checks  # the API is off or broken: its device check says so
    checks.append(check_client_certs(clients, now=datetime.now(timezone.utc),
                                     warn_days=config.health.cert_warn_days))
    return checks


def run_checks(config_path: str | None) -> list[Check]:
    """Every check, in the order a person would fix things."""
    from ..runtime.clock import Clock

    from .running_box import box_data

    config, first = check_config_file(config_path)
    checks = [first, *probe_pcscd()]
    # The running daemon's data directory (the simulator's while it runs), as `audit` reads.
    data = box_data(config).data_dir
    checks.append(check_data_dir(data))
    checks.append(check_disk(data, config.health))
    wall = Clock().wall()
    checks.append(check_clock(wall.synchronised, wall.iso))
    now = datetime.now(timezone.utc)
    checks.append(check_certificate(data / "ca.crt", "ca", now=now,
                                    warn_days=config.health.ca_warn_days))
    checks.append(check_certificate(data / "server.crt", "server", now=now,
                                    warn_days=config.health.cert_warn_days))
    from ..health.keys import check_box_secret

    checks.append(check_box_secret(config, data))
    checks.append(_check_group(config))
    from_daemon = _ask_daemon(config)
    if any(check.name == "clock" for check in from_daemon):
        checks = [check for check in checks if check.name != "clock"]
    return checks + from_daemon


def doctor(config_path: str | None, *, language: str) -> int:
    """Print every check; exit 1 if any failed."""
    checks = run_checks(config_path)
    marks = {"ok": "OK", "warn": "WARN" if language == "en" else "ATTENTION",
             "fail": "FAIL" if language == "en" else "ÉCHEC"}
    for check in checks:
        line = f"[{marks[check.status]:9}] {check.name:11} {check.detail(language)}"
        if check.status != "ok":
            line += f" [{check.code}]"
        print(line)
        if check.status != "ok":
            print(f"{'':24}-> {check.fix(language)}")
    return 1 if any(c.status == "fail" for c in checks) else 0
