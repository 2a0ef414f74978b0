"""Connecting to D-Bus: the system bus, or the bus at an address (the tests' private one).

RAUC (:mod:`borne.update.rauc`) and NetworkManager (:mod:`borne.network.nm_client`) are
both reached this way: each client turns :class:`BusUnreachable` into its own error code, and
makes its calls through :func:`call_method`, which raises that client's subclass of
:class:`BusCallError`.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["BusCallError", "BusUnreachable", "call_method", "connect_bus"]

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


class BusCallError(Exception):
    """A method call failed: ``name`` is the D-Bus error's name, or ``no_bus``, ``timeout``."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}")
        self.name = name
        self.text = text


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
