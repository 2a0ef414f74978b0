"""RAUC's installer over D-Bus (``de.pengutronix.rauc.Installer``, RAUC 1.8), with dbus-fast.

==================  =========================================================================
call                what the box uses it for
==================  =========================================================================
``Info``            a bundle's signature checked against the keyring, then its manifest's
                    ``compatible`` and ``version`` (nothing written); RAUC 1.8 answers any
                    failure with the same "rauc info error": :mod:`borne.update.vetting` says why
``InstallBundle``   the install, in RAUC's own thread; ``Completed(result)`` when done
``Mark``            ``good``/``bad`` of ``booted``/``other`` (the commit after a tried boot)
``GetPrimary``      the slot the next boot starts
``GetSlotStatus``   the slots, their boot names and states (``booted``), versions written
``Operation``,      properties: ``idle``/``installing``, ``(percent, message, depth)``,
``Progress``,       the last install's error text, the system's compatible, the booted
``LastError``,      slot's boot name
``Compatible``,
``BootSlot``
==================  =========================================================================

Only this module (through :mod:`borne.runtime.system_bus`) knows RAUC on D-Bus: its failures
become :class:`RaucError` here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..runtime.system_bus import BusCallError, call_method, connect_bus

__all__ = ["BUS_NAME", "INTERFACE", "RaucClient", "RaucError", "booted_bootname",
           "primary_bootname", "rauc_present"]

BUS_NAME = "de.pengutronix.rauc"
INTERFACE = "de.pengutronix.rauc.Installer"
_PATH = "/"
#: Seconds a quick call (a property, the slots) may take; ``Info`` of a large bundle reads it
#: whole to check its signature, so it gets longer.
QUICK_S = 10.0
INFO_S = 300.0


class RaucError(BusCallError):
    """A call to RAUC failed: ``name`` is the D-Bus error's name (or ``no_bus``, ``timeout``)."""


class RaucClient:
    """One connection to RAUC's bus. ``address`` "" is the system bus.

    Use ``async with RaucClient(address) as rauc:``, or :meth:`connect`/:meth:`close`.
    """

    def __init__(self, address: str = "") -> None:
        self._address = address
        self._bus: Any = None
        self._completed: list[asyncio.Future[int]] = []

    async def connect(self) -> RaucClient:
        """Connect and listen to ``Completed``; :class:`RaucError` ``no_bus`` if no bus."""
        from dbus_fast import Message

        self._bus = await connect_bus(self._address, error=RaucError)
        self._bus.add_message_handler(self._on_message)
        rule = f"type='signal',sender='{BUS_NAME}',interface='{INTERFACE}',member='Completed'"
        await self._bus.call(Message(destination="org.freedesktop.DBus",
                                     path="/org/freedesktop/DBus",
                                     interface="org.freedesktop.DBus", member="AddMatch",
                                     signature="s", body=[rule]))
        return self

    async def close(self) -> None:
        """Disconnect (idempotent)."""
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.disconnect()

    async def __aenter__(self) -> RaucClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- calls --------------------------------------------------------------------------------

    async def _call(self, member: str, signature: str = "", body: list[Any] | None = None, *,
                    destination: str = BUS_NAME, path: str = _PATH,
                    interface: str = INTERFACE, timeout: float = QUICK_S) -> list[Any]:
        return await call_method(self._bus, destination=destination, path=path,
                                 interface=interface, member=member, signature=signature,
                                 body=body, timeout=timeout, error=RaucError)

    async def present(self) -> bool:
        """Whether RAUC owns its name on the bus, or the bus can start it (activation)."""
        dbus = {"destination": "org.freedesktop.DBus", "path": "/org/freedesktop/DBus",
                "interface": "org.freedesktop.DBus"}
        (owned,) = await self._call("NameHasOwner", "s", [BUS_NAME], **dbus)
        if owned:
            return True
        (names,) = await self._call("ListActivatableNames", **dbus)
        return BUS_NAME in names

    async def owner(self) -> str | None:
        """The unique bus name of the RAUC process answering now (None: none). A new one
        mid-install means RAUC died (a power cut, as far as it knows) and was started
        again: that install is gone."""
        try:
            (name,) = await self._call("GetNameOwner", "s", [BUS_NAME],
                                       destination="org.freedesktop.DBus",
                                       path="/org/freedesktop/DBus",
                                       interface="org.freedesktop.DBus")
        except RaucError as error:
            if error.name.endswith("NameHasNoOwner"):
                return None
            raise
        return str(name)

    async def info(self, bundle: str) -> tuple[str, str]:
        """``(compatible, version)`` of a bundle whose signature RAUC verified."""
        compatible, version = await self._call("Info", "s", [bundle], timeout=INFO_S)
        return str(compatible), str(version)

    async def install(self, bundle: str) -> None:
        """Start installing (returns at once; :meth:`wait_completed` for the result)."""
        await self._call("InstallBundle", "sa{sv}", [bundle, {}])

    def expect_completed(self) -> asyncio.Future[int]:
        """A future for the next ``Completed`` signal's result (0: success). Take it before
        :meth:`install`, so a quick install's signal is not missed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._completed.append(future)
        return future

    async def mark(self, state: str, slot: str = "booted") -> tuple[str, str]:
        """Mark ``booted``/``other`` (or a slot name) ``good``, ``bad`` or ``active``."""
        name, message = await self._call("Mark", "ss", [state, slot])
        return str(name), str(message)

    async def primary(self) -> str:
        """The slot the next boot starts (``rootfs.1``)."""
        (name,) = await self._call("GetPrimary")
        return str(name)

    async def slots(self) -> dict[str, dict[str, Any]]:
        """Slot name -> its status (``bootname``, ``state``, ``bundle.version``...)."""
        (array,) = await self._call("GetSlotStatus")
        return {str(name): {key: _plain(value) for key, value in fields.items()}
                for name, fields in array}

    async def property(self, name: str) -> Any:
        """One property of the installer (``Operation``, ``Progress``, ``LastError``...)."""
        (value,) = await self._call("Get", "ss", [INTERFACE, name],
                                    interface="org.freedesktop.DBus.Properties")
        return _plain(value)

    async def progress(self) -> tuple[int, str]:
        """``(percent, message)`` of the install under way (or the last one)."""
        percent, message, _depth = await self.property("Progress")
        return int(percent), str(message)

    # -- signals ------------------------------------------------------------------------------

    def _on_message(self, message: Any) -> bool:
        if message.member == "Completed" and message.interface == INTERFACE:
            waiting, self._completed = self._completed, []
            for future in waiting:
                if not future.done():
                    future.set_result(int(message.body[0]))
        return False


def _plain(value: Any) -> Any:
    """A D-Bus ``Variant`` unwrapped (recursively in lists)."""
    inner = getattr(value, "value", value) if type(value).__name__ == "Variant" else value
    if isinstance(inner, list):
        return [_plain(item) for item in inner]
    return inner


async def primary_bootname(rauc: RaucClient) -> str | None:
    """The boot name (A, B) of the slot the next boot starts."""
    primary = await rauc.primary()
    return str((await rauc.slots()).get(primary, {}).get("bootname") or "") or None


def booted_bootname(slots: dict[str, dict[str, Any]]) -> tuple[str, str] | tuple[None, None]:
    """``(slot name, boot name)`` of the booted slot in ``slots`` (``GetSlotStatus``)."""
    for name, status in slots.items():
        if status.get("state") == "booted":
            return name, str(status.get("bootname") or "")
    return None, None


async def rauc_present(address: str, *, connect: Callable[[str], RaucClient] = RaucClient) -> bool:
    """Whether RAUC answers on the bus at ``address`` ("" the system bus); False without a bus."""
    client = connect(address)
    try:
        await client.connect()
        return await client.present()
    except RaucError:
        return False
    finally:
        await client.close()
