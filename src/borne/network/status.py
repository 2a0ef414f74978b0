"""The network's state as ``/v1/status``, the control socket and ``borne doctor`` show it."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = ["NetworkState", "NetworkStatus", "network_off"]

NetworkState = Literal["off", "unavailable", "offline", "ethernet", "wifi"]


class NetworkStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The box's network. `state`: `off` (`[network] enabled = "off"`); `unavailable`
    (NetworkManager unreachable: `detail`); `offline`; `ethernet` (a cable: it comes first);
    `wifi`. Never a password"""

    state: NetworkState
    detail: Annotated[str | None, Meta(description="why the network is not managed")]
    ethernet: Annotated[bool, Meta(description="a cable is plugged and up")]
    ssid: Annotated[str | None, Meta(description="the Wi-Fi network joined, if any")]
    # (the bounds on the int, not on the union: msgspec's schema refuses `ge` on `int | None`)
    signal: Annotated[Annotated[int, Meta(ge=0, le=100)] | None,
                      Meta(description="its signal (%)")]
    address: Annotated[str | None, Meta(description="the address the box answers on")]
    pending_ssid: Annotated[str | None, Meta(
        description="a Wi-Fi code shown and waiting for the button at the box")]


def network_off() -> NetworkStatus:
    """The status of a box whose network service is not built (an API alone, in tests)."""
    return NetworkStatus(state="off", detail=None, ethernet=False, ssid=None, signal=None,
                         address=None, pending_ssid=None)
