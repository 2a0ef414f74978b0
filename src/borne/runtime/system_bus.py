"""Connecting to D-Bus: the system bus, or the bus at an address (the tests' private one).

RAUC (:mod:`borne.update.rauc`) and NetworkManager (:mod:`borne.network.nm_client`) are
both reached this way: each client connects with :func:`connect_bus` and calls with
:func:`call_method`, and each failure is raised as that client's subclass of
:class:`BusCallError` (``no_bus``, ``timeout``, or the D-Bus error's name).
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["BusCallError", "call_method", "connect_bus"]

#: Seconds a connection may take: a bus that does not answer in that time is no bus.
CONNECT_TIMEOUT_S = 5.0


class BusCallError(Exception):
    """A connection or a method call failed: ``name`` is ``no_bus``, ``timeout``, or the
    D-Bus error's name; ``text`` says more."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}")
        self.name = name
        self.text = text


async def connect_bus(address: str | None, *,
                      error: type[BusCallError] = BusCallError) -> Any:
    """A connected ``dbus_fast.aio.MessageBus``: at ``address``, or the system bus if empty.

    Raises ``error`` named ``no_bus`` for anything that means "no bus": dbus-fast raises
    OSError (no socket), its AuthError, ValueError (a bad address), and a timeout.
    """
    # Imported here: a box without RAUC or NetworkManager never loads dbus-fast.
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    try:
        bus = MessageBus(bus_address=address) if address else MessageBus(bus_type=BusType.SYSTEM)
        return await asyncio.wait_for(bus.connect(), CONNECT_TIMEOUT_S)
    except Exception as failure:  # noqa: BLE001 (see the docstring: each means "no bus")
        raise error("no_bus", str(failure) or type(failure).__name__) from None


async def call_method(bus: Any, *, destination: str, path: str, interface: str, member: str,
                      signature: str = "", body: list[Any] | None = None, timeout: float,
                      error: type[BusCallError] = BusCallError) -> list[Any]:
    """Call ``member`` on ``bus`` (None: not connected) and return the reply's body.

    Raises ``error`` named ``no_bus`` (not connected, or the connection lost), ``timeout``
    (no answer in ``timeout`` seconds), or the D-Bus error's own name.
    """
    from dbus_fast import Message, MessageType

    if bus is None:
        raise error("no_bus", "not connected")
    message = Message(destination=destination, path=path, interface=interface,
                      member=member, signature=signature, body=body or [])
    try:
        reply = await asyncio.wait_for(bus.call(message), timeout)
    except asyncio.TimeoutError:
        raise error("timeout", f"{member} gave no answer in {timeout:.0f} s") from None
    except (OSError, EOFError) as lost:
        raise error("no_bus", str(lost)) from None
    if reply.message_type == MessageType.ERROR:
        text = reply.body[0] if reply.body else ""
        raise error(reply.error_name or "error", str(text))
    return list(reply.body)
