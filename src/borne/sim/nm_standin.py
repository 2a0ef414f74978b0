"""NetworkManager's stand-in for ``borne sim run``: python-dbusmock's template on a private bus.

There is no Wi-Fi radio (nor, often, a NetworkManager) where the simulator runs. So the
simulated box talks to python-dbusmock's ``networkmanager`` template (what GNOME's own
tests use) on a bus of its own: a ``dbus-daemon`` in the simulator's work directory, never
the machine's system bus (a developer's laptop's real NetworkManager is never touched).
It gets a Wi-Fi device ``wlan0`` with an address and a nearby access point; a code shown
to the virtual camera and confirmed with ``borne sim button`` then joins through the
box's real D-Bus client. The mock accepts every join (its template's own behaviour).

Needs ``dbus-daemon`` (Debian: dbus) and python-dbusmock (the test extra); without them
:func:`standin_missing` says what is missing and the simulated box runs with its network
"unavailable". The tests' harness (tests/support/nm_bus.py) drives the same template to
each failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
import sys

from .private_bus import start_private_bus
from pathlib import Path
from typing import Any

__all__ = ["NmStandIn", "SIM_ACCESS_POINT", "SIM_WIFI_ADDRESS", "launch", "standin_missing"]

#: The address the simulated box's Wi-Fi has (a phone hotspot's usual network).
SIM_WIFI_ADDRESS = "192.168.43.17"
#: The access point the simulated Wi-Fi device sees.
SIM_ACCESS_POINT = "Pharmacie-Sim"

_MOCK = "org.freedesktop.DBus.Mock"
_DEVICE = "org.freedesktop.NetworkManager.Device"
_NM = "org.freedesktop.NetworkManager"

#: A bus where anyone may do anything: it lives in the simulator's private work directory.


def standin_missing() -> str | None:
    """What the stand-in lacks on this machine (a sentence), or None when it can run."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon (Debian package: dbus)"
    if importlib.util.find_spec("dbusmock") is None:
        return "python-dbusmock (pip install -e '.[test]')"
    return None


def launch(root: Path, log: Path, timeout: float = 20.0) -> list[subprocess.Popen[bytes]]:
    """Start a private bus in ``root`` (``unix:path=<root>/bus.sock``) and the mock on it,
    its output to ``log``; returns (bus, mock) once the bus listens (the mock may still be
    taking its name). The tests' harness (tests/support/nm_bus.py) starts it the same way."""
    root.mkdir(parents=True, exist_ok=True)
    bus, socket = start_private_bus(root, timeout)
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={socket}"}
    with open(log, "wb") as output:
        mock = subprocess.Popen([sys.executable, "-m", "dbusmock", "--template", "networkmanager"],
                                env=env, stdout=output, stderr=subprocess.STDOUT)
    return [bus, mock]


class NmStandIn:
    """The private bus and the mock under ``root``; ``address`` is what ``[network]
    dbus_address`` is set to."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.address = f"unix:path={root / 'bus.sock'}"
        self.log = root / "dbusmock.log"
        self._processes: list[subprocess.Popen[bytes]] = []

    async def start(self, timeout: float = 20.0) -> None:
        """The bus, the mock (waited for until it owns NetworkManager's name), its Wi-Fi."""
        from dbus_fast.aio import MessageBus

        self._processes = await asyncio.to_thread(launch, self.root, self.log, timeout)
        bus = await MessageBus(bus_address=self.address).connect()
        try:
            await self._until_owned(bus, timeout)
            await self._furnish(bus)
        finally:
            bus.disconnect()

    async def _until_owned(self, bus: Any, timeout: float) -> None:
        from dbus_fast import Message

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            reply = await bus.call(Message(destination="org.freedesktop.DBus",
                                           path="/org/freedesktop/DBus",
                                           interface="org.freedesktop.DBus", member="NameHasOwner",
                                           signature="s", body=[_NM]))
            if reply.body and reply.body[0]:
                return
            if self._processes[-1].poll() is not None or loop.time() > deadline:
                raise RuntimeError(f"the NetworkManager mock did not start (see {self.log})")
            await asyncio.sleep(0.05)

    async def _furnish(self, bus: Any) -> None:
        """A disconnected ``wlan0`` with an address (the mock's join does not give one) and an
        access point in range."""
        from dbus_fast import Message, MessageType, Variant

        async def call(path: str, interface: str, member: str, signature: str,
                       body: list[Any]) -> list[Any]:
            reply = await bus.call(Message(destination=_NM, path=path, interface=interface,
                                           member=member, signature=signature, body=body))
            if reply.message_type == MessageType.ERROR:
                raise RuntimeError(f"the NetworkManager mock refused {member}: {reply.body}")
            return list(reply.body)

        (device,) = await call("/org/freedesktop", _MOCK, "AddWiFiDevice", "ssi",
                               ["wlan0", "wlan0", 30])
        config = "/org/freedesktop/NetworkManager/IP4Config/wifi"
        data = Variant("aa{sv}", [{"address": Variant("s", SIM_WIFI_ADDRESS),
                                   "prefix": Variant("u", 24)}])
        await call("/org/freedesktop", _MOCK, "AddObject", "ssa{sv}a(ssss)",
                   [config, "org.freedesktop.NetworkManager.IP4Config", {"AddressData": data}, []])
        await call(str(device), _MOCK, "AddProperty", "ssv",
                   [_DEVICE, "Ip4Config", Variant("o", config)])
        await call("/org/freedesktop", _MOCK, "AddAccessPoint", "ssssuuuyu",
                   [str(device), "ap1", SIM_ACCESS_POINT, "11:22:33:44:55:66", 2, 2437, 54000,
                    70, 0x100])

    def stop(self) -> None:
        """The mock, then the bus."""
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._processes.clear()
