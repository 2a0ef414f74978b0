"""Health checks: what is wrong with the box, and what to do, in French and English.

One set of checks, two places that show them:

- ``borne doctor`` (:mod:`borne.cli.doctor`) checks from outside what it can
  (config file, pcscd and its readers, the data partition, the certificates on
  disk, the clock) and asks the running daemon for its devices' states;
- the daemon computes the same checks for ``GET /v1/status`` (``health``), with
  :class:`BoxHealth`, without blocking its event loop.

Each check returns a :class:`Check`: ``name`` (what was checked), ``status``
("ok", "warn", "fail"), a stable ``code`` from :data:`CODES` and words for a
person. The checks are plain functions of what they are given, so tests feed
them real inputs (a real file system, real certificates) and injected facts
(the kernel's clock sync answer, the devices' states).

=====================  ==========================================================
module                 checks
=====================  ==========================================================
``configuration``      the config file (doctor), the daemon's fallback to defaults
``pcscd``              pcscd and its readers, asked directly (doctor only)
``devices``            pcsc, readers, camera, scanner, NFC, display, panel, API,
                       storage, from the states the daemon keeps
``battery``            the battery's level and its board (a mobile box)
``disk``               the data directory, free space and inodes on its partition
``timesync``           the kernel's clock synchronisation (``adjtimex(2)``)
``certificates``       the box's CA and HTTPS certificate, workstations' certificates
``update``             the system's version, booted slot and update state (doctor)
``usb``                the box as a USB smart-card reader (doctor)
``network``            Ethernet or the Wi-Fi joined, its signal (doctor)
``box``                all of the above as the running daemon sees them
=====================  ==========================================================
"""

from __future__ import annotations

from .battery import check_battery
from .box import BoxHealth
from .certificates import CertificateFiles, check_certificate, check_client_certs
from .check import CODES, STATUSES, Check, worst
from .configuration import check_config_file, check_config_problem
from .devices import configured_devices, device_checks
from .disk import check_data_dir, check_disk
from .update import check_update
from .usb import check_usb
from .network import check_network
from .pcscd import pcscd_checks, probe_pcscd, readers_check
from .timesync import check_clock

__all__ = [
    "CODES",
    "STATUSES",
    "BoxHealth",
    "CertificateFiles",
    "Check",
    "check_battery",
    "check_certificate",
    "check_client_certs",
    "check_update",
    "check_usb",
    "check_network",
    "check_clock",
    "check_config_file",
    "check_config_problem",
    "check_data_dir",
    "check_disk",
    "configured_devices",
    "device_checks",
    "pcscd_checks",
    "probe_pcscd",
    "readers_check",
    "worst",
]
