"""Which API connections the box keeps: two budgets, so paired clients are never starved.

:class:`Admission` counts every TCP connection of the API from the moment it is accepted
(:class:`~borne.api.tls_gate.TlsGate` asks for a :class:`Ticket`), under the caps of
:class:`~borne.secure_channel.settings.ConnectionLimits`:

- a new connection is *unauthenticated*: its handshake is under way, and without a client
  certificate it stays so (the pairing exchange). When that budget is full for the
  connection's source address, the **newcomer** is closed at once, before any TLS work,
  unless a paired client came from that address lately (the last :data:`KNOWN_ADDRESSES`):
  then that address's **oldest** is closed to make room, so a workstation sharing its
  address (the same host, a NAT) still gets its handshake in. Refusing the newcomer is
  what keeps a reconnecting flood cheap: closing the oldest instead made every new
  connection of the flood cost the box a full TLS handshake (a paired client's p99 went to
  44x its quiet value under 300 looping connections, ``bench/attack_unauthenticated.py``).
  When the budget is full in total, the oldest of the address holding the **most** is
  closed, sparing the known addresses, if that gives the newcomer's address a fairer share
  (it holds at least two fewer); otherwise the newcomer is refused at once. A flood of
  slow handshakes or dripped requests then only ever closes its own connections: a paired
  workstation has one handshake under way, a few milliseconds long, from an address the
  box knows;
- once the handshake shows a certificate OpenSSL verified against the box's CA, the
  connection moves to the *clients'* budget, which unauthenticated ones never use. When
  that is full (in total or for the address) the new connection is closed.

Closing is ``transport.abort()``: no TLS close, no answer, nothing an attacker can make
cost more. A flood is not logged per connection: one line at most every
:data:`SUMMARY_EVERY_S` says how many were closed and why.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable

from ..secure_channel.settings import ConnectionLimits

__all__ = ["KNOWN_ADDRESSES", "SUMMARY_EVERY_S", "Admission", "Ticket", "address_key",
           "peer_address"]

log = logging.getLogger("borne.api")

#: At most one summary line of closed connections per this many seconds.
SUMMARY_EVERY_S = 60.0
#: How many of the addresses paired clients came from are remembered (the latest).
KNOWN_ADDRESSES = 256


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an address (its zone id dropped, an IPv4-mapped one as IPv4), or None."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def peer_address(host: str) -> str:
    """A peer's exact address as text (``host`` itself when it is not an address)."""
    address = _address(host)
    return host if address is None else str(address)


def address_key(host: str) -> str:
    """What one source counts as: an IPv4 address, or an IPv6 address's /64 (a LAN host
    picks any address of its /64 at will)."""
    address = _address(host)
    if address is None:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Ticket:
    """One connection's place in :class:`Admission` (from accept to close)."""

    __slots__ = ("_admission", "address", "certified", "evicted", "number", "transport")

    def __init__(self, admission: Admission, address: str, transport: asyncio.BaseTransport,
                 number: int = 0) -> None:
        self._admission = admission
        #: Its rank among the connections accepted (the lower, the older).
        self.number = number
        #: The source, as counted (see :func:`address_key`).
        self.address = address
        #: Whether the peer presented a certificate the box's CA verified.
        self.certified = False
        #: Whether :class:`Admission` closed it to make room for another.
        self.evicted = False
        self.transport: asyncio.BaseTransport | None = transport

    def secured(self, certified: bool) -> bool:
        """The handshake is done: whether the connection may go on (False: it was closed,
        or there is no room for it among the paired clients')."""
        return self._admission._secured(self, certified)

    def cut(self, why: str) -> None:
        """Count a connection the API closed itself (a request too slow...) in the summary."""
        self._admission._count(why)

    def leave(self) -> None:
        """The connection is closed: give its place back (idempotent)."""
        self._admission._leave(self)


class Admission:
    """The API's connection budgets (see the module docstring)."""

    def __init__(self, limits: ConnectionLimits, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        # Insertion-ordered: the first is the oldest.
        self._unauthenticated: dict[Ticket, None] = {}
        self._unauthenticated_by_address: dict[str, dict[Ticket, None]] = {}
        self._clients: set[Ticket] = set()
        self._clients_by_address: Counter[str] = Counter()
        self._closed: Counter[str] = Counter()
        self._arrivals = 0
        # The addresses paired clients came from, the most recent last.
        self._known: OrderedDict[str, None] = OrderedDict()
        self._summary_at = clock() - SUMMARY_EVERY_S  # the first closing is said at once

    @property
    def counts(self) -> dict[str, int]:
        """Connections held now, by budget."""
        return {"unauthenticated": len(self._unauthenticated), "clients": len(self._clients)}

    def arrive(self, host: str, transport: asyncio.BaseTransport) -> Ticket | None:
        """A connection was accepted from ``host``: its ticket, after making room for it;
        None when it was refused (its transport is already aborted)."""
        self._arrivals += 1
        ticket = Ticket(self, address_key(host), transport, self._arrivals)
        mine = self._unauthenticated_by_address.get(ticket.address, {})
        if len(mine) >= self.limits.max_unauthenticated_per_address:
            if ticket.address not in self._known:
                return self._refuse(ticket, "unauthenticated, per address")
            self._close(next(iter(mine)), "unauthenticated, per address (a paired client's)")
        elif len(self._unauthenticated) >= self.limits.max_unauthenticated:
            # The oldest of the address that holds the most: a flood from a few addresses
            # pushes out its own, never a workstation's one handshake under way. From more
            # addresses than the budget, each holds one: spare those paired clients came from.
            by_address = self._unauthenticated_by_address
            strangers = [held for address, held in by_address.items()
                         if address not in self._known]
            crowded = max(strangers or by_address.values(),
                          key=lambda held: (len(held), -next(iter(held)).number))
            if ticket.address not in self._known and len(mine) + 2 > len(crowded):
                # Letting it in would only swap places between two addresses holding as
                # many: refused at once, so a flood from many addresses settles on a fair
                # share instead of making the box run a TLS handshake per reconnection.
                return self._refuse(ticket, "unauthenticated, in total")
            self._close(next(iter(crowded)), "unauthenticated, in total")
        self._unauthenticated[ticket] = None
        self._unauthenticated_by_address.setdefault(ticket.address, {})[ticket] = None
        return ticket

    def _secured(self, ticket: Ticket, certified: bool) -> bool:
        if ticket not in self._unauthenticated:
            return False  # closed to make room during its handshake
        if not certified:
            return True
        self._forget(ticket)
        if len(self._clients) >= self.limits.max_clients \
                or self._clients_by_address[ticket.address] >= self.limits.max_clients_per_address:
            ticket.transport = None
            self._count("paired client's, no room")
            return False
        ticket.certified = True
        self._known[ticket.address] = None
        self._known.move_to_end(ticket.address)
        if len(self._known) > KNOWN_ADDRESSES:
            self._known.popitem(last=False)
        self._clients.add(ticket)
        self._clients_by_address[ticket.address] += 1
        return True

    def _leave(self, ticket: Ticket) -> None:
        self._forget(ticket)
        ticket.transport = None

    def _forget(self, ticket: Ticket) -> None:
        if ticket in self._clients:
            self._clients.discard(ticket)
            self._clients_by_address[ticket.address] -= 1
            if not self._clients_by_address[ticket.address]:
                del self._clients_by_address[ticket.address]
        elif ticket in self._unauthenticated:
            del self._unauthenticated[ticket]
            mine = self._unauthenticated_by_address[ticket.address]
            del mine[ticket]
            if not mine:
                del self._unauthenticated_by_address[ticket.address]

    def _refuse(self, ticket: Ticket, why: str) -> None:
        """Close a newcomer before any TLS work; never counted in a budget."""
        ticket.evicted = True
        transport, ticket.transport = ticket.transport, None
        if transport is not None:
            transport.abort()
        self._count(why)

    def _close(self, ticket: Ticket, why: str) -> None:
        ticket.evicted = True
        transport = ticket.transport
        self._leave(ticket)
        if transport is not None:
            transport.abort()
        self._count(why)

    def _count(self, why: str) -> None:
        self._closed[why] += 1
        now = self._clock()
        if now - self._summary_at >= SUMMARY_EVERY_S:
            closed = ", ".join(f"{count} {reason}" for reason, count in sorted(self._closed.items()))
            log.warning("API connections closed in the last %.0f s: %s (caps: %d paired "
                        "clients', %d others')", now - self._summary_at, closed,
                        self.limits.max_clients, self.limits.max_unauthenticated)
            self._closed.clear()
            self._summary_at = now
