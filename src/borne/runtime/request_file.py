"""A request to root's path units: a file the unprivileged daemon creates in its runtime dir.

The daemon (user ``borne``, no capabilities) may neither power off nor reboot the box. It
creates ``<runtime_dir>/<name>`` (``/run/borne``, which only ``borne`` and root may write)
and a path unit of root's (``PathExists=``) starts the service that acts. ``/run`` is a
tmpfs: no request outlives a boot.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_request"]


def write_request(runtime_dir: Path, name: str, reason: str) -> Path:
    """Create ``runtime_dir/name`` holding ``reason``, atomically (the path unit never sees
    a half-written file); returns its path."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    path = runtime_dir / name
    temporary = runtime_dir / f".{name}.tmp"
    temporary.write_text(reason.strip() + "\n")
    os.replace(temporary, path)
    return path
