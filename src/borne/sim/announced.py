"""What the box made of a code the simulator showed it: the event it announced, or nothing.

``borne sim apcv`` and ``borne sim prescription`` show a code through the box's real
inputs, and those may rightly take it for a presentation already made: the camera counts
a code held in view once, and again only once it has been out of view for ``[camera]
forget_after_s`` (:class:`borne.readers.qr.pipeline.SeenCodes`), and the simulator holds
its picture in front of the camera for a few seconds. Saying "presented" then would be
false, so the command watches the box's bus for the answer on that input's channel:
``apcv.presented`` or ``prescription.scanned`` (with the presentation's id),
``capture.error`` (with its code), or nothing within ``wait_s``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..events import ApcvPresented, CaptureFailed, EventBus, PrescriptionScanned
from .watched import watch_after

__all__ = ["BOX_CHANNELS", "present_and_watch"]

#: The ``channel`` of the box's events, by the simulator's name for the input.
BOX_CHANNELS = {"qr": "qr_camera", "scanner": "qr_scanner", "nfc": "nfc",
                "contactless": "pcsc_contactless"}


async def present_and_watch(bus: EventBus, present: Callable[[], Awaitable[dict[str, Any]]],
                            channel: str, wait_s: float) -> dict[str, Any]:
    """Run ``present()`` and add what the box announced on ``channel`` to its answer:
    ``announced`` (the event's type, or None), ``presentation_id`` or ``code``."""
    def match(event: Any) -> dict[str, Any] | None:
        data = event.data
        if getattr(data, "channel", None) != BOX_CHANNELS.get(channel):
            return None
        if isinstance(data, (ApcvPresented, PrescriptionScanned)):
            return {"announced": event.type, "presentation_id": data.presentation_id}
        if isinstance(data, CaptureFailed):
            return {"announced": event.type, "code": data.code}
        return None

    return await watch_after(bus, present, match, wait_s)
