"""Counter and mobile mode: switched from the tablet (real mTLS API) or on the box, kept across
restarts, and what it changes: the camera scans only when asked, the screen dims sooner."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from borne.client import BoxClient
from borne.client.api import BoxError
from borne.events import ModeChanged

from support.box import paired, running_box

pytestmark = pytest.mark.pcscd


def in_mode(tmp_path, mode: str) -> dict[str, dict]:
    """The sections of a box configured in ``mode``, with a camera twin and a screen."""
    (tmp_path / "camera").mkdir(exist_ok=True)
    return {"daemon": {"mode": mode},
            "readers": {"camera": f"images:{tmp_path / 'camera'}"},
            "camera": {"fps": 50},
            "display": {"device": "dummy:128x64", "dim_after_s": 60, "mobile_dim_after_s": 15}}


async def frames_pass(camera, more: int = 3, timeout: float = 5.0) -> bool:
    """True if the camera grabs ``more`` frames within ``timeout`` (it is scanning)."""
    start = camera.frames
    for _ in range(int(timeout / 0.05)):
        if camera.frames >= start + more:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_switching_mode_from_the_tablet_changes_the_camera_and_screen(tmp_path, sim_pcscd):
    async with running_box(tmp_path, **in_mode(tmp_path, "counter")) as box:
        events = box.bus.subscribe()
        camera = box.inputs["camera"]
        assert box.core.mode == "counter" and await frames_pass(camera)  # a counter scans always
        assert box.display._dim_after_s() == 60
        await paired(box, tmp_path / "ws", "Tablette")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            assert await client.set_mode("mobile") == "mobile"
            assert (await client.status())["mode"] == "mobile"
            with pytest.raises(BoxError) as refused:
                await client.set_mode("flying")
            assert (refused.value.status, refused.value.code) == (400, "mode_unknown")
        assert camera.describe()["scan"] == "on_demand" and not camera.describe()["scanning"]
        await asyncio.sleep(0.1)  # a frame being grabbed at the switch may still count
        assert not await frames_pass(camera, timeout=0.5)  # mobile: no scanning unless asked
        assert box.scan(True) and await frames_pass(camera)  # asked: it scans
        assert box.display.state.mode == "mobile" and box.display._dim_after_s() == 15
        events.close()
        seen = [event async for event in events]
        assert [e.data for e in seen if e.type == "mode.changed"] == [ModeChanged(mode="mobile")]

    # Kept across a restart: the box comes back mobile, its camera idle.
    async with running_box(tmp_path, **in_mode(tmp_path, "counter")) as again:
        assert again.core.mode == "mobile"
        assert not again.inputs["camera"].describe()["scanning"]


async def test_borne_mode_on_the_box(tmp_path, sim_pcscd):
    async with running_box(tmp_path, **in_mode(tmp_path, "mobile")) as box:
        (tmp_path / "borne.toml").write_text(
            f'[daemon]\nruntime_dir = "{tmp_path / "run"}"\ndata_dir = "{tmp_path / "data"}"\n')

        def borne(*args: str) -> str:
            run = subprocess.run([sys.executable, "-m", "borne.cli.main", "--lang", "en", "--config",
                                  str(tmp_path / "borne.toml"), *args], capture_output=True,
                                 text=True, timeout=20)
            assert run.returncode == 0, run.stderr
            return run.stdout.strip()

        assert await asyncio.to_thread(borne, "mode") == "Mode: mobile"
        assert await asyncio.to_thread(borne, "mode", "counter") == "Mode: counter"
        assert box.core.mode == "counter" and box.inputs["camera"].describe()["scanning"]
