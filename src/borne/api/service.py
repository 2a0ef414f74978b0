"""Assembling the API's services from the config: CA, server certificate, clients, audit, pairing.

Kept apart from the daemon so the daemon starts its readers first and the API
second: a broken certificate store or a busy port degrades the API
(``devices.api``), never the card readers.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config

if TYPE_CHECKING:
    from ..apcv.service import ApcvService
    from ..core import Core
    from ..events import EventBus
    from ..runtime.clock import Clock
    from ..runtime.storage_watch import StorageWatch
    from .context import ApiContext
    from .server import ApiServer

__all__ = ["build_api", "certificate_names"]

CLIENTS_DB_NAME = "clients.db"


def certificate_names(config: Config) -> tuple[list[str], list[str]]:
    """DNS names and IP addresses the box's server certificate must carry."""
    names = [socket.gethostname(), "localhost", *config.api.hostnames]
    if "." not in names[0]:
        names.append(f"{names[0]}.local")  # how billing software on a hotspot finds it (mDNS)
    addresses = ["127.0.0.1", "::1", *config.api.addresses]
    return sorted(set(names)), sorted(set(addresses))


def build_api(config: Config, core: Core, bus: EventBus, clock: Clock,
              apcv: ApcvService | None = None, scan: Callable[[bool], bool] | None = None,
              pause: Callable[[str, bool], None] | None = None, *,
              storage: StorageWatch | None = None,
              set_mode: Callable[[str], None] | None = None,
              ask_person: Callable[[str, float], None] | None = None,
              ) -> tuple[ApiServer, ApiContext]:
    """The :class:`ApiServer` and its :class:`ApiContext` (not started).

    ``pause(slot_id, paused)`` suspends the box's own reads of a slot while it is
    leased through the APDU channel; ``ask_person(slot_id, until)`` asks the person at the
    box to allow a PIN's last try (:class:`borne.apdu.service.ApduService`).
    """
    from ..apdu.service import ApduService
    from ..audit.trail import AUDIT_DB_NAME, AuditTrail
    from ..secure_channel.ca import BoxCA
    from ..secure_channel.key_source import key_source
    from ..secure_channel.clients import ClientRegistry
    from ..secure_channel.pairing import PairingService
    from ..secure_channel.tls import server_context
    from .context import ApiContext
    from .server import ApiServer

    data = Path(config.daemon.data_dir)
    ca = BoxCA.load_or_create(data, keys=key_source(config.daemon.keys, data))
    names, addresses = certificate_names(config)
    cert_path, key_path = ca.ensure_server_cert(names, addresses)
    audit = AuditTrail(data / AUDIT_DB_NAME, clock,
                       max_bytes=int(config.audit.max_mb * 1024 * 1024))  # issue 16: a cap
    context = ApiContext(
        core=core, bus=bus, ca=ca,
        clients=ClientRegistry(data / CLIENTS_DB_NAME),
        pairing=PairingService(clock, window_s=config.api.pairing_window_s,
                               max_failures=config.api.pairing_max_failures,
                               session_s=config.api.pairing_session_s,
                               pending_per_address=config.api.pairing_pending_per_address,
                               failures_per_address=config.api.pairing_failures_per_address),
        audit=audit, apcv=apcv, scan=scan,
        apdu=ApduService(config.apdu, core=core, bus=bus, clock=clock, audit=audit, pause=pause,
                          ask_person=ask_person),
        language=config.daemon.language, heartbeat_s=config.api.heartbeat_s,
        sse_queue=config.api.stream_queue, storage=storage, set_mode=set_mode)
    from ..health import BoxHealth

    context.health = BoxHealth(config, core, clients=context.clients)
    from .refusals import RefusalTally

    context.refusals = RefusalTally(audit)
    from .bundle_upload import inbox_for

    context.inbox = inbox_for(config.update.incoming_dir, config.update.max_bundle_mb, data)
    tls = server_context(data / "ca.crt", cert_path, key_path, allow_tls12=config.api.allow_tls12,
                         key_password=ca.server_key_password)
    server = ApiServer(context, tls, host=config.api.host, port=config.api.port,
                       keepalive_s=config.api.keepalive_s,
                       handshake_timeout_s=config.api.handshake_timeout_s,
                       limits=config.api.connections,
                       renew=lambda: ca.ensure_server_cert(names, addresses))
    return server, context
