"""What every API handler can reach, built once by the daemon and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..errors import BorneError
from ..events import ClientRevoked

if TYPE_CHECKING:
    from ..apcv.service import ApcvService
    from ..apdu.service import ApduService
    from ..audit.trail import AuditTrail
    from ..core import Core
    from ..events import EventBus
    from ..health import BoxHealth
    from ..journal.service import JournalService
    from ..runtime.last_known_time import LastKnownTime
    from ..runtime.storage_watch import StorageWatch
    from .bundle_upload import BundleInbox
    from .refusals import RefusalTally
    from ..secure_channel.ca import BoxCA
    from ..secure_channel.clients import ClientRegistry
    from ..secure_channel.pairing import PairingService
    from ..secure_channel.tls import ClientIdentity
    from ..update.service import UpdateService
    from ..ccid.service import UsbReaderService
    from ..network.service import NetworkService

__all__ = ["AUDIT_DETAIL", "CLIENT", "CONTEXT", "ApiContext"]


@dataclass
class ApiContext:
    """The services behind the API (no globals: tests build one from twins)."""

    core: Core
    bus: EventBus
    ca: BoxCA
    clients: ClientRegistry
    pairing: PairingService
    audit: AuditTrail
    apcv: ApcvService | None = None
    #: The leased APDU channel.
    apdu: ApduService | None = None
    #: ``scan(on) -> bool``: starts/stops the camera (False: the box has none).
    scan: Callable[[bool], bool] | None = None
    #: The health checks of ``/v1/status`` (None: not computed).
    health: BoxHealth | None = None
    #: The data partition's watch (None: not watched).
    storage: StorageWatch | None = None
    #: The offline journal (None: disabled).
    journal: JournalService | None = None
    #: ``set_mode(mode)``: switch the box to counter or mobile (:meth:`borne.daemon.Daemon.set_mode`).
    set_mode: Callable[[str], None] | None = None
    #: The latest wall time the box has known (``POST /v1/clock``'s floor; None: none kept).
    last_known: LastKnownTime | None = None
    #: Refusals of callers without an authorised certificate: counted, journaled as a summary
    #: (:mod:`borne.api.refusals`; None: journaled one by one).
    refusals: RefusalTally | None = None
    #: Signed updates (RAUC): install, status, reboot (None: not built).
    updates: UpdateService | None = None
    #: The box as a USB CCID reader (None: not built).
    usb: UsbReaderService | None = None
    #: The Wi-Fi joined by a code, NetworkManager's profiles (None: not built).
    network: NetworkService | None = None
    #: Where uploaded update bundles are received (:mod:`borne.api.update_routes`).
    inbox: BundleInbox | None = None
    language: str = "fr"
    heartbeat_s: float = 15.0
    sse_queue: int = 256
    #: Whether the workstation paired in the current window gets an admin certificate
    #: (chosen on the box, with `borne pair open --admin`).
    pairing_admin: bool = False
    #: client id -> live event-stream responses (aiohttp's, marked by api/sse.py), closed at
    #: once on revocation.
    streams: dict[str, set[Any]] = field(default_factory=dict)

    def revoke(self, client_id: str, *, keep_an_admin: bool = True) -> int | None:
        """Revoke a workstation: refused from its next request on, its open event
        streams ended now, a ``client.revoked`` event published. Returns how many
        streams were closed, or None for an unknown client.

        The last admin workstation is refused (``last_admin``) unless ``keep_an_admin``
        is False: only the person at the box may leave it without one (``borne clients
        revoke``), since only they can pair another (``borne pair open --admin``).
        Everything here runs on the event loop, so the check and the revocation are one step.
        """
        if keep_an_admin and self.clients.active_admins() == [client_id]:
            raise BorneError(code="last_admin", client_id=client_id)
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
CLIENT: web.RequestKey[ClientIdentity | None] = web.RequestKey("borne_client", object)
#: What a handler adds to its request's audit entry (a small dict of facts, never health data:
#: :func:`borne.audit.trail.check_detail` refuses the rest), e.g. why an invoice was released.
AUDIT_DETAIL: web.RequestKey[dict[str, Any]] = web.RequestKey("borne_audit_detail", dict)
