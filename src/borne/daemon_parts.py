"""The daemon's optional parts, each built from what it needs and entered on the start-up stack.

The offline journal, the mDNS announcement, the screen (with its button panel) and the
battery: each is off in some configurations, and each failure degrades its own device,
never the daemon. :class:`borne.daemon.Daemon` calls these in its start-up order (see its
module docstring) and keeps what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BorneError
from .registry import load_backend
from .runtime.lifecycle import enter

if TYPE_CHECKING:
    from .api.context import ApiContext
    from .battery.service import BatteryService
    from .config import Config
    from .core import Core
    from .display.service import DisplayService
    from .events import EventBus
    from .journal.service import JournalService
    from .mdns.announcer import MdnsAnnouncer
    from .network.service import NetworkService
    from .runtime.clock import Clock
    from .runtime.storage_watch import StorageWatch

__all__ = ["start_battery", "start_display", "start_journal", "start_mdns"]


async def start_journal(stack: AsyncExitStack, config: Config, *, bus: EventBus, clock: Clock,
                        core: Core, api_context: ApiContext | None, apcv: Any,
                        storage: StorageWatch) -> JournalService | None:
    """The offline journal, sealing for the API's paired workstations (docs/journal.md)."""
    if not config.journal.enabled or api_context is None:
        return None
    from .journal.service import JournalService
    from .journal.signature import signer

    ca = api_context.ca  # its key signs each record: the workstations check it
    journal = JournalService(
        config.journal, data_dir=Path(config.daemon.data_dir), bus=bus, clock=clock, core=core,
        clients=api_context.clients, apcv=apcv, storage=storage,
        payload_ttl_s=config.apcv.session_seconds, sign=signer(ca.sign, ca.fingerprint_sha256))
    await enter(stack, journal)  # a file it cannot open degrades the "journal" device
    api_context.journal = journal
    return journal


async def start_mdns(stack: AsyncExitStack, config: Config, *, core: Core, port: int | None,
                     api_context: ApiContext | None) -> MdnsAnnouncer | None:
    """Announce the API (DNS-SD) on ``port``; in the background, a failure degrades ``mdns``."""
    if port is None or api_context is None or not config.mdns.enabled:
        return None
    from .mdns.announcer import MdnsAnnouncer

    mdns = MdnsAnnouncer(config.mdns, port=port, api_host=config.api.host,
                         ca_sha256=api_context.ca.fingerprint_sha256,
                         device_state=core.device_state)
    await enter(stack, mdns)
    return mdns


async def start_display(stack: AsyncExitStack, config: Config, *, bus: EventBus, clock: Clock,
                        core: Core, api_context: ApiContext | None,
                        journal: JournalService | None, network: NetworkService,
                        on_long_press: Callable[[], None],
                        on_pin_confirm: Callable[[str], None]) -> DisplayService | None:
    """The screen (and the GPIO panel); a failure degrades them, never the daemon."""
    from .display.service import DisplayService

    if config.display.device == "none" and config.panel.pins == "none":
        return None
    device = panel = None
    try:
        if config.display.device != "none":
            device = load_backend("display", config.display.device, config)
    except BorneError as error:
        core.device_state("display", "error", error.message("en"))
    if device is None:
        return None
    if config.panel.pins != "none":
        from .display.panel import Panel

        panel = Panel(config.panel)  # never raises: it says what is missing
        if panel.error is not None:
            core.device_state("panel", "error", panel.error.message("en"))
    pairing = api_context.pairing.current if api_context is not None else None
    display = DisplayService(config, bus, clock, device, core=core, panel=panel,
                             language=config.daemon.language, on_long_press=on_long_press,
                             device_state=core.device_state, pairing_current=pairing,
                             reads_waiting=journal.waiting if journal else 0,
                             on_pin_confirm=on_pin_confirm)
    display.on_wifi_confirm = network.button_pressed
    display.wifi_signal = lambda: network.snapshot().signal
    await enter(stack, display)
    return display


async def start_battery(stack: AsyncExitStack, config: Config, *, bus: EventBus, core: Core,
                        journal: Callable[[], JournalService | None]) -> BatteryService | None:
    """The battery (a mobile box); a failure degrades ``battery``, never the daemon.

    ``journal()`` is asked when the charge is critical: the journal is flushed then.
    """
    from .battery.service import build_battery, journal_flush_hook

    battery = build_battery(config, bus=bus, core=core, on_critical=journal_flush_hook(journal))
    if battery is not None:
        await enter(stack, battery)
    return battery
