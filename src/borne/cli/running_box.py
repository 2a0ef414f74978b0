"""Which box the operator's tools are about: the running daemon's, found the same way by each.

``borne status``, ``mode``, ``pair`` and ``clients`` ask the daemon over its control socket
(``<runtime_dir>/control.sock`` of the config they read, the daemon's default without one).
The tools that read the box's files (``borne audit``, ``borne doctor``) must read that same
daemon's: the simulator (``borne sim run``) listens on the same socket as a real box but
keeps its data in ``/var/lib/borne-sim``, and a config file given to a tool may say nothing
of ``data_dir``. So they ask the daemon where its data is (the control socket's ``paths``)
and read the config's ``[daemon] data_dir`` only when no daemon answers there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..control.client import call
from ..errors import ControlError

__all__ = ["BoxData", "box_data"]


@dataclass(frozen=True)
class BoxData:
    """The data directory the tools read, and who said so (``daemon`` or ``config``)."""

    data_dir: Path
    source: str


def box_data(config: Config) -> BoxData:
    """The running daemon's data directory, or the config's when no daemon answers.

    A daemon that refuses the caller (``control_forbidden``) is still asked no further:
    the config's directory is what such a caller could read anyway.
    """
    try:
        answer = call(config.control_socket, "paths", timeout=5.0)
    except ControlError:  # not running, not ours to ask, or a daemon older than `paths`
        return BoxData(Path(config.daemon.data_dir), "config")
    return BoxData(Path(answer["data_dir"]), "daemon")
