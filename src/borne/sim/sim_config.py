"""The simulated box's configuration: the simulator's defaults, with a file's settings laid over.

``borne sim run`` (and ``borne sim insert``..., which must find its socket) runs
the real daemon with the twins: virtual cards behind a private pcscd, the camera
fed image files, the scanner's key log, nfcpy's UDP reader, the dummy screen,
mock pins, and a data directory of its own. A ``--config`` file changes only
what it names, key by key: ``[apcv] session_seconds = 4`` alone keeps every twin;
``[readers] camera = "picamera2"`` swaps the camera twin for the real camera.

The simulator never reads or writes the real box's data directory
(``/var/lib/borne``): a file that points it there is refused. Without
``--config``, the machine's ``/etc/borne/borne.toml`` is not read either: it is
the real box's.

A mobile box (``[daemon] mode = "mobile"``) whose file names no ``[battery]
device`` gets the battery's twin (``sim``), which ``borne sim battery`` drives.

The simulated box serves its API on loopback only (``[api] host = "127.0.0.1"``): a
developer's simulated box, with its open pairing button and test cards, is not for the
LAN to reach. ``borne sim run --listen 0.0.0.0`` (or ``[api] host`` in the file) opens it,
for billing software on another machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import Config, DaemonConfig, parse_config, read_config_file
from ..errors import ConfigError

__all__ = ["SIM_API_HOST", "SIM_DATA_DIR", "SIM_NFC_PORT", "laid_over", "sim_config",
           "sim_socket", "simulator_defaults"]

#: UDP port of the NFC twin (nfcpy's UDP driver) in the simulator's default config.
SIM_NFC_PORT = 54321
#: The simulator's own data directory (the real box's is DaemonConfig().data_dir).
SIM_DATA_DIR = "/var/lib/borne-sim"
#: Where the simulator's API listens unless told otherwise: this machine only.
SIM_API_HOST = "127.0.0.1"


def simulator_defaults(file_data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the simulator changes from the box's defaults, for a file's ``file_data``.

    The camera's and scanner's twins live in the runtime directory the file
    chooses (or the default one); a mobile box gets the battery's twin.
    """
    daemon = file_data.get("daemon", {})
    run = daemon.get("runtime_dir", DaemonConfig().runtime_dir)
    data = str(daemon.get("data_dir", SIM_DATA_DIR)).rstrip("/")
    defaults: dict[str, Any] = {
        "readers": {"smartcard": "sim", "camera": f"images:{run}/sim-camera",
                    "scanner": f"keylog:{run}/sim-scanner.jsonl",
                    "nfc": f"udp:127.0.0.1:{SIM_NFC_PORT}"},
        "display": {"device": "dummy:128x64"},
        "panel": {"pins": "mock"},
        # The board secret's twin: a file beside the data directory (never in it: a copy of
        # the data would carry it), named for what it is.
        "daemon": {"data_dir": SIM_DATA_DIR, "keys": f"file:{data}-board-secret.twin"},
        "api": {"host": SIM_API_HOST},
        # No RAUC in the simulator: its status says "unavailable", nothing else changes.
        "update": {"enabled": "off"},
    }
    if daemon.get("mode") == "mobile":
        defaults["battery"] = {"device": "sim"}
    return defaults


def laid_over(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` laid over ``base``: tables merged key by key, any other value of ``top`` wins."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = laid_over(below, value)
        else:
            merged[key] = value
    return merged


def _refuse_the_real_data_dir(config: Config, source: str | None) -> None:
    real = Path(os.path.realpath(DaemonConfig().data_dir))
    chosen = Path(os.path.realpath(config.daemon.data_dir))
    if chosen == real or chosen.is_relative_to(real):
        raise ConfigError(f"the simulator never uses the real box's data directory ({real}); "
                          f"leave it out to get {SIM_DATA_DIR}", file=source,
                          key="daemon.data_dir")


def sim_config(config_path: str | os.PathLike[str] | None, *, listen: str | None = None) -> Config:
    """The simulated box's config: :func:`simulator_defaults`, then the file's settings,
    then ``listen`` (``borne sim run --listen``) as ``[api] host``."""
    file_data = read_config_file(config_path) if config_path is not None else {}
    source = str(config_path) if config_path is not None else None
    data = laid_over(simulator_defaults(file_data), file_data)
    if listen is not None:
        data = laid_over(data, {"api": {"host": listen}})
    config = parse_config(data, source=source)
    _refuse_the_real_data_dir(config, source)
    return config


def sim_socket(config: Config) -> Path:
    """Where the simulator's control socket lives."""
    return Path(config.daemon.runtime_dir) / "sim.sock"
