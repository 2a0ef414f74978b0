"""The contract between presentation inputs (QR camera, USB scanner, NFC) and the daemon.

A QR camera, a USB "douchette" scanner and an NFC reader each *capture*
payloads: the bytes of a QR code, or the answers of a phone in card emulation.
The daemon does not know or care how; it recognises each payload (apCV,
ordonnance numérique, unknown: :mod:`borne.apcv.recognise`) and announces it.

Like a smart-card backend, an input backend runs its blocking library in a
worker thread it owns, and reports to a :class:`CaptureSink` *on the event loop*
(``loop.call_soon_threadsafe``). Payloads are health data: a backend never logs
them, never writes them to disk, and drops its references once reported.

Subclasses of :class:`InputBackend` **must** implement ``from_path``,
:meth:`start` and :meth:`stop`; they **may** override :meth:`set_scanning`
(inputs that cost power, such as a camera, scan only when asked) and
:meth:`describe`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any, Literal, Protocol

__all__ = ["CHANNELS", "CaptureSink", "Channel", "InputBackend"]

#: Where a payload came from: the camera, a USB scanner, an NFC chip (nfcpy) or a
#: contactless PC/SC slot.
Channel = Literal["qr_camera", "qr_scanner", "nfc", "pcsc_contactless"]
CHANNELS: tuple[str, ...] = ("qr_camera", "qr_scanner", "nfc", "pcsc_contactless")


class CaptureSink(Protocol):
    """What an input backend reports; every method runs on the event loop.

    ``detected_ns`` is the monotonic time (``time.monotonic_ns()``) at which the
    backend had the raw input (the frame was captured, the scanner's last key
    came, the phone answered), so latencies are measured from the hardware.
    """

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        """``state`` is ``available``, ``unavailable`` (absent, retried) or ``error``, as for PC/SC."""

    def payload_captured(self, channel: Channel, payload: bytes, detected_ns: int) -> None:
        """One presentation: a QR code seen (once, not once per frame) or an NFC exchange."""

    def capture_error(self, channel: Channel, code: str, detected_ns: int) -> None:
        """A presentation that failed, with a stable code (``nfc_target_lost``...)."""


class InputBackend(ABC):
    """Base of presentation inputs (QR camera, USB scanner, NFC) and their twins."""

    #: The device name used in ``device.state`` events and ``borne status``.
    device = "input"

    @classmethod
    @abstractmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> InputBackend:
        """Build the backend from its path string and the daemon's config."""

    @abstractmethod
    def start(self, sink: CaptureSink, loop: asyncio.AbstractEventLoop) -> None:
        """Start capturing; report to ``sink`` on ``loop``. Must not block."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop capturing and release the device; idempotent."""

    def set_scanning(self, on: bool) -> None:
        """Scan continuously (``True``) or not at all; inputs that cost nothing ignore it."""

    def describe(self) -> dict[str, Any]:
        """What the backend is, for ``borne status`` and ``borne doctor``."""
        return {"device": self.device, "backend": type(self).__name__}
