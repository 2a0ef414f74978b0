"""Telling systemd the daemon is ready, and feeding its watchdog from the event loop.

The protocol is sd_notify(3): one datagram of ``KEY=VALUE`` lines to the UNIX
socket named by ``$NOTIFY_SOCKET`` (a leading ``@`` is the abstract namespace).
The watchdog is sd_watchdog_enabled(3): ``$WATCHDOG_USEC`` is the period,
``$WATCHDOG_PID`` (when set) must be our pid, and ``WATCHDOG=1`` must arrive
more often than that; the man page advises half the period. Both are a few lines,
so no library (python-systemd needs libsystemd to build).

The watchdog is fed by a timer *on the event loop*, so its pings stop when the
loop is stuck (a blocking call, a deadlock): that is what it must catch. It also
asks ``alive()`` each time, so a part whose worker thread died can make the
daemon be restarted rather than run on half-dead.

Outside systemd (no ``$NOTIFY_SOCKET``) everything here does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

__all__ = ["Notifier", "Watchdog", "watchdog_period_s"]

log = logging.getLogger("borne.systemd")


class Notifier:
    """Sends sd_notify(3) messages; a no-op when systemd did not ask for them."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]
        self._address = address or None

    @property
    def enabled(self) -> bool:
        """True under systemd with ``Type=notify`` (or when a test set the socket)."""
        return self._address is not None

    def send(self, **fields: str | int) -> bool:
        """Send ``KEY=VALUE`` lines (``ready=1`` becomes ``READY=1``); False if not sent."""
        if self._address is None:
            return False
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), self._address)
        except OSError as error:
            # Never fatal: a daemon that cannot reach systemd still serves the counter.
            log.warning("sd_notify to %r failed: %s", self._address, error.strerror)
            return False
        return True


def watchdog_period_s(environ: dict[str, str] | None = None, pid: int | None = None) -> float | None:
    """The watchdog period systemd asked for, in seconds, or None (sd_watchdog_enabled(3))."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    owner = env.get("WATCHDOG_PID")
    if owner and owner.isdigit() and int(owner) != (os.getpid() if pid is None else pid):
        return None  # meant for another process (we were started by one that was watched)
    return usec / 1e6 if usec > 0 else None


class Watchdog:
    """Pings ``WATCHDOG=1`` every half period from the event loop while ``alive()`` is true."""

    def __init__(self, notifier: Notifier, period_s: float,
                 alive: Callable[[], str | None] = lambda: None) -> None:
        self._notifier = notifier
        self._interval = period_s / 2
        self._alive = alive
        self._handle: asyncio.TimerHandle | None = None
        self.pings = 0

    def start(self) -> None:
        """Ping now, then every half period (call on the event loop)."""
        self._tick()

    def stop(self) -> None:
        """No more pings."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        problem = self._alive()
        if problem is not None:
            # Stop feeding: systemd kills us at the deadline and Restart= brings us back.
            log.error("watchdog not fed: %s", problem)
            self._notifier.send(status=f"unhealthy: {problem}")
            self._handle = None
            return
        if self._notifier.send(watchdog=1):
            self.pings += 1
        self._handle = asyncio.get_running_loop().call_later(self._interval, self._tick)
