"""The ``[mdns]`` section: the announced name and interfaces, checked when read.

The name is seen by anyone on the network: letters, digits and ``-`` only (one
DNS label), never a person's or a pharmacy's name. See
:mod:`borne.mdns.announcement` for what is announced with it.
"""

from __future__ import annotations

import re

import msgspec

from ..errors import ConfigError
from ..section import Section

__all__ = ["MdnsConfig"]

# One DNS label of letters, digits and inner hyphens (RFC 1123): also a safe host name.
_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class MdnsConfig(Section):
    """How the box announces its API on the local network (DNS-SD over mDNS, ``_borne._tcp``).

    The announcement carries no personal data: a box name, the API's port, and
    TXT keys from an allow-list (API level, the OpenAPI document's path, the
    SHA-256 fingerprint of the box's CA). See :mod:`borne.mdns.announcement`.
    """

    enabled: bool = True
    #: The announced name; empty: ``borne-`` and the first 8 hex digits of the CA's
    #: fingerprint. Letters, digits and ``-`` only: never a person's or a pharmacy's name.
    name: str = ""
    #: Network interfaces to announce on (e.g. ``["wlan0"]``); empty: every one but loopback.
    interfaces: list[str] = msgspec.field(default_factory=list)
    #: Seconds between checks of the interfaces' addresses (a new hotspot, a new DHCP
    #: lease): the announcement follows them.
    recheck_s: float = 10.0

    def __post_init__(self) -> None:
        if self.name and not _NAME_RE.fullmatch(self.name):
            raise ConfigError("letters, digits and '-' only, at most 63 (a DNS label)",
                              key="mdns.name")
        for interface in self.interfaces:
            # IFNAMSIZ is 16 with the final NUL (netdevice(7)).
            if not 0 < len(interface) <= 15 or "/" in interface or interface.strip() != interface:
                raise ConfigError(f"not a network interface name: {interface!r}",
                                  key="mdns.interfaces")
        if not self.recheck_s > 0:
            raise ConfigError("must be positive", key="mdns.recheck_s")
