"""The ``[api]`` section: where the API listens, its TLS, its pairing window, and its
``[api.connections]`` table: how many TLS connections the API holds, and for how long.

A LAN peer without a certificate must not be able to use up the daemon's file descriptors
(its unit's ``LimitNOFILE``) nor lock the paired workstations out. So connections are
counted in two budgets, decided once the TLS handshake has shown whether the peer holds
a certificate of the box's CA (:mod:`borne.api.admission` applies them):

- **paired clients'** (a verified client certificate): ``max_clients`` in total and
  ``max_clients_per_address`` from one source address. Beyond, the new connection is closed.
- **the others'** (no certificate yet: handshakes under way, pairing): ``max_unauthenticated``
  in total and ``max_unauthenticated_per_address`` from one address (an IPv6 address counts
  by its /64). Beyond, a newcomer is refused before any TLS work, or one of the crowded
  address's closed (the rules: :mod:`borne.api.admission`), never a paired client's: a
  flood only ever pushes out its own connections.

A request's head and body must arrive within ``request_timeout_s`` (no certificate) or
``client_request_timeout_s`` (a paired client), from its first byte. The answer is not
bounded by it: an event stream or the APDU WebSocket lasts as long as the client wants.

Imports nothing of borne but the errors and the sections' base: the configuration reads it.
"""

from __future__ import annotations

import msgspec

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["ApiConfig", "ConnectionLimits"]


class ConnectionLimits(Section):
    """Caps on the API's connections and deadlines on receiving a request (see the module)."""

    max_clients: int = 256
    max_clients_per_address: int = 64
    max_unauthenticated: int = 64
    max_unauthenticated_per_address: int = 8
    request_timeout_s: float = 10.0
    client_request_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for key in ("max_clients", "max_clients_per_address", "max_unauthenticated",
                    "max_unauthenticated_per_address", "request_timeout_s",
                    "client_request_timeout_s"):
            if getattr(self, key) <= 0:
                raise ConfigError(Message("doit être positif", "must be positive"),
                                  key=f"api.connections.{key}")

    @property
    def most(self) -> int:
        """The most connections the API can hold at once (both budgets full)."""
        return self.max_clients + self.max_unauthenticated


class ApiConfig(Section):
    """The mutually authenticated HTTPS API for billing software."""

    enabled: bool = True
    host: str = "0.0.0.0"
    #: 0 picks a free port (tests); the box uses 8443.
    port: int = 8443
    #: TLS 1.3 only, unless a billing workstation that cannot do 1.3 forces this on.
    allow_tls12: bool = False
    #: Names and addresses in the box's server certificate, besides the machine's
    #: hostname, "localhost" and the loopback addresses.
    hostnames: list[str] = msgspec.field(default_factory=list)
    addresses: list[str] = msgspec.field(default_factory=list)
    #: Seconds between heartbeats on idle event streams.
    heartbeat_s: float = 15.0
    #: Events a stream may hold for a slow client before it is cut off.
    stream_queue: int = 256
    #: How long the pairing window stays open, and how many wrong codes close it.
    pairing_window_s: float = 120.0
    pairing_max_failures: int = 5
    #: A pending exchange expires after this (a workstation completes in under a second);
    #: one address may hold this many pending and spend this many wrong codes, so an attacker
    #: cannot keep the window from the real workstation (docs/security.md, 3).
    pairing_session_s: float = 20.0
    pairing_pending_per_address: int = 2
    pairing_failures_per_address: int = 2
    #: A client must finish its TLS handshake within this time, and an idle
    #: keep-alive connection is closed after ``keepalive_s``.
    handshake_timeout_s: float = 10.0
    keepalive_s: float = 30.0
    #: ``[api.connections]``: caps on connections and request deadlines (docs/security.md, 2).
    connections: ConnectionLimits = msgspec.field(default_factory=ConnectionLimits)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(Message("pas un port TCP", "not a TCP port"), key="api.port")
        if not 1 <= self.pairing_max_failures <= 100:
            raise ConfigError(Message("entre 1 et 100", "between 1 and 100"),
                              key="api.pairing_max_failures")
        if not 1 <= self.pairing_failures_per_address <= self.pairing_max_failures:
            raise ConfigError(Message.same("1 <= pairing_failures_per_address <= "
                                           "pairing_max_failures"),
                              key="api.pairing_failures_per_address")
        if not 0 < self.pairing_session_s <= self.pairing_window_s \
                or self.pairing_pending_per_address < 1:
            raise ConfigError(Message.same("0 < pairing_session_s <= pairing_window_s, "
                                           "pairing_pending_per_address >= 1"),
                              key="api.pairing_session_s")
