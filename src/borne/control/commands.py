"""The daemon's commands on the control socket: what ``borne status``, ``borne pair``... ask for.

Using the socket counts as physical presence at the box (:mod:`borne.control`): the
caller sees the cards' content, may open pairing and revoke workstations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from ..errors import BorneError, Message
from .server import Handler, Peer

if TYPE_CHECKING:
    from ..api.context import ApiContext
    from ..daemon import Daemon

__all__ = ["daemon_commands"]


def daemon_commands(daemon: Daemon) -> dict[str, Handler]:
    """The control socket's commands, by name, for ``daemon``."""

    def api_context() -> ApiContext:
        if daemon.api_context is None:
            raise BorneError("the API is not running", code="api_unavailable")
        return daemon.api_context

    async def status(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        # The control socket is physical presence: the operator sees the cards' content.
        # "apcv": counts only (presentations waiting, sessions open, GS1 codes ignored).
        # "refused": what callers without an authorised certificate were refused (counts).
        tally = daemon.api_context.refusals if daemon.api_context is not None else None
        return {**daemon.core.snapshot(identity=True), "apcv": daemon.apcv.describe(),
                "update": msgspec.to_builtins(daemon.updates.snapshot()),
                "usb": msgspec.to_builtins(daemon.usb.snapshot()),
                "network": msgspec.to_builtins(daemon.network.snapshot()),
                **({"refused": tally.describe()} if tally is not None else {})}

    async def ping(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        # "ready": started (what READY=1 tells systemd; `borne update commit` without systemd).
        return {"pong": True, "last_event_seq": daemon.bus.last_seq,
                "ready": daemon.ready.is_set()}

    async def paths(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        # Where this daemon keeps its data: the operator's tools read its files there
        # (audit.db...), whatever config file they were given (the simulator's differs).
        return {"data_dir": daemon.config.daemon.data_dir,
                "runtime_dir": daemon.config.daemon.runtime_dir}

    async def events(peer: Peer, args: dict[str, Any]) -> list[dict[str, Any]]:
        after = int(args.get("after", 0))
        return [event.to_dict() for event in daemon.bus.history(after)]

    async def pair_open(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        # Physical presence: whoever can use this socket may open pairing.
        window = daemon.open_pairing(admin=bool(args.get("admin", False)))
        return {"code": window.code, "expires_in_s": round(window.expires_mono
                                                           - daemon.clock.monotonic())}

    async def pair_close(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        api_context().pairing.close()
        return {"closed": True}

    async def clients(peer: Peer, args: dict[str, Any]) -> list[dict[str, Any]]:
        return [record.to_dict() for record in api_context().clients.list()]

    async def revoke(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        # The person at the box is the authority: they may revoke the last admin workstation
        # (a lost tablet), and are told when none is left (borne pair open --admin pairs one).
        client_id = str(args.get("client_id", ""))
        context = api_context()
        record = context.clients.get(client_id)
        closed = context.revoke(client_id, keep_an_admin=False)
        if closed is None:
            raise BorneError(Message.same(client_id), code="client_unknown")
        return {"client_id": client_id, "streams_closed": closed,
                "admin": bool(record and record.admin),
                "admins_left": len(context.clients.active_admins())}

    async def scan(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        on = bool(args.get("on", True))
        return {"camera": daemon.scan(on), "scanning": on}

    async def mode(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("mode") is not None:
            daemon.set_mode(str(args["mode"]))
        return {"mode": daemon.core.mode}

    from ..network.commands import network_commands
    from ..update.commands import update_commands

    return {"status": status, "ping": ping, "paths": paths, "events": events, "pair_open": pair_open,
            "pair_close": pair_close, "clients": clients, "revoke": revoke, "scan": scan,
            "mode": mode, **update_commands(daemon.updates),
            **network_commands(daemon.network)}
