"""What :class:`borne.network.nm_client.NmClient` answers: plain frozen values, no D-Bus."""

from __future__ import annotations

from dataclasses import dataclass

from borne.runtime.system_bus import BusCallError

__all__ = ["JoinResult", "KnownNetwork", "NetState", "NmError"]


class NmError(BusCallError):
    """A call to NetworkManager failed: ``name`` is the D-Bus error's name (or ``no_bus``,
    ``timeout``). The text is NM's, which never holds a secret."""


@dataclass(frozen=True)
class JoinResult:
    """How joining a network ended: ``ok`` with the box's ``address`` there, or a ``code``
    (:mod:`borne.network.nm_reasons`: ``network_wrong_password``, ``network_not_found``,
    ``network_timeout``, ``network_failed``, ``network_no_wifi``)."""

    ok: bool
    code: str | None
    ssid: str
    address: str | None = None


@dataclass(frozen=True)
class KnownNetwork:
    """A Wi-Fi profile NetworkManager keeps: ``id`` is its UUID (what :meth:`forget` takes).
    Never its password."""

    id: str
    ssid: str
    priority: int
    autoconnect: bool
    active: bool


@dataclass(frozen=True)
class NetState:
    """The box's network now: a cable up, the Wi-Fi network joined (its signal 0..100),
    the address the box answers on (the cable's first)."""

    ethernet: bool
    wifi_ssid: str | None
    signal: int | None
    address: str | None
