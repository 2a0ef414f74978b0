"""Updates through the running simulated box, against a real RAUC (support.rauc_box).

From a file (``borne update install`` through the control socket) to the reboot request,
with the ``update.*`` events and ``/v1/status``; the reboot held while an apCV session is
open and written once it closes, or forced; the pending record turned into
``update.committed`` (after ``borne update commit``) or ``update.rolled_back`` at the
next start. RAUC, its bundles and its slots are real (``format=plain``: no device-mapper).
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from borne.client import BoxClient
from borne.control.client import call
from borne.health import Check
from borne.update.commit import commit_after_boot
from borne.update.reboot_gate import REBOOT_REQUEST

from support.box import paired, running_box
from support import waiting
from support.apcv_session import session_on

pytestmark = pytest.mark.pcscd

def update_events(box, after: int = 0) -> list[tuple[str, dict]]:
    return [(e.type, e.to_dict()["data"]) for e in box.bus.history(after)
            if e.type.startswith("update.")]


#: RAUC's installs on loop devices take a few seconds on a loaded machine.
until = functools.partial(waiting.until, timeout=30.0)


async def control(box, command: str, args: dict | None = None):
    return await asyncio.to_thread(call, box.config.control_socket, command, args or {})


async def test_an_update_from_a_file_is_installed_and_the_reboot_asked_for(
        rauc_box, tmp_path, sim_pcscd):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    request = tmp_path / "run" / REBOOT_REQUEST
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            before = (await client.status())["update"]
            assert before == {"state": "idle", "system_version": "1.0.0", "booted_slot": "A",
                              "pending_version": None, "progress": 0, "reboot_held_by": [],
                              "last_error": None}
            answer = await control(box, "update_install", {"path": str(bundle)})
            assert answer == {"version": "1.1.0", "compatible": "borne-test"}
            await until(request.exists, what="the reboot request")
            after = (await client.status())["update"]
        assert (after["state"], after["pending_version"], after["progress"]) == \
            ("rebooting", "1.1.0", 100)
        events = update_events(box)
        assert events[0] == ("update.available", {"version": "1.1.0", "origin": "file"})
        assert ("update.installed", {"version": "1.1.0"}) in events
        assert events[-1] == ("update.progress", {"percent": 100, "step": "rebooting"})
        assert request.read_text().startswith("update:")
    assert rauc_box.slot_release("B").startswith("VERSION=1.1.0")
    assert {k: rauc_box.boot_state()[k] for k in ("all", "try", "pending")} == \
        {"all": "A", "try": "B", "pending": "1"}  # B is tried at the next boot, once


async def test_the_reboot_waits_for_the_open_apcv_session_then_goes(
        rauc_box, tmp_path, sim_pcscd, card_slots):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    request = tmp_path / "run" / REBOOT_REQUEST
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            session = await session_on(box, card_slots, client, "cps-doctor")  # 1 invoice

            await control(box, "update_install", {"path": str(bundle)})
            await until(lambda: box.updates.snapshot().state == "installed", what="installed")
            await asyncio.sleep(1.0)  # the gate is looked at every 0.25 s: it holds
            status = (await client.status())["update"]
            assert status["reboot_held_by"] == ["apcv_session"]
            assert not request.exists()

            assert await client.claim_invoice(session["id"]) == 1  # the doctor's only one
            await until(request.exists, timeout=10, what="the reboot once the session closed")
        assert box.updates.snapshot().state == "rebooting"
    await asyncio.to_thread(card_slots.remove, 1, wait=True)


async def test_an_admin_at_the_box_forces_the_reboot(rauc_box, tmp_path, sim_pcscd, card_slots):
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    request = tmp_path / "run" / REBOOT_REQUEST
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            await session_on(box, card_slots, client, "cps-pharmacist")
            await control(box, "update_install", {"path": str(bundle)})
            await until(lambda: box.updates.snapshot().reboot_held_by == ["apcv_session"],
                        what="held by the session")
            held = await control(box, "update_reboot", {})
            assert held["reboot_held_by"] == ["apcv_session"] and not request.exists()
            forced = await control(box, "update_reboot", {"force": True})
            assert forced["state"] == "rebooting" and request.exists()
    await asyncio.to_thread(card_slots.remove, 1, wait=True)


async def installed_then_stopped(rauc_box, tmp_path, monkeypatch) -> Path:
    """A box that installed 1.1.0 and asked for its reboot, stopped; the pending record."""
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    monkeypatch.setattr("borne.update.service.read_boot_id", lambda: "boot-1")
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        await control(box, "update_install", {"path": str(bundle)})
        await until(lambda: box.updates.snapshot().state == "rebooting", what="rebooting")
    pending = tmp_path / "data" / "update" / "pending.json"
    assert pending.exists()
    monkeypatch.setattr("borne.update.service.read_boot_id", lambda: "boot-2")  # the reboot
    (tmp_path / "run" / REBOOT_REQUEST).unlink()  # /run is a tmpfs: gone with the reboot
    return pending


async def test_the_tried_system_is_committed_by_borne_update_commit(
        rauc_box, tmp_path, sim_pcscd, monkeypatch):
    pending = await installed_then_stopped(rauc_box, tmp_path, monkeypatch)
    # The firmware tries B. The daemon starts on trial; `borne update commit` (the daemon
    # ready, the system's checks passing) marks B good; the daemon says so, once.
    await asyncio.to_thread(rauc_box.reboot, "B")
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        status = box.updates.snapshot()
        assert (status.state, status.system_version, status.booted_slot) == ("trial", "1.1.0", "B")
        checks = [("daemon", "ok"), ("api", "ok"), ("pcscd", "fail")]  # a reader never blocks
        result = await commit_after_boot(
            address=rauc_box.address, deadline_s=10, poll_s=0.2,
            ready=lambda: call(box.config.control_socket, "ping")["ready"],
            checks=lambda: [Check(n, s, "fr", "en", "fix", "fix", code="ok" if s == "ok" else "pcscd_down") for n, s in checks],
            reboot=lambda: pytest.fail("a healthy system is never rebooted"), say=lambda _: None)
        assert (result.outcome, result.slot) == ("committed", "rootfs.1")
        await until(lambda: box.updates.snapshot().state == "committed", timeout=10)
        assert update_events(box) == [("update.committed", {"version": "1.1.0"})]
    assert not pending.exists()
    assert rauc_box.boot_state()["all"] == "B"  # every boot starts B now
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:  # said once
        assert box.updates.snapshot().state == "idle" and update_events(box) == []


async def test_a_tried_system_not_committed_is_reported_rolled_back(
        rauc_box, tmp_path, sim_pcscd, monkeypatch):
    pending = await installed_then_stopped(rauc_box, tmp_path, monkeypatch)
    # B's daemon never got ready: marked bad, and the firmware boots A again.
    await asyncio.to_thread(rauc_box.reboot, "A")
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            status = (await client.status())["update"]
        assert (status["state"], status["system_version"], status["booted_slot"]) == \
            ("rolled_back", "1.0.0", "A")
        assert update_events(box) == [("update.rolled_back",
                                       {"version": "1.1.0", "back_to": "1.0.0"})]
    assert not pending.exists()


async def test_a_system_that_never_gets_ready_is_marked_bad_and_rebooted(rauc_box, tmp_path,
                                                                          monkeypatch):
    await installed_then_stopped(rauc_box, tmp_path, monkeypatch)
    await asyncio.to_thread(rauc_box.reboot, "B")
    reboots = []
    result = await commit_after_boot(
        address=rauc_box.address, deadline_s=1.0, poll_s=0.2, ready=lambda: False,
        checks=lambda: pytest.fail("no checks before the daemon is ready"),
        reboot=lambda: reboots.append("reboot"), say=lambda _: None)
    assert (result.outcome, result.slot) == ("rolled_back", "rootfs.1")
    assert result.reasons == ("daemon: not ready (READY=1 never sent)",)
    assert reboots == ["reboot"]
    assert rauc_box.boot_state()["mark_B"] == "bad" and rauc_box.boot_state()["all"] == "A"


async def test_a_system_whose_api_fails_is_not_committed(rauc_box, tmp_path, monkeypatch):
    await installed_then_stopped(rauc_box, tmp_path, monkeypatch)
    await asyncio.to_thread(rauc_box.reboot, "B")
    result = await commit_after_boot(
        address=rauc_box.address, deadline_s=0.5, poll_s=0.1, ready=lambda: True,
        checks=lambda: [Check("daemon", "ok", "fr", "en"),
                        Check("api", "fail", "fr", "en", "fix", "fix", code="api_error")],
        reboot=lambda: None, say=lambda _: None)
    assert result.outcome == "rolled_back" and result.reasons == ("api: api_error",)


async def test_borne_update_commit_judges_the_running_box_with_the_doctors_checks(
        rauc_box, tmp_path, monkeypatch):
    """The command itself, as borne-update-commit.service runs it: the real checks of
    `borne doctor` against the running box. This box has no pcscd and no reader at all
    (nothing a pharmacy's update should be rolled back for): it is committed."""
    from borne.cli.main import main

    from support.sections import merged, simulated_box, toml_text

    await installed_then_stopped(rauc_box, tmp_path, monkeypatch)
    await asyncio.to_thread(rauc_box.reboot, "B")
    sections = merged(simulated_box(tmp_path), {
        "api": {"host": "127.0.0.1", "port": 0}, "update": rauc_box.update_section()})
    config = tmp_path / "borne.toml"
    config.write_text(toml_text(sections))
    async with running_box(tmp_path, update=rauc_box.update_section()) as box:
        assert box.updates.snapshot().state == "trial"
        code = await asyncio.to_thread(main, ["update", "commit", "--config", str(config)])
        assert code == 0
        assert not (tmp_path / "run" / "reboot-request").exists()  # healthy: no reboot
        await until(lambda: box.updates.snapshot().state == "committed", timeout=10)
        from borne.cli.doctor import run_checks

        (line,) = [c for c in await asyncio.to_thread(run_checks, str(config))
                   if c.name == "update"]
        assert line.detail("en") == "system 1.1.0, slot B; update: committed"
    assert rauc_box.boot_state()["all"] == "B"  # every boot starts B now


async def test_the_box_commands_status_install_reboot(rauc_box, tmp_path, capsys):
    """`borne update status|install|reboot` as the person at the box types them."""
    from borne.cli.main import main

    from support.sections import merged, simulated_box, toml_text

    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    older = await asyncio.to_thread(rauc_box.bundle, "0.9.0")
    config = tmp_path / "borne.toml"
    config.write_text(toml_text(merged(simulated_box(tmp_path), {
        "api": {"enabled": False}, "update": rauc_box.update_section()})))

    def borne(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--config", str(config), "--lang", "en"])
        out = capsys.readouterr()
        return code, out.out, out.err

    async with running_box(tmp_path, api={"enabled": False}, update=rauc_box.update_section()) as box:
        code, out, _ = await asyncio.to_thread(borne, "update", "status")
        assert (code, out) == (0, "System 1.0.0 (slot A); update: idle\n")
        code, _, err = await asyncio.to_thread(borne, "update", "install", str(older))
        assert code == 2 and err.strip().endswith("[update_downgrade_refused]")
        code, out, _ = await asyncio.to_thread(borne, "update", "install", str(bundle))
        assert code == 0 and out.startswith("Bundle 1.1.0 verified")
        await until(lambda: box.updates.snapshot().state == "rebooting", what="rebooting")
        code, out, _ = await asyncio.to_thread(borne, "update", "status")
        assert out.splitlines() == ["System 1.0.0 (slot A); update: rebooting",
                                    "Pending version: 1.1.0 (100%)"]
        code, out, _ = await asyncio.to_thread(borne, "update", "reboot", "--force")
        assert code == 0 and out.startswith("Reboot asked for.")


async def test_the_simulated_box_says_updates_are_unavailable(tmp_path):
    async with running_box(tmp_path) as box:  # no RAUC here: [update] is off in simulation
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            status = (await client.status())["update"]
    assert (status["state"], status["last_error"]) == ("unavailable", "update_unavailable")
    assert update_events(box) == []


async def test_the_screen_shows_the_restart_then_the_new_version(rauc_box, tmp_path, sim_pcscd,
                                                                  monkeypatch):
    """luma's dummy panel: "Redémarrage" once the reboot is asked for, then after the boot
    "Version 1.1.0 / Mise à jour réussie", drawn as the service draws them."""
    from borne.display import views as v
    from borne.display.render import render

    def shows(box, view) -> bool:
        shown = box.display.last_image
        expected = render(view, width=128, height=64, mode="1",
                          status=v.StatusStrip(clock_synced=box.clock.wall().synchronised))
        return shown is not None and shown.tobytes() == expected.tobytes()

    screen = {"display": {"device": "dummy:128x64", "retry_s": 0.2}}
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    monkeypatch.setattr("borne.update.service.read_boot_id", lambda: "boot-1")
    async with running_box(tmp_path, update=rauc_box.update_section(), **screen) as box:
        await control(box, "update_install", {"path": str(bundle)})
        await until(lambda: shows(box, v.UpdateView("rebooting", 100, "1.1.0")),
                    what="Redémarrage on the panel")
    monkeypatch.setattr("borne.update.service.read_boot_id", lambda: "boot-2")
    await asyncio.to_thread(rauc_box.reboot, "B")
    async with running_box(tmp_path, update=rauc_box.update_section(), **screen) as box:
        result = await commit_after_boot(
            address=rauc_box.address, deadline_s=10, poll_s=0.2, ready=lambda: True,
            checks=lambda: [], reboot=lambda: None, say=lambda _: None)
        assert result.outcome == "committed"
        await until(lambda: shows(box, v.UpdateView("committed", 100, "1.1.0")),
                    what="the new version on the panel")
