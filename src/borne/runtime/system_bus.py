"""Connecting to D-Bus: the system bus, or the bus at an address (the tests' private one).

RAUC (:mod:`borne.update.rauc`) and NetworkManager (:mod:`borne.network.nm_client`) are
both reached this way; each client turns :class:`BusUnreachable` into its own error code.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["BusUnreachable", "connect_bus"]

#: Seconds a connection may take: a bus that does not answer in that time is no bus.
CONNECT_TIMEOUT_S = 5.0


class BusUnreachable(Exception):
    """No bus to talk to; ``str()`` says why (no socket, refused authentication, ...)."""


async def connect_bus(address: str | None) -> Any:
    """A connected ``dbus_fast.aio.MessageBus``: at ``address``, or the system bus if empty.

    Raises :class:`BusUnreachable` for anything that means "no bus": dbus-fast raises
    OSError (no socket), its AuthError, ValueError (a bad address), and a timeout.
    """
    # Imported here: a box without RAUC or NetworkManager never loads dbus-fast.
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    try:
        bus = MessageBus(bus_address=address) if address else MessageBus(bus_type=BusType.SYSTEM)
        return await asyncio.wait_for(bus.connect(), CONNECT_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 (see the docstring: each means "no bus")
        raise BusUnreachable(str(error) or type(error).__name__) from None
