"""The JSON bodies of the update routes (``/v1/update``): what they send and read, and their
schemas in the OpenAPI document (:mod:`borne.api.openapi`).

The update service's own state (:mod:`borne.update`) is converted into these at the boundary,
so the contract vendors code against changes only when these structs do.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

__all__ = ["RebootRequest", "UpdateAccepted", "UpdateState", "UpdateStateName"]

#: Where an install stands (the update service's states).
UpdateStateName = Literal["idle", "installing", "installed", "rebooting", "trial", "committed",
                          "rolled_back", "failed"]


class UpdateState(Struct, kw_only=True):
    """The box's system version, its booted slot, and where an update stands."""

    state: Annotated[UpdateStateName, Meta(
        description="`installing` (progress moves), `installed` (waits for a reboot), "
                    "`rebooting`, `trial` (new slot booted, not committed yet), `committed`, "
                    "`rolled_back`, `failed`, or `idle`")]
    system_version: Annotated[str | None, Meta(description="the running system's version "
                                                           "(`/etc/borne-release`)")]
    booted_slot: Annotated[str | None, Meta(description="`A` or `B`")]
    pending_version: Annotated[str | None, Meta(description="the version installed or being "
                                                            "installed, not booted yet")]
    progress: Annotated[int, Meta(ge=0, le=100, description="percent of the install done")]
    reboot_held_by: Annotated[list[str], Meta(
        description="why the reboot into the new slot waits (a card being read, an APDU lease, "
                    "an apCV session, a low battery); empty: nothing holds it")]
    last_error: Annotated[str | None, Meta(description="the code of the last failure or "
                                                       "refusal, if any")]


class UpdateAccepted(Struct, kw_only=True):
    """A bundle the box vetted (signature, compatible, version) and now installs in the
    background: follow ``update.progress`` on ``/v1/events`` or ``GET /v1/update``."""

    version: Annotated[str, Meta(description="the bundle's version")]
    compatible: Annotated[str, Meta(description="the bundle's compatible (the box's own)")]


class RebootRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Reboot into the installed slot: when nothing holds it, or at once with ``force``."""

    force: Annotated[bool, Meta(description="reboot even while a card is read, a lease is "
                                            "held, an apCV session is open or the battery is "
                                            "low")] = False
