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

from pathlib import Path

from ..runtime.request_file import write_request

__all__ = ["POWEROFF_REQUEST", "request_poweroff"]

#: The file's name in the runtime directory (``systemd/borne-poweroff.path`` watches it).
POWEROFF_REQUEST = "poweroff-request"


def request_poweroff(runtime_dir: Path, reason: str) -> Path:
    """Create the request (atomically: the path unit never sees a half-written file)."""
    return write_request(runtime_dir, POWEROFF_REQUEST, reason)
