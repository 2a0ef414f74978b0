"""The box's mode, ``counter`` or ``mobile``, and where a switch made at run time is kept.

``[daemon] mode`` in the config is where a box starts. A nurse switches her box
from the billing tablet (``PUT /v1/mode``) or someone on the box does it
(``borne mode mobile``); that switch must survive a restart (a box on battery
restarts often), so it is kept in ``<data_dir>/mode.json`` with the config's
value at the time. A later edit of the config's mode wins over an older switch:
whoever changed the file last meant it.

What the mode changes is done by the daemon (:meth:`borne.daemon.Daemon.set_mode`):
the camera scans only when asked in mobile mode, the screen dims sooner and
shows the battery and the reads waiting.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from .durable import replace_text

__all__ = ["MODES", "Mode", "ModeStore"]

log = logging.getLogger("borne.runtime.mode")

Mode = Literal["counter", "mobile"]
MODES: tuple[str, ...] = ("counter", "mobile")


class ModeStore:
    """Reads and writes ``mode.json`` in the data directory."""

    def __init__(self, data_dir: Path, configured: str) -> None:
        self._path = Path(data_dir) / "mode.json"
        self._configured = configured

    def initial(self) -> str:
        """The mode to start in: the last switch, unless the config's mode changed since."""
        try:
            saved = json.loads(self._path.read_text())
        except FileNotFoundError:
            return self._configured
        except (OSError, ValueError) as error:
            log.warning("%s unreadable (%s): starting in the configured mode", self._path, error)
            return self._configured
        if (isinstance(saved, dict) and saved.get("mode") in MODES
                and saved.get("configured") == self._configured):
            return saved["mode"]
        return self._configured

    def save(self, mode: str) -> None:
        """Keep ``mode`` for the next start (atomically: a power cut leaves the old or the new)."""
        try:
            replace_text(self._path, json.dumps({"mode": mode, "configured": self._configured}),
                         sync_dir=False)
        except OSError as error:
            # The switch still applies now; it is only not remembered.
            log.warning("cannot keep the mode in %s: %s", self._path, error.strerror)
