"""Finding boxes on the local network (DNS-SD/mDNS ``_borne._tcp``), from a workstation.

::

    from borne.client import discover

    for box in await discover(timeout=3.0):
        print(box.name, box.url, box.ca_sha256)

A box announces its CA's SHA-256 fingerprint: compare it with the CA pinned at
pairing (:func:`ca_fingerprint` of ``ca.crt``, or ``discover(ca_sha256=...)``)
before trusting that an address is the box you paired with. TLS checks it again
(the SDK trusts only the pinned CA), so a wrong announcement costs a failed
connection, never a leak.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..mdns.announcement import SERVICE_TYPE

__all__ = ["FoundBox", "ca_fingerprint", "discover"]


@dataclass(frozen=True)
class FoundBox:
    """A box that answered: its announced name, addresses, port and CA fingerprint."""

    name: str
    addresses: tuple[str, ...]
    port: int
    ca_sha256: str
    api_level: int | None = None
    openapi: str | None = None

    @property
    def url(self) -> str:
        """``https://ADDRESS:PORT`` of its first address (IPv6 in brackets)."""
        host = self.addresses[0] if self.addresses else f"{self.name}.local"
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{self.port}"

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {"name": self.name, "addresses": list(self.addresses), "port": self.port,
                "url": self.url, "ca_sha256": self.ca_sha256, "api_level": self.api_level,
                "openapi": self.openapi}


def ca_fingerprint(ca_pem: Path | bytes) -> str:
    """SHA-256 (hex) of a CA certificate, as boxes announce it (e.g. a pairing's ``ca.crt``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    data = ca_pem if isinstance(ca_pem, bytes) else Path(ca_pem).read_bytes()
    return x509.load_pem_x509_certificate(data).fingerprint(hashes.SHA256()).hex()


def _text(properties: dict[bytes, bytes | None], key: str) -> str | None:
    value = properties.get(key.encode())
    return value.decode("utf-8", "replace") if value is not None else None


def _found(info: Any) -> FoundBox | None:
    properties = info.properties or {}
    fingerprint = _text(properties, "ca_sha256")
    if not fingerprint or info.port is None:
        return None  # not a borne box's record (or a truncated one)
    level = _text(properties, "api")
    addresses = sorted(info.parsed_scoped_addresses(),
                       key=lambda a: ipaddress.ip_address(a.split("%")[0]))
    return FoundBox(name=info.name.removesuffix(f".{SERVICE_TYPE}"), addresses=tuple(addresses),
                    port=int(info.port), ca_sha256=fingerprint.lower(),
                    api_level=int(level) if level and level.isdigit() else None,
                    openapi=_text(properties, "openapi"))


async def discover(timeout: float = 3.0, *, ca_sha256: str | None = None,
                   interfaces: list[str] | None = None, language: str = "fr") -> list[FoundBox]:
    """Boxes announcing ``_borne._tcp`` within ``timeout`` seconds, sorted by name.

    ``ca_sha256`` keeps only the box with that CA (the one you paired with) and
    returns as soon as it answers; ``interfaces`` limits the search to these local
    IPv4 addresses (default: all). A workstation with no IPv4 network to search raises
    :class:`~borne.client.errors.BoxConnectionError` ``network_unavailable``.
    """
    from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    found: dict[str, FoundBox] = {}
    # Not a TaskGroup: the look-ups still under way at the deadline are cancelled, and the
    # boxes found so far returned, which a group can only do by raising through its body.
    pending: set[asyncio.Task[None]] = set()
    wanted_found = asyncio.Event()
    try:
        aiozc = AsyncZeroconf(interfaces=interfaces or InterfaceChoice.All,
                              ip_version=IPVersion.V4Only)
    except (RuntimeError, OSError) as error:  # no interface with an IPv4 address, no multicast
        from .errors import box_failure

        raise box_failure("network_unavailable", f"mDNS {SERVICE_TYPE}", language,
                          reason=f"{type(error).__name__}: {error}") from None

    async def resolve(name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        wait_ms = max(100, int((deadline - loop.time()) * 1000))
        if await info.async_request(aiozc.zeroconf, wait_ms):
            box = _found(info)
            if box is not None and (ca_sha256 is None or box.ca_sha256 == ca_sha256.lower()):
                found[name] = box
                if ca_sha256 is not None:
                    wanted_found.set()

    def on_change(zeroconf: Any, service_type: str, name: str,
                  state_change: ServiceStateChange) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            task = loop.create_task(resolve(name))
            pending.add(task)
            task.add_done_callback(pending.discard)
        elif state_change is ServiceStateChange.Removed:
            found.pop(name, None)

    browser = AsyncServiceBrowser(aiozc.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await wanted_found.wait()
        if pending and not wanted_found.is_set():  # a box seen at the very end: a moment more
            await asyncio.wait(set(pending), timeout=0.5)
    finally:
        for task in list(pending):
            task.cancel()
        await browser.async_cancel()
        with contextlib.suppress(Exception):
            await aiozc.async_close()
    return sorted(found.values(), key=lambda box: box.name)
