"""NetworkManager's stand-in: python-dbusmock's ``networkmanager`` template on a private bus.

:class:`NmMock` starts a private "system" bus and ``python -m dbusmock --template
networkmanager`` on it as the simulator does (:func:`borne.sim.nm_standin.launch`) (what GNOME's own tests use),
then drives it through its ``org.freedesktop.DBus.Mock`` interface (dbusmock's README): devices,
access points, an IPv4 address, and how the next ``ActivateConnection`` ends:

- ``succeed`` (the template's own: the connection and the device ``ACTIVATED`` at once),
- ``fail`` with an ``NMDeviceStateReason`` (the device to ``FAILED`` with its
  ``StateChanged`` signal, the activation ``DEACTIVATED``),
- ``hang`` (``ACTIVATING`` for ever: the caller's deadline decides); the test may then end it
  itself with :meth:`NmMock.fail_later` (the signal, then ``DISCONNECTED`` with reason 0, as
  NM does).

What the mock received is read back with :meth:`NmMock.calls` (dbusmock's call log) and
:meth:`NmMock.settings_of`. Needs ``dbus-daemon`` (Debian: dbus) and python-dbusmock (the test
extra); no root.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from borne.sim.nm_standin import launch
from borne.sim.processes import terminate

__all__ = ["NmMock", "WIFI_PATH", "ETHERNET_PATH"]

MOCK = "org.freedesktop.DBus.Mock"
NM_PATH = "/org/freedesktop/NetworkManager"
SETTINGS_PATH = "/org/freedesktop/NetworkManager/Settings"
DEVICE = "org.freedesktop.NetworkManager.Device"
WIRELESS = "org.freedesktop.NetworkManager.Device.Wireless"
ACTIVE = "org.freedesktop.NetworkManager.Connection.Active"
WIFI_PATH = "/org/freedesktop/NetworkManager/Devices/wlan0"
ETHERNET_PATH = "/org/freedesktop/NetworkManager/Devices/eth0"

_FAIL = """
path = self.activate_connection(self, args[0], args[1], args[2])
device = objects[args[1]]
device.Set('{device}', 'State', dbus.UInt32(120))
device.Set('{device}', 'StateReason', (dbus.UInt32(120), dbus.UInt32({reason})))
device.EmitSignal('{device}', 'StateChanged', 'uuu',
                  [dbus.UInt32(120), dbus.UInt32(50), dbus.UInt32({reason})])
objects[path].Set('{active}', 'State', dbus.UInt32(4))
ret = path
"""
_HANG = """
path = self.activate_connection(self, args[0], args[1], args[2])
objects[args[1]].Set('{device}', 'State', dbus.UInt32(50))
objects[path].Set('{active}', 'State', dbus.UInt32(1))
ret = path
"""


class NmMock:
    """A private bus with the mock NetworkManager, under ``root``; ``address`` for clients."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.address = f"unix:path={root / 'bus.sock'}"
        self.log = root / "dbusmock.log"
        self._bus_process: subprocess.Popen | None = None
        self._mock: subprocess.Popen | None = None
        self._bus: Any = None

    def start(self) -> NmMock:
        """The bus, then the mock, waited for until it owns its name."""
        self._bus_process, self._mock = launch(self.root, self.log)
        deadline = time.monotonic() + 20
        while not self._owned():
            assert self._mock.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the NetworkManager mock did not start"
            time.sleep(0.05)
        return self

    def _owned(self) -> bool:
        answer = subprocess.run(
            ["dbus-send", f"--bus={self.address}", "--print-reply",
             "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.NetworkManager"],
            capture_output=True, text=True, check=False)
        return "boolean true" in answer.stdout

    def stop(self) -> None:
        """The mock, then the bus."""
        for process in (self._mock, self._bus_process):
            if process is not None:
                terminate(process)

    # -- driving the mock (async: the tests' loop) ---------------------------------------------

    async def call(self, path: str, interface: str, member: str, signature: str = "",
                   body: list[Any] | None = None) -> list[Any]:
        """One call to the mock; an error reply raises ``AssertionError`` with its text."""
        from dbus_fast import Message, MessageType
        from dbus_fast.aio import MessageBus

        if self._bus is None:
            self._bus = await MessageBus(bus_address=self.address).connect()
        reply = await self._bus.call(Message(destination="org.freedesktop.NetworkManager",
                                             path=path, interface=interface, member=member,
                                             signature=signature, body=body or []))
        assert reply.message_type != MessageType.ERROR, (reply.error_name, reply.body)
        return list(reply.body)

    async def close(self) -> None:
        """The harness's own connection to the bus."""
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.disconnect()

    async def add_wifi(self, state: int = 30) -> str:
        """A Wi-Fi device ``wlan0`` (``DISCONNECTED`` by default)."""
        (path,) = await self.call("/org/freedesktop", MOCK, "AddWiFiDevice", "ssi",
                                  ["wlan0", "wlan0", state])
        return str(path)

    async def add_ethernet(self, state: int = 100) -> str:
        """A wired device ``eth0`` (``ACTIVATED`` by default: a cable plugged)."""
        (path,) = await self.call("/org/freedesktop", MOCK, "AddEthernetDevice", "ssi",
                                  ["eth0", "eth0", state])
        return str(path)

    async def give_address(self, device: str, address: str, name: str) -> None:
        """``device``'s ``Ip4Config`` with ``address``/24 (NM's ``AddressData``)."""
        from dbus_fast import Variant

        config = f"/org/freedesktop/NetworkManager/IP4Config/{name}"
        data = Variant("aa{sv}", [{"address": Variant("s", address), "prefix": Variant("u", 24)}])
        await self.call("/org/freedesktop", MOCK, "AddObject", "ssa{sv}a(ssss)",
                        [config, "org.freedesktop.NetworkManager.IP4Config",
                         {"AddressData": data}, []])
        await self.call(device, MOCK, "AddProperty", "ssv",
                        [DEVICE, "Ip4Config", Variant("o", config)])

    async def add_access_point(self, device: str, ssid: str, strength: int) -> str:
        """An access point seen by ``device`` (WPA-PSK), which ``device`` is on."""
        from dbus_fast import Variant

        (path,) = await self.call("/org/freedesktop", MOCK, "AddAccessPoint", "ssssuuuyu",
                                  [device, "ap1", ssid, "11:22:33:44:55:66", 2, 2437, 54000,
                                   strength, 0x100])
        await self.call(device, MOCK, "AddProperty", "ssv",
                        [WIRELESS, "ActiveAccessPoint", Variant("o", str(path))])
        return str(path)

    async def next_activation(self, outcome: str, reason: int = 0) -> None:
        """How ``ActivateConnection`` ends from now on: ``succeed``, ``fail`` (``reason``),
        ``hang``."""
        if outcome == "succeed":
            code = "ret = self.activate_connection(self, args[0], args[1], args[2])"
        elif outcome == "fail":
            code = _FAIL.format(device=DEVICE, active=ACTIVE, reason=reason)
        else:
            code = _HANG.format(device=DEVICE, active=ACTIVE)
        await self.call(NM_PATH, MOCK, "AddMethod", "sssss",
                        ["org.freedesktop.NetworkManager", "ActivateConnection", "ooo", "o", code])

    async def fail_later(self, device: str, active: str, reason: int) -> None:
        """End a hanging activation as NM does: ``StateChanged`` to ``FAILED`` with
        ``reason``, then ``DISCONNECTED`` with reason 0 (the reason is gone from the
        properties), the activation ``DEACTIVATED``."""
        from dbus_fast import Variant

        await self.call(device, MOCK, "EmitSignal", "sssav",
                        [DEVICE, "StateChanged", "uuu",
                         [Variant("u", 120), Variant("u", 50), Variant("u", reason)]])
        await self.call(device, MOCK, "UpdateProperties", "sa{sv}",
                        [DEVICE, {"State": Variant("u", 30),
                                  "StateReason": Variant("(uu)", [30, 0])}])
        await self.call(active, MOCK, "UpdateProperties", "sa{sv}",
                        [ACTIVE, {"State": Variant("u", 4)}])

    async def calls(self, path: str, method: str) -> list[list[Any]]:
        """The arguments of each call of ``method`` on ``path`` the mock received, as plain
        values (no variants)."""
        (calls,) = await self.call(path, MOCK, "GetMethodCalls", "s", [method])
        return [[_plain(argument) for argument in arguments] for _when, arguments in calls]

    def call_order(self, *methods: str) -> list[str]:
        """Which of ``methods`` the mock received, in the order it did (its log: one line a
        call, ``<time> <Method><args>``, across all its objects)."""
        order = []
        for line in self.log.read_text(errors="replace").splitlines():
            _time, _space, call = line.partition(" ")
            name = call.split("(", 1)[0].split(" ", 1)[0]
            if name in methods:
                order.append(name)
        return order

    async def settings_of(self, connection: str) -> dict[str, dict[str, Any]]:
        """A profile's settings as the mock keeps them (the mock's ``GetSettings`` gives the
        PSK back, which NM's never does: the box must not rely on it)."""
        (settings,) = await self.call(connection, "org.freedesktop.NetworkManager.Settings.Connection",
                                      "GetSettings")
        return _plain(settings)

    async def connections(self) -> list[str]:
        """The profiles' paths."""
        (paths,) = await self.call(SETTINGS_PATH, "org.freedesktop.NetworkManager.Settings",
                                   "ListConnections")
        return [str(path) for path in paths]


def _plain(value: Any) -> Any:
    """Variants unwrapped, recursively."""
    if type(value).__name__ == "Variant":
        return _plain(value.value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
