"""``borne serve``: the daemon in the foreground (systemd runs this)."""

from __future__ import annotations

import asyncio

from ..config import load_config
from ..daemon import Daemon
from ..logsub import setup_logging

__all__ = ["serve"]


def serve(config_path: str | None) -> int:
    """Load the config (an error stops here, naming file and key) and run the daemon."""
    config = load_config(config_path)
    setup_logging(config.daemon.log_level)
    asyncio.run(Daemon(config).run())
    return 0
