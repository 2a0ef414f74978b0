"""The network's events (Wi-Fi joined by a code shown to the camera, :mod:`borne.network`);
part of :mod:`borne.events.types`. Never a password: an SSID at most."""

from __future__ import annotations

from .base import EventData

__all__ = ["NetworkFailed", "NetworkJoined", "NetworkLost", "NetworkOffered"]


class NetworkOffered(EventData, frozen=True, kw_only=True):
    """A Wi-Fi code was shown to the box: it waits for the button to join that network."""

    TYPE = "network.offered"
    ssid: str
    #: Seconds left to press the button.
    expires_in_s: int


class NetworkJoined(EventData, frozen=True, kw_only=True):
    """The box joined a network (its address on it)."""

    TYPE = "network.joined"
    ssid: str
    address: str | None
    #: ``wifi`` or ``ethernet``.
    interface: str


class NetworkFailed(EventData, frozen=True, kw_only=True):
    """Joining a network failed: ``code`` says why (wrong password, not found, timeout...)."""

    TYPE = "network.failed"
    ssid: str
    code: str
    message: str


class NetworkLost(EventData, frozen=True, kw_only=True):
    """The box lost the network it was on."""

    TYPE = "network.lost"
    ssid: str
