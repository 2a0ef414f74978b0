"""The network routes: the Wi-Fi networks the box keeps, listed and forgotten by an admin.

- ``GET /v1/network``: an admin workstation lists the Wi-Fi profiles NetworkManager keeps for
  the box (the pharmacy's, the nurse's hotspot): id, SSID, priority, autoconnect, active.
  Never a password: the box never asks NetworkManager for a profile's secrets.
- ``DELETE /v1/network/{network_id}``: an admin forgets one (404 ``not_found`` for an id the
  box does not keep; a wired profile is never one).

Admin only: which networks a box joins says where it works, and forgetting the one it is on
takes it off the network. Joining a network is never an API operation: only a code shown to
the box and confirmed with its button (:mod:`borne.network.service`). Every request is
journaled by the guard; a forget adds the SSID forgotten (``AUDIT_DETAIL``).
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from msgspec import Meta, Struct

from .bodies import json_body
from .context import AUDIT_DETAIL, CONTEXT
from .errors import ApiError
from .guard import require_admin
from .operation import Answer
from .routes import operations

__all__ = ["KnownNetworks", "NetworkForgotten", "WifiNetwork"]


class WifiNetwork(Struct, kw_only=True):
    """A Wi-Fi network the box keeps (a NetworkManager profile). Never its password."""

    id: Annotated[str, Meta(description="the profile's id (what DELETE takes)")]
    ssid: Annotated[str, Meta(description="the network's name")]
    priority: Annotated[int, Meta(description="higher is tried first")]
    autoconnect: Annotated[bool, Meta(description="joined again when in range")]
    active: Annotated[bool, Meta(description="the box is on it now")]


class KnownNetworks(Struct, kw_only=True):
    """The Wi-Fi networks the box keeps (empty when NetworkManager is off or unreachable)."""

    networks: list[WifiNetwork]


class NetworkForgotten(Struct, kw_only=True):
    """A Wi-Fi network the box forgot."""

    id: str
    ssid: str


#: The path's id: NetworkManager's UUIDs; other characters are refused by the router, an id
#: over 64 characters by the handler (404 both; no quantifier here: it would end the pattern).
_ID = "{network_id:[0-9A-Za-z-]+}"


async def _known(request: web.Request) -> list[WifiNetwork]:
    service = request.app[CONTEXT].network
    if service is None:
        return []
    return [WifiNetwork(id=known.id, ssid=known.ssid, priority=known.priority,
                        autoconnect=known.autoconnect, active=known.active)
            for known in await service.known()]


@operations.get("/v1/network",
                "The Wi-Fi networks the box keeps (admin only): id, SSID, priority, "
                "autoconnect, active; never a password",
                Answer(200, KnownNetworks, "Known networks"))
async def known_networks(request: web.Request) -> web.Response:
    """List the kept Wi-Fi networks (admin)."""
    require_admin(request)
    return json_body(KnownNetworks(networks=await _known(request)))


@operations.delete(f"/v1/network/{_ID}",
                   "Forget a Wi-Fi network the box keeps (admin only); 404 not_found for an "
                   "id it does not keep",
                   Answer(200, NetworkForgotten, "Forgotten"), errors=(404,))
async def forget_network(request: web.Request) -> web.Response:
    """Forget one kept Wi-Fi network (admin); 404 if the box keeps none by that id."""
    require_admin(request)
    ident = request.match_info["network_id"]
    if len(ident) > 64:
        raise ApiError("not_found", network_id=ident[:64])
    service = request.app[CONTEXT].network
    known = {network.id: network for network in await _known(request)}
    if service is None or ident not in known or not await service.forget(ident):
        raise ApiError("not_found", network_id=ident)
    request[AUDIT_DETAIL] = {"ssid": known[ident].ssid}
    return json_body(NetworkForgotten(id=ident, ssid=known[ident].ssid))
