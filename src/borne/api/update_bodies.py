"""The JSON bodies of the update routes (``/v1/update``) that are theirs: what they send and
read, and their schemas in the OpenAPI document (:mod:`borne.api.openapi`). The update's state
is :class:`borne.update.state.UpdateStatus`, the same body as ``/v1/status``'s ``update``.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

__all__ = ["RebootRequest", "UpdateAccepted"]

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
