"""``borne bridge``: run the workstation bridge in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

__all__ = ["bridge"]


def bridge(args: argparse.Namespace) -> int:
    """Bridge the box at ``--box`` to the local vpcd reader; reconnects by itself."""
    from ..bridge.bridge import Bridge
    from ..runtime.logs import setup_logging

    setup_logging("info")
    logging.getLogger("borne.bridge").info("bridging %s to vpcd on %s:%d", args.box,
                                           args.vpcd_host, args.vpcd_port)
    runner = Bridge(args.box, args.dir, vpcd_host=args.vpcd_host, vpcd_port=args.vpcd_port)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.run())
    return 0
