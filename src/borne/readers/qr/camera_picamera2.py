"""The Raspberry Pi camera (libcamera, through picamera2) as the box's QR camera.

==================  ==========================================================
path                what it drives
==================  ==========================================================
``picamera2``       camera 0 (the CSI connector, or the only camera)
``picamera2:N``     camera N (Raspberry Pi 5 / CM4 with two connectors)
==================  ==========================================================

Supports: any sensor libcamera drives (Camera Module 2/3, HQ, global shutter).
Frames are the Y (luminance) plane of a YUV420 ``lores`` stream of
``[camera]`` width x height: the gray image the decoder wants, with no color
conversion on the CPU. Autofocus, where the sensor has it, is set continuous.

picamera2 exists only on Raspberry Pi OS (Debian package ``python3-picamera2``,
with libcamera): it is imported only in the camera's worker thread. Without it
the camera is ``unavailable`` with a detail saying so, and the daemon runs on.
The loop itself (scanning, pacing, decode, seen codes) is
:class:`~borne.readers.qr.camera_images.FrameCamera`, tested through the
``images:`` twin; this module cannot run off a Pi and is tested on the box
(``tests/hil``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ...errors import BackendError
from .camera_images import CameraUnavailable, FrameCamera, FrameSource

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Picamera2Camera"]

log = logging.getLogger(__name__)


class _Picamera2Source:
    """An open, started Picamera2: each grab is the Y plane of the next lores frame."""

    def __init__(self, camera: Any, width: int, height: int) -> None:
        self._camera, self._width, self._height = camera, width, height

    def grab(self) -> np.ndarray | None:
        try:
            yuv = self._camera.capture_array("lores")
        except RuntimeError as error:  # the camera was unplugged or libcamera failed
            raise CameraUnavailable(f"camera stopped delivering frames: {error}") from None
        # YUV420 comes as (height * 3/2, stride): the first ``height`` rows are Y;
        # rows may be padded beyond ``width`` to the ISP's alignment.
        return yuv[: self._height, : self._width]

    def close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            try:
                camera.stop()
            finally:
                camera.close()


class Picamera2Camera(FrameCamera):
    """The Raspberry Pi camera, read with picamera2 in the camera's worker thread."""

    scheme = "picamera2"

    def __init__(self, camera: Any, *, camera_num: int = 0, retry_interval_s: float = 2.0) -> None:
        super().__init__(camera, retry_interval_s=retry_interval_s)
        self.camera_num = camera_num

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> Picamera2Camera:
        try:
            camera_num = int(argument) if argument else 0
        except ValueError:
            raise BackendError(f"picamera2:{argument}: the camera number must be an integer "
                               "(picamera2:0, picamera2:1)", code="backend_error") from None
        return cls(config.camera, camera_num=camera_num)

    def _open(self) -> FrameSource:
        try:
            from picamera2 import Picamera2  # only here: Raspberry Pi OS only
        except ImportError as error:
            raise CameraUnavailable(
                f"picamera2 is not installed ({error}); it comes with Raspberry Pi OS "
                "(apt install python3-picamera2)") from None
        size = (self._camera.width, self._camera.height)
        try:
            camera = Picamera2(self.camera_num)
        except (IndexError, RuntimeError) as error:  # no such camera / libcamera refused
            raise CameraUnavailable(f"camera {self.camera_num} not found: {error}") from None
        try:
            # The main stream is required; keep it the same small size, the decoder
            # reads only the lores Y plane.
            config = camera.create_video_configuration(
                main={"size": size}, lores={"size": size, "format": "YUV420"},
                controls={"FrameRate": float(self._camera.fps)}, buffer_count=2)
            camera.configure(config)
            if "AfMode" in camera.camera_controls:
                from libcamera import controls  # installed with picamera2

                camera.set_controls({"AfMode": controls.AfModeEnum.Continuous})
            camera.start()
        except Exception:
            camera.close()
            raise
        log.info("camera %d started at %dx%d", self.camera_num, *size)
        return _Picamera2Source(camera, *size)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "camera_num": self.camera_num}
