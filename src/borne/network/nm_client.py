"""NetworkManager over D-Bus (``org.freedesktop.NetworkManager``, NM >= 1.2), with dbus-fast.

=============================================  ==============================================
call                                           what the box uses it for
=============================================  ==============================================
``GetDevices``; a device's ``DeviceType``,     the Wi-Fi device (type 2), whether a cable is up
``State``, ``StateReason``, ``Ip4Config``,     (type 1, ``ACTIVATED``), why an activation
``ActiveAccessPoint``; ``StateChanged``        failed, the address, the signal
``Settings.ListConnections``, ``AddConnection``  the known networks; a new profile; an SSID's
a connection's ``GetSettings``, ``Update``,    profile updated in place (one per SSID); forget
``Delete``                                     (never ``GetSecrets``: no password is read back)
``ActivateConnection``,                        join; give up a join past its deadline
``DeactivateConnection``
an active connection's ``State``, ``Uuid``     the join followed until ``ACTIVATED`` or gone
=============================================  ==============================================

A join is followed both ways: the device's ``StateChanged(new, old, reason)`` signal, listened
to before ``ActivateConnection``, keeps the reason of a move to ``FAILED`` (NM moves on to
``DISCONNECTED`` at once, with reason "none"), and the active connection's ``State`` is
polled, so a signal missed or never sent still ends the wait. Only this module (through
``runtime.system_bus``) knows NetworkManager on D-Bus; the PSK is sent once, inside the
settings, and never logged.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuids
from typing import Any

from borne.network.nm_profile import Settings, wifi_profile
from borne.network.nm_reasons import (ACTIVE_ACTIVATED, ACTIVE_DEACTIVATED, DEVICE_ACTIVATED,
                                      DEVICE_FAILED, DEVICE_TYPE_ETHERNET, DEVICE_TYPE_WIFI,
                                      NETWORK_FAILED, NETWORK_NO_WIFI, NETWORK_TIMEOUT,
                                      failure_code)
from borne.network.nm_results import JoinResult, KnownNetwork, NetState, NmError
from borne.runtime.system_bus import call_method, connect_bus

__all__ = ["BUS_NAME", "NmClient"]

_log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.NetworkManager"
_NM_PATH = "/org/freedesktop/NetworkManager"
_SETTINGS_PATH = "/org/freedesktop/NetworkManager/Settings"
_NM = "org.freedesktop.NetworkManager"
_SETTINGS = "org.freedesktop.NetworkManager.Settings"
_CONNECTION = "org.freedesktop.NetworkManager.Settings.Connection"
_DEVICE = "org.freedesktop.NetworkManager.Device"
_WIRELESS = "org.freedesktop.NetworkManager.Device.Wireless"
_ACTIVE = "org.freedesktop.NetworkManager.Connection.Active"
_AP = "org.freedesktop.NetworkManager.AccessPoint"
_IP4 = "org.freedesktop.NetworkManager.IP4Config"
_PROPERTIES = "org.freedesktop.DBus.Properties"
_WIFI_TYPE = "802-11-wireless"
#: Seconds one call may take; how often a join's state is read.
QUICK_S = 10.0
POLL_S = 0.1


class NmClient:
    """One connection to NetworkManager's bus. ``bus_address`` "" is the system bus.

    Use ``async with NmClient(address) as nm:``, or :meth:`connect`/:meth:`close`.
    """

    def __init__(self, bus_address: str = "") -> None:
        self._address = bus_address
        self._bus: Any = None
        #: device path -> reasons of its moves to FAILED, while a join watches it
        self._failures: dict[str, list[int]] = {}
        #: One join at a time: NM lets a second activation on the device cut the first short.
        self._joining = asyncio.Lock()

    async def connect(self) -> NmClient:
        """Connect; :class:`NmError` ``no_bus`` if there is no bus to talk to."""
        self._bus = await connect_bus(self._address, error=NmError)
        self._bus.add_message_handler(self._on_message)
        return self

    async def close(self) -> None:
        """Disconnect (idempotent)."""
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.disconnect()

    async def __aenter__(self) -> NmClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- what the box asks ---------------------------------------------------------------------

    async def join(self, ssid: str, password: str | None, key_mgmt: str, hidden: bool = False,
                   priority: int = 0, timeout_s: float = 30.0) -> JoinResult:
        """Add (or update) the profile for ``ssid`` and activate it on the Wi-Fi device,
        until ``ACTIVATED`` (with the address), a failure, or ``timeout_s`` (then the
        activation is withdrawn). One join at a time: a second waits for the first. D-Bus
        failures of NM are a result (``network_failed``); :class:`NmError` only if the bus
        itself is gone; ``ValueError`` for what :func:`~borne.network.nm_profile.wifi_profile`
        refuses (a caller's bug: the code was checked before)."""
        async with self._joining:
            return await self._join(ssid, password, key_mgmt, hidden, priority, timeout_s)

    async def _join(self, ssid: str, password: str | None, key_mgmt: str, hidden: bool,
                    priority: int, timeout_s: float) -> JoinResult:
        device = await self._wifi_device()
        if device is None:
            return JoinResult(False, code=NETWORK_NO_WIFI, ssid=ssid)
        _log.info("joining the Wi-Fi network %r (%s, hidden=%s, priority %d)",
                  ssid, key_mgmt, hidden, priority)
        try:
            connection = await self._save_profile(ssid, password, key_mgmt, hidden, priority)
            return await self._activate(connection, device, ssid, timeout_s)
        except NmError as error:
            if error.name == "no_bus":
                raise
            _log.warning("NetworkManager refused joining %r: %s", ssid, error.name)
            return JoinResult(False, code=NETWORK_FAILED, ssid=ssid)

    async def known(self) -> list[KnownNetwork]:
        """The Wi-Fi profiles NM keeps, highest priority first. Reads their settings only
        (NM's ``GetSettings`` gives no secret), never their secrets."""
        active = set()
        for path in await self._get(_NM_PATH, _NM, "ActiveConnections"):
            try:
                active.add(await self._get(path, _ACTIVE, "Uuid"))
            except NmError:
                continue  # gone between the two calls
        networks = []
        for _path, settings in await self._wifi_profiles():
            connection = settings.get("connection", {})
            ident = str(connection.get("uuid", ""))
            networks.append(KnownNetwork(
                id=ident, ssid=_ssid_text(settings), active=ident in active,
                priority=int(connection.get("autoconnect-priority", 0)),
                autoconnect=bool(connection.get("autoconnect", True))))
        return sorted(networks, key=lambda network: (-network.priority, network.ssid))

    async def forget(self, ident: str) -> bool:
        """Delete the Wi-Fi profile whose UUID is ``ident``; False if there is none (a
        wired profile is never one: the box does not touch them)."""
        for path, settings in await self._wifi_profiles():
            if str(settings.get("connection", {}).get("uuid", "")) == ident:
                await self._call(path, _CONNECTION, "Delete")
                _log.info("forgot the Wi-Fi network %r", _ssid_text(settings))
                return True
        return False

    async def state(self) -> NetState:
        """A cable up, the Wi-Fi network joined and its signal, the address (the cable's
        first: it carries the default route)."""
        wired = wifi = None
        for path, kind, state in await self._devices():
            if state != DEVICE_ACTIVATED:
                continue
            if kind == DEVICE_TYPE_ETHERNET and wired is None:
                wired = path
            elif kind == DEVICE_TYPE_WIFI and wifi is None:
                wifi = path
        ssid = signal = None
        if wifi is not None:
            ssid, signal = await self._wifi_link(wifi)
        address = None
        for path in (wired, wifi):
            if path is not None and address is None:
                address = await self._address_of(path)
        return NetState(ethernet=wired is not None, wifi_ssid=ssid, signal=signal,
                        address=address)

    # -- join, step by step --------------------------------------------------------------------

    async def _save_profile(self, ssid: str, password: str | None, key_mgmt: str,
                            hidden: bool, priority: int) -> str:
        """The path of the profile for ``ssid``: the existing one updated, or a new one."""
        raw = ssid.encode("utf-8")
        for path, settings in await self._wifi_profiles():
            if settings.get(_WIFI_TYPE, {}).get("ssid") == raw:
                ident = str(settings.get("connection", {}).get("uuid") or uuids.uuid4())
                profile = wifi_profile(ssid, password, key_mgmt, hidden=hidden,
                                       priority=priority, uuid=ident)
                await self._call(path, _CONNECTION, "Update", "a{sa{sv}}", [_variants(profile)])
                return path
        profile = wifi_profile(ssid, password, key_mgmt, hidden=hidden, priority=priority,
                               uuid=str(uuids.uuid4()))
        (path,) = await self._call(_SETTINGS_PATH, _SETTINGS, "AddConnection", "a{sa{sv}}",
                                   [_variants(profile)])
        return str(path)

    async def _activate(self, connection: str, device: str, ssid: str,
                        timeout_s: float) -> JoinResult:
        failures: list[int] = []
        rule = (f"type='signal',interface='{_DEVICE}',member='StateChanged',path='{device}'")
        await self._match("AddMatch", rule)
        self._failures[device] = failures
        try:
            (active,) = await self._call(_NM_PATH, _NM, "ActivateConnection", "ooo",
                                         [connection, device, "/"])
            return await self._follow(str(active), device, ssid, failures, timeout_s)
        finally:
            self._failures.pop(device, None)
            await self._match("RemoveMatch", rule)

    async def _follow(self, active: str, device: str, ssid: str, failures: list[int],
                      timeout_s: float) -> JoinResult:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                state = int(await self._get(active, _ACTIVE, "State"))
            except NmError as error:
                if error.name == "no_bus":
                    raise
                state = ACTIVE_DEACTIVATED  # NM removes a failed activation's object
            if state == ACTIVE_ACTIVATED and not failures:
                address = await self._address_of(device)
                _log.info("joined the Wi-Fi network %r", ssid)
                return JoinResult(True, None, ssid, address)
            device_state, reason = await self._get(device, _DEVICE, "StateReason")
            if failures or state == ACTIVE_DEACTIVATED or device_state == DEVICE_FAILED:
                code = failure_code(failures[-1] if failures else int(reason))
                _log.warning("joining the Wi-Fi network %r failed: %s", ssid, code)
                return JoinResult(False, code=code, ssid=ssid)
            if asyncio.get_running_loop().time() >= deadline:
                await self._withdraw(active)
                _log.warning("joining the Wi-Fi network %r: no answer in %.0f s", ssid,
                             timeout_s)
                return JoinResult(False, code=NETWORK_TIMEOUT, ssid=ssid)
            await asyncio.sleep(POLL_S)

    async def _withdraw(self, active: str) -> None:
        """Stop an activation past the box's deadline (NM would keep trying)."""
        try:
            await self._call(_NM_PATH, _NM, "DeactivateConnection", "o", [active])
        except NmError as error:
            _log.info("withdrawing the Wi-Fi activation: %s", error.name)

    # -- reading NM ----------------------------------------------------------------------------

    async def _devices(self) -> list[tuple[str, int, int]]:
        """(path, NMDeviceType, NMDeviceState) of each device."""
        (paths,) = await self._call(_NM_PATH, _NM, "GetDevices")
        devices = []
        for path in paths:
            kind = int(await self._get(path, _DEVICE, "DeviceType"))
            devices.append((str(path), kind, int(await self._get(path, _DEVICE, "State"))))
        return devices

    async def _wifi_device(self) -> str | None:
        for path, kind, _state in await self._devices():
            if kind == DEVICE_TYPE_WIFI:
                return path
        return None

    async def _wifi_profiles(self) -> list[tuple[str, dict[str, dict[str, Any]]]]:
        """(path, settings) of each Wi-Fi profile: its ``connection`` and ``802-11-wireless``
        sections only (no security section, even from an NM that would put a secret there).
        Other profiles are read for their type and left alone."""
        (paths,) = await self._call(_SETTINGS_PATH, _SETTINGS, "ListConnections")
        profiles = []
        for path in paths:
            (settings,) = await self._call(path, _CONNECTION, "GetSettings")
            plain = {section: {key: _plain(value) for key, value in values.items()}
                     for section, values in settings.items()
                     if section in ("connection", _WIFI_TYPE)}
            if plain.get("connection", {}).get("type") == _WIFI_TYPE:
                profiles.append((str(path), plain))
        return profiles

    async def _wifi_link(self, device: str) -> tuple[str | None, int | None]:
        """The SSID and signal (0..100) of the access point ``device`` is on."""
        try:
            point = await self._get(device, _WIRELESS, "ActiveAccessPoint")
            if point and point != "/":
                ssid = bytes(await self._get(point, _AP, "Ssid")).decode("utf-8", "replace")
                return ssid, int(await self._get(point, _AP, "Strength"))
        except NmError:
            pass
        return None, None

    async def _address_of(self, device: str) -> str | None:
        """The device's first IPv4 address (None before NM configured one)."""
        try:
            config = await self._get(device, _DEVICE, "Ip4Config")
            if not config or config == "/":
                return None
            data = await self._get(config, _IP4, "AddressData")
        except NmError:
            return None
        return str(data[0]["address"]) if data else None

    # -- D-Bus ---------------------------------------------------------------------------------

    async def _get(self, path: str, interface: str, name: str) -> Any:
        (value,) = await self._call(path, _PROPERTIES, "Get", "ss", [interface, name])
        return _plain(value)

    async def _match(self, member: str, rule: str) -> None:
        try:
            await self._call("/org/freedesktop/DBus", "org.freedesktop.DBus", member, "s", [rule],
                             destination="org.freedesktop.DBus")
        except NmError as error:
            if error.name == "no_bus":
                raise
            _log.info("%s refused: %s", member, error.name)

    async def _call(self, path: str, interface: str, member: str, signature: str = "",
                    body: list[Any] | None = None, *, destination: str = BUS_NAME) -> list[Any]:
        return await call_method(self._bus, destination=destination, path=path,
                                 interface=interface, member=member, signature=signature,
                                 body=body, timeout=QUICK_S, error=NmError)

    def _on_message(self, message: Any) -> bool:
        if (message.member == "StateChanged" and message.interface == _DEVICE
                and message.path in self._failures and len(message.body) == 3):
            new, _old, reason = message.body
            if int(new) == DEVICE_FAILED:
                self._failures[message.path].append(int(reason))
        return False


def _variants(settings: Settings) -> dict[str, dict[str, Any]]:
    """:mod:`nm_profile`'s ``(signature, value)`` pairs as dbus-fast variants."""
    from dbus_fast import Variant

    return {section: {key: Variant(signature, value) for key, (signature, value) in values.items()}
            for section, values in settings.items()}


def _plain(value: Any) -> Any:
    """A D-Bus ``Variant`` unwrapped (recursively in lists and dicts)."""
    inner = getattr(value, "value", value) if type(value).__name__ == "Variant" else value
    if isinstance(inner, list):
        return [_plain(item) for item in inner]
    if isinstance(inner, dict):
        return {key: _plain(item) for key, item in inner.items()}
    return inner


def _ssid_text(settings: dict[str, dict[str, Any]]) -> str:
    raw = settings.get(_WIFI_TYPE, {}).get("ssid", b"")
    return bytes(raw).decode("utf-8", "replace")
