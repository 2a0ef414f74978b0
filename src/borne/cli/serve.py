"""``borne serve``: the daemon in the foreground (systemd runs this)."""

from __future__ import annotations

import asyncio
import logging

from ..config import load_config_or_defaults
from ..daemon import Daemon
from ..runtime.logs import setup_logging

__all__ = ["serve"]

log = logging.getLogger("borne.serve")


def serve(config_path: str | None) -> int:
    """Load the config and run the daemon.

    A broken or missing config file does not keep the box down: a box nobody
    logs into must still come up. It starts on the built-in defaults (the real
    devices, nothing opened wider than by default), and says so in the log, on
    the screen (``config_invalid``), in ``/v1/status`` and in ``borne doctor``.
    """
    config, problem = load_config_or_defaults(config_path)
    setup_logging(config.daemon.log_level)
    daemon = Daemon(config)
    if problem is not None:
        log.error("configuration refused, running on the built-in defaults: %s", problem.message("en"))
        daemon.report_config_problem(problem)
    asyncio.run(daemon.run())
    return 0
