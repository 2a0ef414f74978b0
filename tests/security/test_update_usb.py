"""A USB stick is anyone at the counter: what it may install, and what it may not reach.

Whoever can plug a stick in can offer a bundle. It must still be signed (the service checks,
tested with the API), and it must never be an older version, even when an admin allowed a
downgrade over the API: a vulnerable old system must not be re-installable with a stick. The
watch reads only the stick's top level and follows no symbolic link: a link on a stick (or a
"stick" that is a link) could point at any file of the box. A stick holding two bundles
installs neither.

RAUC runs for real (``rauc_box``); the simulated box runs in the test process; a stick is a
directory appearing under ``[update] usb_dir`` (what ``borne-usb-mount@.service`` mounts).
"""

from __future__ import annotations

import asyncio
import os

from borne.client import BoxClient

from support.box import paired, running_box

#: How long a stick is given to be noticed (the watch looks every 2 s).
NOTICED_S = 5.0


def _events(box, kind: str) -> list[dict]:
    return [e.to_dict()["data"] for e in box.bus.history() if e.type == kind]


async def _until(predicate, timeout: float = NOTICED_S) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return predicate()


async def test_a_downgrade_on_a_stick_is_refused_even_when_an_admin_allows_them(rauc_box,
                                                                                 tmp_path):
    older = await asyncio.to_thread(rauc_box.bundle, "0.9.0")
    slot_b = rauc_box.slot_digest("B")
    section = rauc_box.update_section(usb_dir=tmp_path / "usb")
    async with running_box(tmp_path, update=section) as box:
        stick = tmp_path / "usb" / "sdb1"
        stick.mkdir()
        os.link(older, stick / "old.raucb")
        assert await _until(lambda: _events(box, "update.refused"))
        assert _events(box, "update.refused") == [
            {"code": "update_downgrade_refused", "origin": "usb", "version": "0.9.0"}]
        assert _events(box, "update.available") == []
        assert rauc_box.slot_digest("B") == slot_b  # nothing written
        # The same bundle is fine for an admin who allows it over the API: only the stick's
        # path refuses downgrades.
        await paired(box, tmp_path / "admin", "Bureau", admin=True)
        async with BoxClient.from_directory(tmp_path / "admin", language="en") as admin:
            assert (await admin.update(older, allow_downgrade=True))["version"] == "0.9.0"


async def test_links_on_a_stick_are_not_followed(rauc_box, tmp_path):
    newer = await asyncio.to_thread(rauc_box.bundle, "1.1.0")  # outside any stick
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.link(newer, outside / "borne.raucb")
    section = rauc_box.update_section(usb_dir=tmp_path / "usb")
    async with running_box(tmp_path, update=section) as box:
        stick = tmp_path / "usb" / "sdc1"
        stick.mkdir()
        (stick / "borne.raucb").symlink_to(outside / "borne.raucb")
        (tmp_path / "usb" / "sdd1").symlink_to(outside, target_is_directory=True)
        await asyncio.sleep(NOTICED_S)
        assert _events(box, "update.available") == [] and _events(box, "update.refused") == []
        assert box.api_context.updates.snapshot().state == "idle"


async def test_a_stick_with_two_bundles_installs_neither(rauc_box, tmp_path):
    first = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    second = await asyncio.to_thread(rauc_box.bundle, "1.2.0")
    section = rauc_box.update_section(usb_dir=tmp_path / "usb")
    async with running_box(tmp_path, update=section) as box:
        stick = tmp_path / "usb" / "sde1"
        stick.mkdir()
        os.link(first, stick / "a.raucb")
        os.link(second, stick / "b.raucb")
        assert await _until(lambda: _events(box, "update.refused"))
        assert _events(box, "update.refused") == [{"code": "update_usb_several", "origin": "usb"}]
        assert _events(box, "update.available") == []
        assert box.api_context.updates.snapshot().state == "idle"
