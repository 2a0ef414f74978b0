"""What the update service reports and keeps: its status, a bundle's facts, the pending record.

The pending record (``<data_dir>/update/pending.json``) is written durably when an
install succeeds, before the reboot is asked for: after the next boot the service
compares it with the booted slot and version to publish ``update.committed`` or
``update.rolled_back`` once, then removes it. It holds versions, slots, an origin
and an actor (a client id, ``usb``, ``box``): never identity data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ..runtime.durable import replace_text

__all__ = ["PENDING_FILE", "STATES", "BundleInfo", "PendingRecord", "UpdateState",
           "UpdateStatus", "forget_pending", "load_pending", "save_pending"]

log = logging.getLogger("borne.update")

#: The pending record's name in ``<data_dir>/update``.
PENDING_FILE = "pending.json"

#: The update service's states (``unavailable``: no RAUC on this box, the simulator).
UpdateState = Literal["idle", "installing", "installed", "rebooting", "trial", "committed",
                      "rolled_back", "failed", "unavailable"]
STATES: tuple[str, ...] = UpdateState.__args__  # type: ignore[attr-defined]


class BundleInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A bundle RAUC verified: its manifest's version and compatible."""

    version: str
    compatible: str


class UpdateStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The system's version, the slot it booted and where an update stands. `state`:
    `idle`; `installing` (`progress` 0-100); `installed` (waiting for the reboot, held by
    `reboot_held_by`); `rebooting`; `trial` (booted the new slot, not committed yet);
    `committed`; `rolled_back` (the new slot failed, the box is back on the old one);
    `failed` (`last_error`); `unavailable` (no RAUC on this box: `update_unavailable`)"""

    state: UpdateState
    system_version: Annotated[str | None, Meta(
        description="VERSION of the booted system's /etc/borne-release (null: unknown)")]
    booted_slot: Annotated[str | None, Meta(
        description="the booted slot's boot name (A or B; null: unknown)")]
    pending_version: Annotated[str | None, Meta(
        description="the version installed and waiting for a reboot, or being tried")]
    progress: Annotated[int, Meta(ge=0, le=100, description="the install's progress (%)")]
    reboot_held_by: Annotated[list[str], Meta(
        description="what holds the reboot now: card_reading, apdu_lease, apcv_session, "
                    "battery_low (empty: nothing)")]
    last_error: Annotated[str | None, Meta(
        description="the code of the last refusal or failure (update_...), or null")]


class PendingRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An install that succeeded and waits for its boot: what to compare after it."""

    version: str
    #: The version and slot booted when it was installed (where a rollback lands).
    from_version: str | None
    from_slot: str | None
    #: The slot RAUC wrote (the one the next boot tries).
    to_slot: str | None
    origin: str
    actor: str
    #: The kernel's boot id when it was installed: the same id means no reboot yet.
    boot_id: str = ""


def load_pending(directory: Path) -> PendingRecord | None:
    """The pending record, or None (none, or unreadable: said in the log, set aside)."""
    path = directory / PENDING_FILE
    try:
        return msgspec.json.decode(path.read_bytes(), type=PendingRecord)
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as error:
        log.warning("update: pending record %s unreadable (%s): ignored", path, error)
        return None


def save_pending(directory: Path, record: PendingRecord) -> None:
    """Write the record durably (a power cut leaves the old one or the new one)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    replace_text(directory / PENDING_FILE, msgspec.json.encode(record).decode())


def forget_pending(directory: Path) -> None:
    """Remove the record (its outcome was published)."""
    try:
        (directory / PENDING_FILE).unlink()
    except FileNotFoundError:
        pass
