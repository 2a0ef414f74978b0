"""Finding the box on a local network: what it announces over DNS-SD/mDNS, and where.

Billing software on a phone hotspot or a pharmacy LAN finds the box without an
address typed in: the box announces a ``_borne._tcp`` service (RFC 6763 over
RFC 6762 multicast DNS) with python-zeroconf (:mod:`borne.mdns.announcer`), and
the SDK browses for it (:func:`borne.client.discover`).

The announcement is seen by anyone on the network, so it carries **no personal
data**: the service and host name are ``borne-`` and 8 hex digits of the box's CA
fingerprint (or a configured name made of letters, digits and ``-``), never the
machine's host name; the TXT record has only the keys in :data:`TXT_KEYS`:

============  ==================================================================
``txtvers``   version of this TXT layout (RFC 6763 section 6.7): ``1``
``api``       the API level (``borne.API_LEVEL``)
``openapi``   path of the OpenAPI document: ``/openapi.json``
``ca_sha256`` SHA-256 of the box's CA certificate (DER), hex: a workstation
              checks it is the box it paired with before it connects
============  ==================================================================

This module is pure (no zeroconf, no sockets): names, the TXT record and the
choice of addresses, tested with tables. The ``[mdns]`` section and its checks
are in :mod:`borne.mdns.settings`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["OPENAPI_PATH", "SERVICE_TYPE", "TXT_KEYS", "TXT_VERSION", "Interface",
           "announce_addresses", "box_name", "check_txt", "lan_facing",
           "local_interfaces", "txt_record"]

#: The DNS-SD service type (RFC 6763 section 7), fully qualified as zeroconf wants it.
SERVICE_TYPE = "_borne._tcp.local."
#: The only keys the TXT record may hold, in the order they are sent.
TXT_KEYS = ("txtvers", "api", "openapi", "ca_sha256")
TXT_VERSION = "1"
OPENAPI_PATH = "/openapi.json"

_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_ANY_ADDRESS = {"", "0.0.0.0", "::"}


def lan_facing(api_host: str) -> bool:
    """Whether an API listening on ``api_host`` can be reached from the network (not loopback)."""
    try:
        return not ipaddress.ip_address(api_host).is_loopback
    except ValueError:
        return api_host != "localhost"  # "", or a host name: the interfaces will say


def box_name(ca_sha256: str, configured: str = "") -> str:
    """The announced name: the configured one, else ``borne-`` + 8 hex digits of the CA's."""
    return configured or f"borne-{ca_sha256[:8].lower()}"


def txt_record(*, api_level: int, ca_sha256: str) -> dict[str, str]:
    """The TXT record: exactly :data:`TXT_KEYS`."""
    fingerprint = ca_sha256.lower()
    if not _HEX64_RE.fullmatch(fingerprint):
        raise ValueError("ca_sha256 must be 64 hex digits")
    return check_txt({"txtvers": TXT_VERSION, "api": str(int(api_level)),
                      "openapi": OPENAPI_PATH, "ca_sha256": fingerprint})


def check_txt(properties: dict[str, str]) -> dict[str, str]:
    """``properties`` unchanged if every key is in :data:`TXT_KEYS`; ValueError otherwise."""
    extra = set(properties) - set(TXT_KEYS)
    if extra:
        raise ValueError(f"TXT keys not in the allow-list: {sorted(extra)}")
    return properties


@dataclass(frozen=True)
class Interface:
    """A network interface and its IPv4 addresses."""

    name: str
    ipv4: tuple[str, ...]


def local_interfaces() -> list[Interface]:
    """This machine's interfaces now (getifaddrs(3), through ifaddr: zeroconf's own dependency)."""
    import ifaddr

    return [Interface(adapter.nice_name,
                      tuple(ip.ip for ip in adapter.ips if isinstance(ip.ip, str)))
            for adapter in ifaddr.get_adapters()]


def announce_addresses(interfaces: Iterable[Interface], wanted: Sequence[str],
                       api_host: str) -> tuple[list[str], str | None]:
    """The IPv4 addresses to announce on, and why there are none when empty.

    ``wanted``: interface names (empty: every interface but loopback addresses).
    ``api_host``: the address the API listens on; a specific one is the only one
    announced.
    """
    found: set[str] = set()
    for interface in interfaces:
        if wanted and interface.name not in wanted:
            continue
        for address in interface.ipv4:
            if not wanted and ipaddress.ip_address(address).is_loopback:
                continue
            found.add(address)
    if api_host not in _ANY_ADDRESS:
        found &= {api_host}
    if found:
        return sorted(found, key=ipaddress.ip_address), None
    where = ", ".join(wanted) if wanted else "any interface but loopback"
    if api_host not in _ANY_ADDRESS:
        return [], f"the API listens on {api_host}, not an address of {where}"
    return [], f"no IPv4 address on {where}"
