"""The update service against a real RAUC (support.rauc_box): vetting, install, the boot after.

RAUC runs for real on a private D-Bus with loop-device slots; bundles are real, signed,
``format=plain`` (no device-mapper here; the image ships ``verity``). The daemon's part
is driven directly here; ``test_update_box.py`` drives it through the running box.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from borne.events import EventBus
from borne.runtime.clock import Clock
from borne.update.errors import UpdateRefused
from borne.update.reboot_gate import REBOOT_REQUEST
from borne.update.service import UpdateService
from borne.update.settings import UpdateConfig

from support.rauc_box import RaucBox, make_signer


class OpenGate:
    """Nothing holds the reboot (the gate itself is tested with the running box)."""

    held: list[str] = []

    def held_by(self) -> list[str]:
        return list(self.held)


def service(rauc_box: RaucBox, tmp_path: Path, bus: EventBus, boot: str = "boot-1",
            gate: OpenGate | None = None) -> UpdateService:
    config = UpdateConfig(enabled="on", dbus_address=rauc_box.address,
                          release_file=str(rauc_box.release_file))
    return UpdateService(config, bus=bus, data_dir=tmp_path / "data",
                         runtime_dir=tmp_path / "run", gate=gate or OpenGate(),
                         this_boot=lambda: boot)


def types(bus: EventBus) -> list[tuple[str, dict]]:
    return [(e.type, e.to_dict()["data"]) for e in bus.history()]


async def wait_state(updates: UpdateService, *states: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while updates.snapshot().state not in states:
        assert asyncio.get_running_loop().time() < deadline, updates.snapshot()
        await asyncio.sleep(0.05)


async def test_a_newer_bundle_is_installed_then_committed_after_its_boot(rauc_box, tmp_path):
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus)
    await updates.start()
    status = updates.snapshot()
    assert (status.state, status.system_version, status.booted_slot) == ("idle", "1.0.0", "A")
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")

    info = await updates.install(bundle, origin="file", actor="box")
    assert (info.version, info.compatible) == ("1.1.0", "borne-test")
    await wait_state(updates, "rebooting")  # nothing holds it: the request is written
    assert (tmp_path / "run" / REBOOT_REQUEST).exists()
    seen = types(bus)
    assert seen[0] == ("update.available", {"version": "1.1.0", "origin": "file"})
    assert ("update.installed", {"version": "1.1.0"}) in seen
    progress = [d["percent"] for t, d in seen if t == "update.progress" and d["step"] == "installing"]
    assert progress[0] == 0 and progress[-1] == 100 and progress == sorted(progress)
    assert seen[-1] == ("update.progress", {"percent": 100, "step": "rebooting"})
    assert rauc_box.boot_state()["pending"] == "1" and rauc_box.boot_state()["try"] == "B"
    await updates.stop()

    # The box boots B: on trial until `borne update commit` marks it good.
    assert await asyncio.to_thread(rauc_box.reboot, "B") == "1.1.0"
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus, boot="boot-2")
    await updates.start()
    status = updates.snapshot()
    assert (status.state, status.system_version, status.booted_slot, status.pending_version) \
        == ("trial", "1.1.0", "B", "1.1.0")
    # On trial, A is the only system known to work: no install may overwrite it.
    with pytest.raises(UpdateRefused) as refused:
        await updates.install(await asyncio.to_thread(rauc_box.bundle, "1.2.0"), origin="api",
                              actor="admin-1")
    assert refused.value.code == "update_busy" and updates.snapshot().state == "trial"
    from borne.update.rauc import RaucClient

    async with RaucClient(rauc_box.address) as rauc:
        await rauc.mark("good", "booted")
    await wait_state(updates, "committed", timeout=10)
    assert [t for t, _ in types(bus)] == ["update.refused", "update.committed"]
    assert not (tmp_path / "data" / "update" / "pending.json").exists()
    await updates.stop()

    # Published once: the next start says nothing.
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus, boot="boot-3")
    await updates.start()
    assert updates.snapshot().state == "idle" and types(bus) == []
    await updates.stop()


async def test_a_boot_back_on_the_old_slot_is_a_rollback(rauc_box, tmp_path):
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus)
    await updates.start()
    await updates.install(await asyncio.to_thread(rauc_box.bundle, "1.1.0"), origin="usb",
                          actor="usb")
    await wait_state(updates, "rebooting")
    await updates.stop()
    # The tried boot was never committed: the firmware boots A again.
    assert await asyncio.to_thread(rauc_box.reboot, "A") is None  # A was never written here
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus, boot="boot-2")
    await updates.start()
    assert updates.snapshot().state == "rolled_back"
    assert types(bus) == [("update.rolled_back", {"version": "1.1.0", "back_to": "1.0.0"})]
    await updates.stop()


@pytest.mark.parametrize("case, code", [
    ("other_key", "update_bad_signature"), ("tampered", "update_bad_signature"),
    ("other_compatible", "update_wrong_compatible"), ("downgrade", "update_downgrade_refused"),
    ("same_version", "update_downgrade_refused"), ("not_a_bundle", "update_invalid_bundle")])
async def test_a_bad_bundle_is_refused_with_its_code_and_nothing_is_written(
        rauc_box, tmp_path, case, code):
    if case == "other_key":
        bundle = rauc_box.bundle("1.1.0", signer=make_signer(tmp_path / "k", "stranger"))
    elif case == "tampered":
        bundle = rauc_box.bundle("1.1.0")
        data = bytearray(bundle.read_bytes())
        data[5000] ^= 0x01  # a byte of the root image, under the signature
        bundle.write_bytes(bytes(data))
    elif case == "other_compatible":
        bundle = rauc_box.bundle("1.1.0", compatible="another-box")
    elif case in ("downgrade", "same_version"):
        bundle = rauc_box.bundle("0.9.0" if case == "downgrade" else "1.0")
    else:
        bundle = tmp_path / "bundle.raucb"
        bundle.write_bytes(b"hsqs not really a bundle" * 100)
    before = {slot: rauc_box.slot_digest(slot) for slot in ("A", "B")}
    boot_before = rauc_box.boot_state()
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus)
    await updates.start()
    with pytest.raises(UpdateRefused) as refused:
        await updates.install(bundle, origin="api", actor="client-1")
    assert refused.value.code == code
    await asyncio.sleep(0.3)
    assert {slot: rauc_box.slot_digest(slot) for slot in ("A", "B")} == before
    assert rauc_box.boot_state() == boot_before
    event = types(bus)[-1]
    assert event[0] == "update.refused" and event[1]["code"] == code
    assert event[1]["origin"] == "api"
    status = updates.snapshot()
    assert (status.state, status.last_error) == ("idle", code)
    await updates.stop()


async def test_a_downgrade_an_admin_allows_is_installed(rauc_box, tmp_path):
    updates = service(rauc_box, tmp_path, EventBus(Clock()))
    await updates.start()
    info = await updates.install(await asyncio.to_thread(rauc_box.bundle, "0.9.0"),
                                 origin="api", actor="admin-1", allow_downgrade=True)
    assert info.version == "0.9.0"
    await wait_state(updates, "rebooting")
    await updates.stop()


async def test_a_second_install_while_one_runs_is_busy(rauc_box, tmp_path):
    updates = service(rauc_box, tmp_path, EventBus(Clock()))
    await updates.start()
    first = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    second = await asyncio.to_thread(rauc_box.bundle, "1.2.0")
    await updates.install(first, origin="file", actor="box")
    with pytest.raises(UpdateRefused) as refused:
        await updates.install(second, origin="file", actor="box")
    assert refused.value.code == "update_busy"
    await wait_state(updates, "rebooting")
    await updates.stop()


async def test_without_rauc_the_service_says_unavailable(tmp_path):
    config = UpdateConfig(enabled="auto", dbus_address=f"unix:path={tmp_path / 'no-bus'}")
    updates = UpdateService(config, bus=EventBus(Clock()), data_dir=tmp_path, runtime_dir=tmp_path,
                            gate=OpenGate())
    await updates.start()
    status = updates.snapshot()
    assert (status.state, status.last_error) == ("unavailable", "update_unavailable")
    with pytest.raises(UpdateRefused) as refused:
        await updates.install(tmp_path / "x.raucb", origin="file", actor="box")
    assert refused.value.code == "update_unavailable"
    await updates.stop()


async def test_the_running_system_is_named_before_rauc_answers(tmp_path):
    # The control socket answers while the daemon's other parts start: its status must
    # already say which system runs (the image check read "None" there once).
    release = tmp_path / "borne-release"
    release.write_text("VERSION=2.3.4\nCOMPATIBLE=borne-rpi\n")
    config = UpdateConfig(enabled="auto", dbus_address=f"unix:path={tmp_path / 'no-bus'}",
                          release_file=str(release))
    updates = UpdateService(config, bus=EventBus(Clock()), data_dir=tmp_path, runtime_dir=tmp_path,
                            gate=OpenGate())
    assert (updates.snapshot().system_version, updates.snapshot().state) == ("2.3.4", "unavailable")
    await updates.start()
    assert updates.snapshot().system_version == "2.3.4"
    await updates.stop()


async def test_a_power_cut_during_the_install_leaves_the_old_system_and_a_new_install_works(
        rauc_box, tmp_path):
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus)
    await updates.start()
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    rauc_box.slow_bootloader()
    await updates.install(bundle, origin="file", actor="box")
    deadline = asyncio.get_running_loop().time() + 20
    while not rauc_box.bootloader_waiting():  # RAUC is marking B non-bootable: mid-install
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    assert updates.snapshot().state == "installing"
    with pytest.raises(UpdateRefused) as refused:  # not even forced: it would waste the install
        await updates.request_reboot(actor="admin-1", force=True)
    assert refused.value.code == "update_busy"
    assert not (tmp_path / "run" / REBOOT_REQUEST).exists()
    rauc_box.slow_bootloader(False)
    # The power goes: RAUC dies mid-install; the box comes back on A, its committed slot.
    assert await asyncio.to_thread(rauc_box.reboot, "A") is None
    await wait_state(updates, "failed")
    assert updates.snapshot().last_error == "update_failed"
    assert types(bus)[-1] == ("update.refused", {"code": "update_failed", "origin": "file",
                                                 "version": "1.1.0"})
    assert not (tmp_path / "run" / REBOOT_REQUEST).exists()
    assert rauc_box.boot_state()["all"] == "A" and rauc_box.boot_state().get("pending") == "0"
    await updates.stop()

    updates = service(rauc_box, tmp_path, EventBus(Clock()), boot="boot-2")
    await updates.start()
    assert updates.snapshot().state == "idle"
    await updates.install(bundle, origin="file", actor="box")
    await wait_state(updates, "rebooting")
    assert rauc_box.slot_release("B").startswith("VERSION=1.1.0")
    await updates.stop()


async def test_a_bundle_larger_than_the_slot_fails_with_no_space(rauc_box, tmp_path):
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus)
    await updates.start()
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0", root_mb=16)  # slots hold 8
    await updates.install(bundle, origin="api", actor="admin-1")
    await wait_state(updates, "failed")
    assert updates.snapshot().last_error == "update_no_space"
    assert types(bus)[-1] == ("update.refused", {"code": "update_no_space", "origin": "api",
                                                 "version": "1.1.0"})
    assert not (tmp_path / "run" / REBOOT_REQUEST).exists()
    assert rauc_box.boot_state().get("pending") == "0"  # B is never tried
    await updates.stop()


async def test_an_install_on_a_low_battery_is_refused_before_anything_is_written(
        rauc_box, tmp_path):
    gate = OpenGate()
    gate.held = ["battery_low"]
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus, gate=gate)
    await updates.start()
    bundle = await asyncio.to_thread(rauc_box.bundle, "1.1.0")
    before = rauc_box.slot_digest("B")
    with pytest.raises(UpdateRefused) as refused:
        await updates.install(bundle, origin="usb", actor="usb")
    assert refused.value.code == "update_battery_low"
    assert rauc_box.slot_digest("B") == before
    assert types(bus) == [("update.refused", {"code": "update_battery_low", "origin": "usb"})]
    await updates.stop()


async def test_a_daemon_restarted_before_the_reboot_asks_for_it_again(rauc_box, tmp_path):
    updates = service(rauc_box, tmp_path, EventBus(Clock()))
    await updates.start()
    await updates.install(await asyncio.to_thread(rauc_box.bundle, "1.1.0"), origin="file",
                          actor="box")
    await wait_state(updates, "rebooting")
    await updates.stop()
    request = tmp_path / "run" / REBOOT_REQUEST
    request.unlink()  # the daemon restarted (systemd), the box did not reboot: same boot id
    gate = OpenGate()
    gate.held = ["apcv_session"]
    bus = EventBus(Clock())
    updates = service(rauc_box, tmp_path, bus, gate=gate)
    await updates.start()
    status = updates.snapshot()
    assert (status.state, status.pending_version, status.reboot_held_by) == \
        ("installed", "1.1.0", ["apcv_session"])
    gate.held = []
    await wait_state(updates, "rebooting")
    assert request.exists() and [t for t, _ in types(bus)] == ["update.progress"]
    await updates.stop()


async def test_a_refusal_leaves_the_state_it_found(rauc_box, tmp_path):
    gate = OpenGate()
    gate.held = ["apcv_session"]  # the reboot waits: the state stays "installed"
    updates = service(rauc_box, tmp_path, EventBus(Clock()), gate=gate)
    await updates.start()
    await updates.install(await asyncio.to_thread(rauc_box.bundle, "1.1.0"), origin="file",
                          actor="box")
    await wait_state(updates, "installed")
    with pytest.raises(UpdateRefused):
        await updates.install(await asyncio.to_thread(rauc_box.bundle, "0.9.0"), origin="usb",
                              actor="usb")
    status = updates.snapshot()
    assert (status.state, status.pending_version, status.reboot_held_by) == \
        ("installed", "1.1.0", ["apcv_session"])
    await updates.stop()
