"""The ``images:DIR`` camera twin with a real directory, a running event loop and a recording sink.

It runs the same loop as the Raspberry Pi camera (``FrameCamera``): these tests
are the tests of that loop. They wait for frames to pass (the backend counts
them), never for a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from borne.config import CameraConfig, Config
from borne.errors import BackendError
from borne.readers.qr.camera_images import ImagesCamera
from borne.registry import load_backend
from borne.sim.qr_frames import render_qr_frame

PRESCRIPTION = b"01S2TBPZ2JCNZZYGHZ"
TOKEN = bytes(range(200)) + b"secret-token"


class RecordingSink:
    """Records what the backend reports, checking it is called on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.states: list[tuple[str, str, str | None]] = []
        self.captures: list[tuple[str, bytes, int]] = []

    def _on_loop(self) -> None:
        assert asyncio.get_running_loop() is self.loop

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        self._on_loop()
        self.states.append((device, state, detail))

    def payload_captured(self, channel: str, payload: bytes, detected_ns: int) -> None:
        self._on_loop()
        self.captures.append((channel, payload, detected_ns))

    def capture_error(self, channel: str, code: str, detected_ns: int) -> None:
        raise AssertionError(f"unexpected capture_error {code}")

    @property
    def last_state(self) -> str | None:
        return self.states[-1][1] if self.states else None


async def until(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def until_idle(camera: ImagesCamera) -> None:
    """Wait until no frame is in flight (the counter stops moving)."""
    while True:
        frames = camera.frames
        await asyncio.sleep(0.05)
        if camera.frames == frames:
            return


async def frames_pass(camera: ImagesCamera, count: int) -> None:
    start = camera.frames
    await until(lambda: camera.frames >= start + count, f"{count} frames")


def show(directory: Path, payload: bytes, name: str = "shown.png") -> None:
    """Put a picture of a phone showing ``payload`` in the directory, atomically."""
    hidden = directory / f".{name}"
    render_qr_frame(payload, 640, 480).save(hidden)
    os.replace(hidden, directory / name)


def camera_config(**overrides) -> Config:
    settings = {"fps": 100.0, "width": 640, "height": 480, "forget_after_s": 0.3, **overrides}
    return Config(camera=CameraConfig(**settings))


@pytest.fixture
async def running(tmp_path):
    """Start an ImagesCamera on a directory; stopped (and checked stopped) afterwards."""
    started: list[ImagesCamera] = []

    def start(directory: Path, **overrides) -> tuple[ImagesCamera, RecordingSink]:
        camera = ImagesCamera(str(directory), camera_config(**overrides).camera,
                              retry_interval_s=0.02)
        sink = RecordingSink(asyncio.get_running_loop())
        camera.start(sink, asyncio.get_running_loop())
        started.append(camera)
        return camera, sink

    yield start
    for camera in started:
        thread = camera._thread
        await camera.stop()
        assert thread is None or not thread.is_alive()


async def test_a_picture_held_in_view_is_captured_once(running, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    camera, sink = running(tmp_path, forget_after_s=30.0)
    await until(lambda: sink.last_state == "available", "available")
    await frames_pass(camera, 3)
    assert sink.captures == []  # empty directory: an empty counter

    before_ns = time.monotonic_ns()
    show(tmp_path, TOKEN)
    await until(lambda: sink.captures, "a capture")
    await frames_pass(camera, 30)
    assert len(sink.captures) == 1
    channel, payload, detected_ns = sink.captures[0]
    assert (channel, payload) == ("qr_camera", TOKEN)
    assert before_ns <= detected_ns <= time.monotonic_ns()

    # Taken away and shown again while it is still remembered: the same presentation.
    (tmp_path / "shown.png").unlink()
    await frames_pass(camera, 5)
    show(tmp_path, TOKEN)
    await frames_pass(camera, 20)
    assert len(sink.captures) == 1
    assert b"secret-token" not in caplog.text.encode()


async def test_shown_again_after_forget_after_s_is_a_second_capture(running, tmp_path):
    camera, sink = running(tmp_path, forget_after_s=0.2)
    show(tmp_path, PRESCRIPTION)
    await until(lambda: len(sink.captures) == 1, "first capture")
    (tmp_path / "shown.png").unlink()
    gone_at = time.monotonic()
    await until(lambda: time.monotonic() - gone_at > 0.3, "forget_after_s")
    await frames_pass(camera, 3)
    assert len(sink.captures) == 1
    show(tmp_path, PRESCRIPTION)
    await until(lambda: len(sink.captures) == 2, "second capture")
    assert [p for _, p, _ in sink.captures] == [PRESCRIPTION, PRESCRIPTION]


async def test_the_newest_picture_is_the_scene(running, tmp_path):
    camera, sink = running(tmp_path, forget_after_s=30.0)
    show(tmp_path, PRESCRIPTION, "a.png")
    await until(lambda: len(sink.captures) == 1, "first code")
    newer = time.time() + 5
    show(tmp_path, TOKEN, "b.png")
    os.utime(tmp_path / "b.png", (newer, newer))
    await until(lambda: len(sink.captures) == 2, "second code")
    assert [p for _, p, _ in sink.captures] == [PRESCRIPTION, TOKEN]


async def test_on_demand_scans_only_when_asked_and_stops_by_itself(running, tmp_path):
    show(tmp_path, PRESCRIPTION)
    camera, sink = running(tmp_path, scan="on_demand", on_demand_timeout_s=0.3)
    await until(lambda: sink.last_state == "available", "the start-up probe")
    await asyncio.sleep(0.2)  # plenty of frame periods at 100 fps, were it scanning
    assert (camera.frames, sink.captures) == (0, [])
    assert camera.describe()["scanning"] is False

    camera.set_scanning(True)
    await until(lambda: sink.captures, "a capture once asked")
    assert sink.captures[0][1] == PRESCRIPTION
    await until(lambda: not camera.describe()["scanning"], "the on-demand timeout")
    frames = camera.frames
    await asyncio.sleep(0.1)
    assert camera.frames <= frames + 1  # at most the frame in flight


async def test_set_scanning_false_stops_an_always_camera(running, tmp_path):
    camera, sink = running(tmp_path)
    await frames_pass(camera, 3)
    camera.set_scanning(False)
    await until_idle(camera)
    frames = camera.frames
    show(tmp_path, PRESCRIPTION)
    await asyncio.sleep(0.1)
    assert camera.frames == frames and sink.captures == []
    camera.set_scanning(True)
    await until(lambda: sink.captures, "a capture after resuming")


async def test_missing_directory_is_unavailable_then_ready_when_created(running, tmp_path):
    directory = tmp_path / "camera"
    camera, sink = running(directory)
    await until(lambda: sink.last_state == "unavailable", "unavailable")
    assert sink.states[-1][0] == "camera" and "does not exist" in sink.states[-1][2]
    directory.mkdir()
    await until(lambda: sink.last_state == "available", "available")
    show(directory, PRESCRIPTION)
    await until(lambda: sink.captures, "a capture")

    shutil.rmtree(directory)
    await until(lambda: sink.last_state == "unavailable", "unavailable again")
    directory.mkdir()
    await until(lambda: sink.last_state == "available", "ready again")
    assert [s for _, s, _ in sink.states] == ["unavailable", "available", "unavailable", "available"]


async def test_corrupt_picture_is_skipped_without_its_content_in_the_log(running, tmp_path,
                                                                         caplog):
    caplog.set_level(logging.DEBUG)
    camera, sink = running(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nPATIENT-SECRET" * 10)
    (tmp_path / "not-a-jpeg.jpg").write_bytes(b"PATIENT-SECRET")
    await frames_pass(camera, 10)
    assert sink.captures == [] and sink.last_state == "available"
    assert "PATIENT-SECRET" not in caplog.text

    newer = time.time() + 5
    show(tmp_path, PRESCRIPTION)
    os.utime(tmp_path / "shown.png", (newer, newer))
    await until(lambda: sink.captures, "the good picture")
    assert PRESCRIPTION.decode() not in caplog.text


async def test_stop_is_clean_and_idempotent(tmp_path):
    camera = ImagesCamera(str(tmp_path), camera_config().camera)
    sink = RecordingSink(asyncio.get_running_loop())
    camera.start(sink, asyncio.get_running_loop())
    await frames_pass(camera, 2)
    thread = camera._thread
    await camera.stop()
    await camera.stop()
    assert not thread.is_alive()
    frames = camera.frames
    show(tmp_path, PRESCRIPTION)
    await asyncio.sleep(0.05)
    assert camera.frames == frames and sink.captures == []


def test_registry_builds_the_cameras_from_their_paths(tmp_path):
    camera = load_backend("camera", f"images:{tmp_path}", Config())
    assert isinstance(camera, ImagesCamera)
    assert camera.describe()["directory"] == str(tmp_path)
    assert load_backend("camera", "picamera2:1", Config()).describe()["camera_num"] == 1
    with pytest.raises(BackendError, match="camera number"):
        load_backend("camera", "picamera2:front", Config())


async def test_picamera2_without_the_library_is_unavailable_not_fatal():
    try:
        import picamera2  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("picamera2 is installed: this is a Raspberry Pi")
    camera = load_backend("camera", "picamera2", camera_config())
    sink = RecordingSink(asyncio.get_running_loop())
    camera.start(sink, asyncio.get_running_loop())
    try:
        await until(lambda: sink.states, "a device state")
        device, state, detail = sink.states[0]
        assert (device, state) == ("camera", "unavailable")
        assert "picamera2 is not installed" in detail
    finally:
        await camera.stop()
