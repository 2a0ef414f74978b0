"""The network service's commands on the control socket (``borne network ...`` on the box).

The socket is physical presence at the box (:mod:`borne.control`): its user may list and
forget the kept Wi-Fi networks, and open the provisioning window (the next code shown joins
without the button). Never a password: the box never asks NetworkManager for one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BorneError, Message

if TYPE_CHECKING:
    from ..control.server import Handler, Peer
    from .service import NetworkService

__all__ = ["WINDOW_S", "network_commands"]

#: How long a provisioning window may stay open (seconds): long enough to fetch the phone.
WINDOW_S = (1, 600)


def network_commands(network: NetworkService) -> dict[str, Handler]:
    """``network.list``, ``network.forget`` and ``network.window`` for ``network``."""

    async def listed(peer: Peer, args: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": known.id, "ssid": known.ssid, "priority": known.priority,
                 "autoconnect": known.autoconnect, "active": known.active}
                for known in await network.known()]

    async def forget(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        ident = str(args.get("id", ""))[:64]
        ssids = {known.id: known.ssid for known in await network.known()}
        if ident not in ssids or not await network.forget(ident):
            raise BorneError(Message.same(ident), code="network_unknown")
        return {"id": ident, "ssid": ssids[ident]}

    async def window(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        seconds = args.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
                or not WINDOW_S[0] <= seconds <= WINDOW_S[1]:
            raise BorneError(Message.same(f"{WINDOW_S[0]}..{WINDOW_S[1]}"),
                             code="network_window_invalid")
        network.open_window(float(seconds))
        return {"seconds": seconds}

    return {"network.list": listed, "network.forget": forget, "network.window": window}
