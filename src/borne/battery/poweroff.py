"""Asking for a power-off: the daemon may not power the box off, root's path unit does.

The daemon runs unprivileged (``systemd/borne.service``: user ``borne``, no
capabilities), so it cannot call ``poweroff`` itself. It creates
``<runtime_dir>/poweroff-request`` (``/run/borne``, which only ``borne`` and
root may write); ``systemd/borne-poweroff.path`` (``PathExists=``) sees it
appear and starts ``borne-poweroff.service``, which runs ``systemctl poweroff``
as root. systemd then stops every service, this daemon included (SIGTERM: a
clean stop), and powers off. ``/run`` is a tmpfs: no request outlives a boot.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["POWEROFF_REQUEST", "request_poweroff"]

#: The file's name in the runtime directory (``systemd/borne-poweroff.path`` watches it).
POWEROFF_REQUEST = "poweroff-request"


def request_poweroff(runtime_dir: Path, reason: str) -> Path:
    """Create the request (atomically: the path unit never sees a half-written file)."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    path = runtime_dir / POWEROFF_REQUEST
    temporary = runtime_dir / f".{POWEROFF_REQUEST}.tmp"
    temporary.write_text(reason.strip() + "\n")
    os.replace(temporary, path)
    return path
