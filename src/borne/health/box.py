"""The health checks the running daemon makes, for ``GET /v1/status``.

Cheap enough to run on the event loop at every request: device states are
already in memory (``core.devices``, kept by the backends), the clock's sync
state is cached by :class:`~borne.runtime.clock.Clock`, free space is one statvfs(3),
the certificates are parsed again only when their file changes, and the paired
clients are one small SQLite query. Nothing here talks to pcscd or opens a device.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .battery import check_battery
from .certificates import CertificateFiles, check_certificate, check_client_certs
from .check import Check
from .configuration import check_config_problem
from .devices import configured_devices, device_checks
from .disk import check_disk
from .timesync import check_clock

__all__ = ["BoxHealth"]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BoxHealth:
    """What the daemon knows of its own health, as :class:`~borne.health.Check` s.

    ``config`` is the daemon's :class:`~borne.config.Config`, ``core`` its
    :class:`~borne.core.Core`, ``clients`` the paired-client registry (None: not
    judged). ``now`` gives the aware UTC time certificates are judged against.
    """

    def __init__(self, config: Any, core: Any, *, clients: Any = None,
                 now: Callable[[], datetime] = _utc_now) -> None:
        self._config = config
        self._core = core
        self._clients = clients
        self._now = now
        self._data = Path(config.daemon.data_dir)
        self._configured = configured_devices(config)
        self._certificates = CertificateFiles()

    def checks(self) -> list[Check]:
        """Every check, in the order a person would look at them."""
        core, settings, now = self._core, self._config.health, self._now()
        # Set by `borne serve` when it fell back to the defaults (None, or absent on older cores).
        checks = [check_config_problem(getattr(core, "config_problem", None), self._config.source)]
        checks += device_checks(core.devices, self._configured, slots=len(core.slots))
        battery = check_battery(getattr(core, "battery", None), core.devices.get("battery"),
                                self._config.battery.device != "none")
        if battery is not None:
            checks.append(battery)
        checks.append(check_disk(self._data, settings))
        wall = core.clock.wall()
        checks.append(check_clock(wall.synchronised, wall.iso))
        checks.append(check_certificate(self._data / "ca.crt", "ca", now=now,
                                        warn_days=settings.ca_warn_days, load=self._certificates))
        checks.append(check_certificate(self._data / "server.crt", "server", now=now,
                                        warn_days=settings.cert_warn_days,
                                        load=self._certificates))
        if self._clients is not None:
            checks.append(check_client_certs(self._clients.list(), now=now,
                                             warn_days=settings.cert_warn_days))
        return checks
