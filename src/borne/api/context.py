"""What every API handler can reach, built once by the daemon and passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..events import ClientRevoked

__all__ = ["CLIENT", "CONTEXT", "ApiContext"]


@dataclass
class ApiContext:
    """The services behind the API (no globals: tests build one from twins)."""

    core: Any            # borne.core.Core
    bus: Any             # borne.events.EventBus
    ca: Any              # borne.secure_channel.ca.BoxCA
    clients: Any         # borne.secure_channel.clients.ClientRegistry
    pairing: Any         # borne.secure_channel.pairing.PairingService
    audit: Any           # borne.audit.trail.AuditTrail
    apcv: Any = None     # borne.apcv.service.ApcvService
    apdu: Any = None     # borne.apdu.service.ApduService (the leased APDU channel)
    #: ``scan(on) -> bool``: starts/stops the camera (False: the box has none).
    scan: Any = None
    #: The health checks of ``/v1/status`` (borne.health.BoxHealth; None: not computed).
    health: Any = None
    #: The data partition's watch (borne.runtime.storage_watch.StorageWatch; None: not watched).
    storage: Any = None
    #: The offline journal (borne.journal.service.JournalService; None: disabled).
    journal: Any = None
    #: ``set_mode(mode)``: switch the box to counter or mobile (borne.daemon.Daemon.set_mode).
    set_mode: Any = None
    language: str = "fr"
    heartbeat_s: float = 15.0
    sse_queue: int = 256
    #: Whether the workstation paired in the current window gets an admin certificate
    #: (chosen on the box, with `borne pair open --admin`).
    pairing_admin: bool = False
    #: client id -> live event-stream responses, closed at once on revocation.
    streams: dict[str, set[Any]] = field(default_factory=dict)

    def revoke(self, client_id: str) -> int | None:
        """Revoke a workstation: refused from its next request on, its open event
        streams ended now, a ``client.revoked`` event published. Returns how many
        streams were closed, or None for an unknown client."""
        if not self.clients.revoke(client_id):
            return None
        if self.apdu is not None:  # its leases end now, its channels are told "revoked"
            self.apdu.client_revoked(client_id)
        streams = self.streams.pop(client_id, set())
        for stream in streams:
            stream.revoked = True
            stream.subscription.close()
        self.bus.publish(ClientRevoked(client_id=client_id))
        return len(streams)


CONTEXT: web.AppKey[ApiContext] = web.AppKey("borne_context", ApiContext)
#: The verified client identity of a request (None only on the pairing exchange).
CLIENT: web.RequestKey[Any] = web.RequestKey("borne_client", object)
