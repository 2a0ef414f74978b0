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
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

from .base import call_on_loop

__all__ = ["CHANNELS", "CaptureSink", "Channel", "InputBackend", "ScanPolicy", "ThreadedInput"]

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


@runtime_checkable
class ScanPolicy(Protocol):
    """An input that can scan always or only when asked (a camera: it costs power).

    In mobile mode the daemon sets ``on_demand``; a button, the API or ``borne scan``
    then start a scan, which stops by itself after a while.
    """

    def set_scan_policy(self, policy: str) -> None:
        """``always`` or ``on_demand``."""


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


class ThreadedInput(InputBackend):
    """An input whose blocking library runs in one worker thread it owns.

    Subclasses implement :meth:`_run` (the thread's body, which returns once
    ``self._stopping`` is set) and call ``super().__init__()``. What they share:
    starting and joining the thread, reporting to the sink on the event loop,
    and saying the device's state only when it changes.
    """

    #: Name of the worker thread (for ``py-spy`` and thread dumps).
    thread_name = "input"

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sink: CaptureSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reported: tuple[str, str | None] | None = None

    @abstractmethod
    def _run(self) -> None:
        """The worker thread's body."""

    def start(self, sink: CaptureSink, loop: asyncio.AbstractEventLoop) -> None:
        self._sink, self._loop = sink, loop
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake_worker()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)

    def _wake_worker(self) -> None:
        """Make a worker blocked in its device's wait return now (override if it can)."""

    def _emit(self, method: Callable[..., None], *args: Any) -> None:
        """Call ``method(*args)`` on the event loop, from the worker thread."""
        call_on_loop(self._loop, method, *args)

    def _state(self, state: str, detail: str | None = None) -> None:
        """Report the device's state, once per change."""
        if self._reported != (state, detail):
            self._reported = (state, detail)
            assert self._sink is not None
            self._emit(self._sink.device_state, self.device, state, detail)
