"""The ``[network]`` section: joining a Wi-Fi network by a code shown to the box.

A leaf like every section: it imports nothing of borne but the errors and the sections'
base, so :mod:`borne.config` reads it without loading the D-Bus client.
"""

from __future__ import annotations

from typing import Literal

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["NetworkConfig"]


class NetworkConfig(Section):
    """How the box talks to NetworkManager and how long a person has to confirm.

    ``enabled``: ``auto`` uses NetworkManager when its D-Bus name is on the bus (a Raspberry
    Pi OS image), ``on`` insists (its absence is an error), ``off`` never asks it anything
    (a Wi-Fi code shown is then refused with ``network_unavailable``).
    """

    enabled: Literal["auto", "on", "off"] = "auto"
    #: The D-Bus address of NetworkManager's bus; "" is the system bus (tests give a private one).
    dbus_address: str = ""
    #: Seconds the person at the box has to press the button after a code is shown.
    confirm_s: float = 30.0
    #: Seconds a join may take before the box gives up (``network_timeout``).
    join_timeout_s: float = 45.0
    #: NetworkManager's autoconnect priority of the networks joined by a code; a network
    #: joined later gets the same one (the most recently used wins among equals).
    wifi_priority: int = 10
    #: Seconds between two looks at the network's state (the status line, ``network.lost``).
    poll_s: float = 5.0

    def __post_init__(self) -> None:
        """Refuse a section that cannot work, naming the key."""
        if not 5 <= self.confirm_s <= 300:
            raise ConfigError(Message.same("5..300"), key="network.confirm_s")
        if not 5 <= self.join_timeout_s <= 300:
            raise ConfigError(Message.same("5..300"), key="network.join_timeout_s")
        if not -999 <= self.wifi_priority <= 999:
            raise ConfigError(Message.same("-999..999"), key="network.wifi_priority")
        if not 1 <= self.poll_s <= 600:
            raise ConfigError(Message.same("1..600"), key="network.poll_s")
