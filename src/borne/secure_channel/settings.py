"""The ``[api.connections]`` table: how many TLS connections the API holds, and for how long.

A LAN peer without a certificate must not be able to use up the daemon's file descriptors
(its unit's ``LimitNOFILE``) nor lock the paired workstations out. So connections are
counted in two budgets, decided once the TLS handshake has shown whether the peer holds
a certificate of the box's CA (:mod:`borne.api.admission` applies them):

- **paired clients'** (a verified client certificate): ``max_clients`` in total and
  ``max_clients_per_address`` from one source address. Beyond, the new connection is closed.
- **the others'** (no certificate yet: handshakes under way, pairing): ``max_unauthenticated``
  in total and ``max_unauthenticated_per_address`` from one address (an IPv6 address counts
  by its /64). Beyond, the oldest of them is closed (of that address first), never a
  paired client's: a flood only ever pushes out its own connections.

A request's head and body must arrive within ``request_timeout_s`` (no certificate) or
``client_request_timeout_s`` (a paired client), from its first byte. The answer is not
bounded by it: an event stream or the APDU WebSocket lasts as long as the client wants.

Imports nothing of borne but the errors and the sections' base: the configuration reads it.
"""

from __future__ import annotations

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["ConnectionLimits"]


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
