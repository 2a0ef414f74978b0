"""The box's side of discovery: announce the API as a ``_borne._tcp`` service.

python-zeroconf's asyncio API (``AsyncZeroconf``, ``AsyncServiceInfo``) runs on
the daemon's event loop; nothing here waits on the network in ``Daemon.start()``:
:meth:`MdnsAnnouncer.start` only creates a task. That task

- reads the interfaces' IPv4 addresses (in a worker thread) every
  ``[mdns] recheck_s`` seconds, and announces on them (RFC 6762 section 8: three
  probes 250 ms apart, then the announcements, so a browser sees the box about
  1.5 s after the start);
- follows them: a new DHCP lease or a new hotspot makes it rescan zeroconf's
  sockets (``async_update_interfaces``) and re-announce the new addresses
  (``async_update_service``); no address left withdraws the service;
- never raises: no multicast-capable interface, port 5353 taken, a socket error
  make the ``mdns`` device ``unavailable`` with the reason, and it tries again at
  the next check;

and :meth:`MdnsAnnouncer.stop` sends the goodbye packets (RFC 6762 section 10.1)
before closing, so browsers drop the box at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any

from .. import API_LEVEL
from .announcement import (SERVICE_TYPE, Interface, announce_addresses, box_name, lan_facing, local_interfaces,
               txt_record)

__all__ = ["MdnsAnnouncer"]

log = logging.getLogger("borne.mdns")

#: How long stop() may spend on goodbyes (three packets 125 ms apart in zeroconf).
_STOP_TIMEOUT_S = 2.0


class MdnsAnnouncer:
    """Announces ``name._borne._tcp.local.`` on the chosen interfaces while the daemon runs.

    ``config`` is the ``[mdns]`` section; ``device_state(device, state, detail)``
    reports ``mdns`` (``available`` / ``unavailable``); ``interfaces`` lists the
    machine's interfaces (tests pass their own).
    """

    def __init__(self, config: Any, *, port: int, ca_sha256: str, api_host: str = "0.0.0.0",
                 device_state: Callable[[str, str, str | None], None],
                 interfaces: Callable[[], list[Interface]] = local_interfaces,
                 api_level: int = API_LEVEL) -> None:
        self._config = config
        self._port = port
        self._api_host = api_host
        self._device_state = device_state
        self._interfaces = interfaces
        self._properties = txt_record(api_level=api_level, ca_sha256=ca_sha256)
        #: The name asked for; zeroconf may add a suffix if another box holds it.
        self.name = box_name(ca_sha256, config.name)
        #: The addresses announced now (empty: nothing announced).
        self.addresses: list[str] = []
        self._zc: Any = None
        self._info: Any = None
        #: zeroconf's announcing task: kept, so it is not collected before it is done.
        self._broadcast: Any = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start announcing in the background; returns at once, before the first probe.

        An API that listens on loopback only is not announced (and ``mdns`` gets no state).
        """
        if not lan_facing(self._api_host):
            log.info("mDNS: not announced, the API listens on %s only", self._api_host)
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mdns")

    async def stop(self) -> None:
        """Withdraw the service (goodbye packets) and close the sockets (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.wait_for(self._withdraw(), _STOP_TIMEOUT_S)
        except Exception as error:  # stopping must go on whatever the network does
            log.warning("mDNS: stop: %s", error)

    def set_port(self, port: int) -> None:
        """The API now listens on ``port``: re-announce at once."""
        if port != self._port:
            self._port = port
            self.addresses = []  # forces _apply to update the service
            self._wake.set()

    # -- the task ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                interfaces = await asyncio.to_thread(self._interfaces)
                wanted, reason = announce_addresses(interfaces, self._config.interfaces,
                                                    self._api_host)
                if wanted != self.addresses or (not wanted and self._zc is not None):
                    await self._apply(wanted, reason)
                elif not wanted:
                    self._device_state("mdns", "unavailable", reason)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never the daemon's end: say why, try again later
                detail = f"{type(error).__name__}: {error}"
                log.warning("mDNS announcement failed: %s", detail)
                self._device_state("mdns", "unavailable", detail)
                with contextlib.suppress(Exception):
                    await self._withdraw()
            self._wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that lands just as the event is set (CPython gh-86296), and stop() would hang.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._config.recheck_s):
                    await self._wake.wait()

    async def _apply(self, addresses: list[str], reason: str | None) -> None:
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

        if not addresses:
            await self._withdraw()
            self._device_state("mdns", "unavailable", reason)
            return
        packed = [socket.inet_aton(address) for address in addresses]
        if self._zc is None:
            self.addresses = []
            # Opens the sockets now (OSError if port 5353 cannot be shared).
            self._zc = AsyncZeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
            self._info = AsyncServiceInfo(
                SERVICE_TYPE, f"{self.name}.{SERVICE_TYPE}", port=self._port,
                properties=self._properties, server=f"{self.name}.local.", addresses=packed)
            # Probing first (about 1.2 s); a name another box holds gets a suffix.
            self._broadcast = await self._zc.async_register_service(self._info,
                                                                    allow_name_change=True)
        else:
            await self._zc.async_update_interfaces(interfaces=list(addresses))
            self._info.addresses = packed
            self._info.port = self._port
            self._broadcast = await self._zc.async_update_service(self._info)
        self.addresses = addresses
        self.name = self._info.name.removesuffix(f".{SERVICE_TYPE}")
        log.info("mDNS: %s announced on %s port %d", self.name, ", ".join(addresses), self._port)
        self._device_state("mdns", "available",
                           f"{self.name} on {', '.join(addresses)} port {self._port}")

    async def _withdraw(self) -> None:
        zc = self._zc
        self._zc = self._info = self._broadcast = None
        self.addresses = []
        if zc is not None:
            await zc.async_close()  # sends the goodbyes of what it registered, then closes
