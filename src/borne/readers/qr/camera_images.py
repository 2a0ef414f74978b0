"""The QR camera's loop, and its twin ``images:DIR``: the newest picture in DIR is what it sees.

==================  =============================================================
path                what it drives
==================  =============================================================
``images:DIR``      the twin: at each frame, the newest picture file in DIR (png,
                    jpg; by modification time, then name) is the scene; an empty
                    DIR is an empty counter. Pictures are converted to grayscale
                    and scaled (aspect kept, gray borders) to ``[camera]``
                    width x height. Files whose name starts with a dot are
                    ignored: write ``.shown.png`` and rename it, so the camera
                    never sees half a picture.
``picamera2[:N]``   the Raspberry Pi camera, same loop
                    (:mod:`borne.readers.qr.camera_picamera2`)
==================  =============================================================

:class:`FrameCamera` is the loop both share; a backend only says how to open
its frame source (:meth:`FrameCamera._open`). The loop runs in a worker thread:
grab a frame at ``[camera] fps``, decode it with
:class:`~borne.readers.qr.pipeline.FramePipeline`, and report each *new*
presentation (:class:`~borne.readers.qr.pipeline.SeenCodes`) to the sink with
the monotonic time the frame was grabbed. ``[camera] scan = "always"`` scans
from the start; ``"on_demand"`` scans only after ``set_scanning(True)`` and
stops by itself after ``on_demand_timeout_s`` (the camera is closed while not
scanning, to save power). A camera that is absent is ``unavailable`` and
retried; a failing one is ``error`` and retried; neither stops the daemon.
Payloads are never logged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import BackendError
from ..capture import ThreadedInput
from .decoders import make_decoder
from .pipeline import FramePipeline, SeenCodes

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CameraUnavailable", "FrameCamera", "FrameSource", "ImagesCamera"]

log = logging.getLogger(__name__)

#: Picture files the twin looks at (lower-case suffixes).
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
#: Gray of the borders added when a picture's aspect differs from the frame's.
_BORDER_GRAY = 128


class CameraUnavailable(Exception):
    """The camera (or the twin's directory) is not there now: reported ``unavailable``, retried."""


class FrameSource(Protocol):
    """An open camera: used only by the worker thread."""

    def grab(self) -> np.ndarray | None:
        """The next frame (uint8, height x width), or None for an empty scene.

        Raises :class:`CameraUnavailable` if the camera went away.
        """

    def close(self) -> None:
        """Release the camera; idempotent."""


class FrameCamera(ThreadedInput):
    """A QR camera: a frame source, the decode pipeline and the seen-codes tracker, in a thread.

    Subclasses **must** implement ``from_path`` and :meth:`_open`; they **may**
    extend :meth:`describe`. ``camera`` is the ``[camera]`` config section
    (:class:`borne.config.CameraConfig`).
    """

    device = "camera"
    #: The path scheme, for ``describe()``.
    scheme = "camera"

    def __init__(self, camera: Any, *, retry_interval_s: float = 1.0) -> None:
        super().__init__()
        if not camera.fps > 0:
            raise BackendError(f"[camera] fps must be positive, not {camera.fps}")
        self._camera = camera
        self._period_s = 1.0 / camera.fps
        self._retry_interval_s = retry_interval_s
        self._lock = threading.Lock()
        #: "always" or "on_demand": the config's, until the box's mode changes it.
        self._policy: str = camera.scan
        self._scan_requested = camera.scan == "always"
        self._scan_deadline: float | None = None
        self._wake = threading.Event()
        self.thread_name = f"{self.scheme}-camera"
        #: Frames grabbed and decoded since start (``borne status``, tests).
        self.frames = 0

    # -- what a backend provides (runs in the worker thread) ------------------------------

    def _open(self) -> FrameSource:
        """Open the camera. Raise :class:`CameraUnavailable` if it is absent."""
        raise NotImplementedError

    # -- InputBackend -----------------------------------------------------------------------

    def _wake_worker(self) -> None:
        self._wake.set()

    def set_scanning(self, on: bool) -> None:
        """Start or stop scanning; ``on_demand`` scanning stops by itself after its timeout."""
        with self._lock:
            self._scan_requested = on
            self._scan_deadline = (time.monotonic() + self._camera.on_demand_timeout_s
                                   if on and self._policy == "on_demand" else None)
        self._wake.set()

    def set_scan_policy(self, policy: str) -> None:
        """Scan ``"always"`` (a counter) or only ``"on_demand"`` (mobile mode: saves battery).

        Switching to on_demand stops a scan in progress; switching to always starts one.
        """
        if policy not in ("always", "on_demand"):
            raise ValueError(f"unknown scan policy {policy!r}")
        with self._lock:
            self._policy = policy
            self._scan_requested = policy == "always"
            self._scan_deadline = None
        self._wake.set()

    def describe(self) -> dict[str, Any]:
        return {"device": self.device, "backend": self.scheme, "scan": self._policy,
                "scanning": self._scan_requested, "decoder": self._camera.decoder,
                "fps": self._camera.fps, "size": [self._camera.width, self._camera.height],
                "frames": self.frames}

    # -- the worker thread ------------------------------------------------------------------

    def _wait(self, timeout: float | None) -> None:
        # Woken early by stop() and set_scanning(); a spurious early frame is harmless.
        self._wake.wait(timeout)
        self._wake.clear()

    def _scanning(self, now: float) -> bool:
        with self._lock:
            if self._scan_deadline is not None and now >= self._scan_deadline:
                self._scan_requested, self._scan_deadline = False, None
                log.info("on-demand scan timed out")
            return self._scan_requested

    def _try_open(self) -> FrameSource | None:
        try:
            source = self._open()
        except CameraUnavailable as error:
            self._state("unavailable", str(error))
            return None
        except Exception as error:  # a driver bug must not kill the thread
            log.exception("camera cannot be opened")
            self._state("error", f"cannot open the camera: {type(error).__name__}")
            return None
        self._state("available")
        return source

    def _run(self) -> None:
        try:
            # Spread the pipeline's transforms over frames: an empty counter then costs
            # one decode and one transform per frame (bench/qr_decoders.py: idle load).
            pipeline = FramePipeline(make_decoder(self._camera.decoder), transforms_per_frame=1)
        except Exception as error:  # ImportError: the decoder library is missing
            self._state("error", f"QR decoder {self._camera.decoder!r} unavailable: {error}")
            return
        tracker = SeenCodes(self._camera.forget_after_s)
        source: FrameSource | None = None
        if not self._scanning(time.monotonic()):
            # Not scanning yet (on demand): open once so the camera's state is known.
            probe = self._try_open()
            if probe is not None:
                probe.close()
        try:
            while not self._stopping.is_set():
                if not self._scanning(time.monotonic()):
                    if source is not None:
                        source.close()
                        source = None
                    with self._lock:
                        deadline = self._scan_deadline
                    self._wait(None if deadline is None else deadline - time.monotonic())
                    continue
                if source is None:
                    source = self._try_open()
                    if source is None:
                        self._wait(self._retry_interval_s)
                        continue
                started = time.monotonic()
                try:
                    frame = source.grab()
                    detected_ns = time.monotonic_ns()
                    payloads = pipeline.decode(frame) if frame is not None else []
                except CameraUnavailable as error:
                    self._state("unavailable", str(error))
                    source.close()
                    source = None
                    self._wait(self._retry_interval_s)
                    continue
                except Exception as error:
                    # Only the exception's type: its message could quote frame data.
                    log.error("camera frame failed: %s", type(error).__name__)
                    self._state("error", f"frame failed: {type(error).__name__}")
                    source.close()
                    source = None
                    self._wait(self._retry_interval_s)
                    continue
                self.frames += 1
                for payload in tracker.update(payloads, detected_ns / 1e9):
                    self._emit(self._sink.payload_captured, "qr_camera", payload, detected_ns)
                del frame, payloads  # hold no health data between frames
                self._wait(max(0.0, started + self._period_s - time.monotonic()))
        finally:
            if source is not None:
                source.close()


def _load_picture(path: str, width: int, height: int) -> np.ndarray | None:
    """The picture at ``path`` as a grayscale frame, or None if it cannot be read."""
    import numpy as np
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as picture:
            picture.draft("L", (width, height))  # JPEG: decode at a reduced size, cheaper
            gray = picture.convert("L")
    except Exception as error:  # corrupt, truncated, not a picture, too large...
        # The name and the error's type only: never the picture's content.
        log.warning("camera picture %s unreadable (%s): skipped",
                    os.path.basename(path), type(error).__name__)
        return None
    if gray.size != (width, height):
        gray = ImageOps.pad(gray, (width, height), method=Image.Resampling.BILINEAR,
                            color=_BORDER_GRAY)
    frame = np.asarray(gray)
    frame.flags.writeable = False  # the same array is handed out while the picture stays
    return frame


class _Directory:
    """The twin's frame source: the newest picture of a directory."""

    def __init__(self, path: str, width: int, height: int) -> None:
        self._path, self._width, self._height = path, width, height
        # (name, mtime_ns, size) of the newest picture and its frame: a picture is
        # decoded once, not at every frame it stays the newest.
        self._key: tuple[str, int, int] | None = None
        self._frame: np.ndarray | None = None

    def grab(self) -> np.ndarray | None:
        try:
            entries = list(os.scandir(self._path))
        except FileNotFoundError:
            raise CameraUnavailable(f"{self._path} does not exist") from None
        except OSError as error:
            raise CameraUnavailable(f"{self._path}: {error.strerror}") from None
        newest: tuple[int, str, int] | None = None
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.lower().endswith(PICTURE_SUFFIXES):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:  # removed between the listing and now
                continue
            candidate = (stat.st_mtime_ns, entry.name, stat.st_size)
            if newest is None or candidate[:2] > newest[:2]:
                newest = candidate
        if newest is None:
            self._key, self._frame = None, None
            return None
        mtime_ns, name, size = newest
        key = (name, mtime_ns, size)
        if key != self._key:
            # A picture still being written fails to load; it loads once its size
            # or mtime settle (new key), so it is retried, not skipped for good.
            self._key = key
            self._frame = _load_picture(os.path.join(self._path, name), self._width,
                                        self._height)
        return self._frame

    def close(self) -> None:
        self._key, self._frame = None, None


class ImagesCamera(FrameCamera):
    """The camera twin: the newest picture in a directory is what the camera sees."""

    scheme = "images"

    def __init__(self, directory: str, camera: Any, *, retry_interval_s: float = 1.0) -> None:
        super().__init__(camera, retry_interval_s=retry_interval_s)
        self.directory = directory

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> ImagesCamera:
        assert argument  # the registry requires it
        return cls(argument, config.camera)

    def _open(self) -> FrameSource:
        if not os.path.isdir(self.directory):
            raise CameraUnavailable(f"{self.directory} does not exist")
        return _Directory(self.directory, self._camera.width, self._camera.height)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "directory": self.directory}
