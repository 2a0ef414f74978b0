"""The update service's commands on the control socket (``borne update ...`` on the box).

The socket is physical presence at the box (:mod:`borne.control`): its user acts as
an admin, so it may allow a downgrade and force a reboot.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ..errors import BorneError, Message

if TYPE_CHECKING:
    from ..control.server import Handler, Peer
    from .service import UpdateService

__all__ = ["update_commands"]


def update_commands(updates: UpdateService) -> dict[str, Handler]:
    """``update_status``, ``update_install`` and ``update_reboot`` for ``updates``."""

    async def status(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        return msgspec.to_builtins(updates.snapshot())

    async def install(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        path = Path(str(args.get("path", "")))
        if not path.is_absolute():
            raise BorneError(Message.same(str(path)[:200]), code="update_invalid_bundle")
        info = await updates.install(path, origin="file", actor="box",
                                     allow_downgrade=bool(args.get("allow_downgrade", False)))
        return {"version": info.version, "compatible": info.compatible}

    async def reboot(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        status = await updates.request_reboot(actor="box", force=bool(args.get("force", False)))
        return msgspec.to_builtins(status)

    return {"update_status": status, "update_install": install, "update_reboot": reboot}
