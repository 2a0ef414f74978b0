"""The updates' events (RAUC, :mod:`borne.update`); part of :mod:`borne.events.types`."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from .base import EventData

__all__ = ["UpdateAvailable", "UpdateCommitted", "UpdateInstalled", "UpdateProgress",
           "UpdateRefusedEvent", "UpdateRolledBack"]


class UpdateAvailable(EventData, frozen=True, kw_only=True):
    """A signed bundle passed its checks and is being installed."""

    TYPE = "update.available"
    version: str
    #: Where it came from: ``api``, ``usb`` or ``file``.
    origin: str


class UpdateProgress(EventData, frozen=True, kw_only=True):
    """An update moved on: its install's percent, or the reboot into it (``rebooting``)."""

    TYPE = "update.progress"
    percent: int
    #: ``installing`` or ``rebooting``.
    step: str


class UpdateInstalled(EventData, frozen=True, kw_only=True):
    """An update was written to the other slot; it runs after the next reboot."""

    TYPE = "update.installed"
    version: str


class UpdateCommitted(EventData, frozen=True, kw_only=True):
    """The new system booted healthy and was marked good: it is the box's system now."""

    TYPE = "update.committed"
    version: str


class UpdateRolledBack(EventData, frozen=True, kw_only=True):
    """The new system was not healthy in time: the box went back to its previous one."""

    TYPE = "update.rolled_back"
    #: The version that failed, and the one running again.
    version: str
    back_to: str | None


class UpdateRefusedEvent(EventData, frozen=True, kw_only=True):
    """An update was refused before anything was written, or its install failed."""

    TYPE = "update.refused"
    #: The stable code (``update_bad_signature``, ``update_downgrade_refused``...).
    code: str
    origin: str
    #: The bundle's version when RAUC could read it.
    version: str | UnsetType = UNSET
