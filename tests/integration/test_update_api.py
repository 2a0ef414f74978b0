"""Updates through the box's HTTPS API and from a USB stick, against a real RAUC.

RAUC runs for real on a private D-Bus with loop-device slots (``rauc_box``: booted on slot A at
1.0.0); bundles are real, signed, ``format=plain``. The simulated box runs in the test process
with its ``[update]`` section pointing at that RAUC; workstations are paired through the real
exchange (an admin, and a billing workstation that is not). What is checked: N -> N+1 through
``PUT /v1/update`` with its events on ``/v1/events``, ``GET /v1/update`` for any paired
workstation, ``borne client update`` end to end, and a stick (a directory standing for its
mount) appearing under ``usb_dir`` with a bundle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path

import pytest

from borne.client import BoxClient, BoxError

from support.box import paired, running_box

pytestmark = pytest.mark.pcscd


@contextlib.asynccontextmanager
async def update_box(rauc_box, tmp_path: Path):
    section = rauc_box.update_section(usb_dir=tmp_path / "usb")
    async with running_box(tmp_path, update=section) as box:
        yield box


async def wait_state(client: BoxClient, *states: str, timeout: float = 60.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await client.update_state()
        if state["state"] in states:
            return state
        assert asyncio.get_running_loop().time() < deadline, state
        await asyncio.sleep(0.1)


def incoming(box) -> list[str]:
    return sorted(p.name for p in box.api_context.inbox.directory.glob("incoming-*"))


async def collect(client: BoxClient, into: list, after: int) -> None:
    async for event in client.events(after=after):
        into.append((event.type, event.data))


async def test_n_to_n_plus_1_through_the_api_with_its_events(rauc_box, tmp_path):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    slot_b = rauc_box.slot_digest("B")
    async with update_box(rauc_box, tmp_path) as box:
        await paired(box, tmp_path / "admin", "Bureau", admin=True)
        await paired(box, tmp_path / "ws", "Comptoir")
        async with BoxClient.from_directory(tmp_path / "admin", language="en") as admin, \
                BoxClient.from_directory(tmp_path / "ws", language="en") as counter:
            before = await counter.update_state()  # any paired workstation may read it
            assert (before["state"], before["system_version"], before["booted_slot"]) \
                == ("idle", "1.0.0", "A")
            events: list = []
            follower = asyncio.create_task(collect(counter, events, box.bus.history()[-1].seq))
            accepted = await admin.update(bundle)
            assert accepted == {"version": "1.1.0", "compatible": "borne-test"}
            # Installed, then the reboot into it at once: nothing holds it on this box.
            state = await wait_state(admin, "installed", "rebooting", "failed")
            assert state["state"] in ("installed", "rebooting"), state
            assert (state["pending_version"], state["progress"]) == ("1.1.0", 100), state
            await asyncio.sleep(0.5)  # the last events reach the stream
            follower.cancel()
        kinds = [kind for kind, _ in events]
        assert ("update.available", {"version": "1.1.0", "origin": "api"}) in events
        assert "update.progress" in kinds and ("update.installed", {"version": "1.1.0"}) in events
        assert kinds.index("update.available") < kinds.index("update.installed")
        assert "1.1.0" in (rauc_box.slot_release("B") or "") and rauc_box.slot_digest("B") != slot_b
        for _ in range(40):  # the uploaded bundle is removed once the install ended
            if not incoming(box):
                break
            await asyncio.sleep(0.1)
        assert incoming(box) == []
        audit = [e for e in box.api_context.audit.entries(limit=1000)
                 if e.action == "PUT /v1/update"]
        assert [(e.status, e.detail["version"]) for e in audit] == [(202, "1.1.0")]


async def test_a_refused_bundle_writes_nothing_and_leaves_no_file(rauc_box, tmp_path):
    from support.rauc_box import make_signer

    stranger = await asyncio.to_thread(rauc_box.bundle, "1.2.0", name="stranger",
                                       signer=make_signer(tmp_path / "other", "other"))
    older = await asyncio.to_thread(rauc_box.bundle, "0.9.0")
    slot_b = rauc_box.slot_digest("B")
    async with update_box(rauc_box, tmp_path) as box:
        await paired(box, tmp_path / "admin", "Bureau", admin=True)
        async with BoxClient.from_directory(tmp_path / "admin", language="en") as admin:
            for bundle, code, status in ((stranger, "update_bad_signature", 422),
                                         (older, "update_downgrade_refused", 409)):
                with pytest.raises(BoxError) as refused:
                    await admin.update(bundle)
                assert (refused.value.code, refused.value.status) == (code, status)
                assert incoming(box) == []
            assert (await admin.update_state())["last_error"] in (None, "update_downgrade_refused")
    assert rauc_box.slot_digest("B") == slot_b


async def _borne(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "borne.cli.main", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_borne_client_update_end_to_end(rauc_box, tmp_path):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    async with update_box(rauc_box, tmp_path) as box:
        await paired(box, tmp_path / "admin", "Bureau", admin=True)
        await paired(box, tmp_path / "ws", "Comptoir")
        # A billing workstation is refused, in one line, exit status 2.
        code, out, err = await _borne("client", "update", "--dir", str(tmp_path / "ws"),
                                      str(bundle), "--lang", "en")
        assert code == 2 and "[forbidden]" in err, err
        code, out, err = await _borne("client", "update", "--dir", str(tmp_path / "admin"),
                                      str(bundle), "--reboot", "now", "--lang", "en")
        assert code == 0, (out, err)
        assert "Bundle 1.1.0 vetted by the box" in err and "Version 1.1.0 installed." in out
        request = Path(box.config.daemon.runtime_dir) / "reboot-request"
        assert request.exists() and "reboots" in out  # the root unit reboots on it
        code, out, _ = await _borne("client", "update-state", "--dir", str(tmp_path / "ws"))
        assert code == 0 and json.loads(out)["pending_version"] == "1.1.0"


async def test_a_usb_stick_with_a_bundle_is_installed_then_the_reboot_asked(rauc_box, tmp_path):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    async with update_box(rauc_box, tmp_path) as box:
        await paired(box, tmp_path / "ws", "Comptoir")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as counter:
            stick = tmp_path / "usb" / "sda1"  # what borne-usb-mount@sda1 mounts
            stick.mkdir()
            os.link(bundle, stick / "borne-1.1.0.raucb")
            (stick / "photos").mkdir()
            state = await wait_state(counter, "installed", "rebooting", "failed")
            assert state["state"] != "failed" and state["pending_version"] == "1.1.0", state
        seen = [(e.type, e.to_dict()["data"]) for e in box.bus.history()]
        assert ("update.available", {"version": "1.1.0", "origin": "usb"}) in seen
        request = Path(box.config.daemon.runtime_dir) / "reboot-request"
        for _ in range(100):  # nothing holds it: the watch asked, the gate wrote the request
            if request.exists():
                break
            await asyncio.sleep(0.1)
        assert request.exists()
