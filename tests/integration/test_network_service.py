"""A phone's Wi-Fi code before the box's camera, the button, NetworkManager: the whole daemon.

The box runs with the ``images:`` camera twin (frames drawn by ``borne.sim.qr_frames`` with
segno, decoded by the real decoder), luma's dummy screen, gpiozero's mock button pins, and
NetworkManager played by python-dbusmock's template on a private bus (:mod:`support.nm_bus`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

import pytest

from dbus_fast import Variant

from borne.display import views as v
from borne.sim.qr_frames import render_qr_frame
from borne.sim.scanner_keys import type_code

from support.box import running_box
from support.nm_bus import SETTINGS_PATH, WIFI_PATH
from support.waiting import until

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="needs dbus-daemon (Debian package: dbus)")

PASSWORD = "Zq7-mot;de:passe"
CODE = "WIFI:T:WPA;S:Pharmacie du Port;P:Zq7-mot\\;de\\:passe;H:true;;"


@pytest.fixture
async def box(tmp_path, nm_mock):
    await nm_mock.add_wifi()
    await nm_mock.give_address(WIFI_PATH, "192.168.43.17", "wifi")
    camera = tmp_path / "camera"
    camera.mkdir()
    async with running_box(
            tmp_path, readers={"camera": f"images:{camera}",
                               "scanner": f"keylog:{tmp_path / 'scanner.jsonl'}"},
            scanner={"layout": "azerty"},
            display={"device": "dummy:128x64", "retry_s": 0.2},
            panel={"pins": "mock", "long_press_s": 0.3},
            network={"dbus_address": nm_mock.address, "confirm_s": 5, "poll_s": 1}) as daemon:
        daemon.test_camera_dir = camera
        daemon.test_keylog = tmp_path / "scanner.jsonl"
        yield daemon
    await nm_mock.close()


def show(box, payload: str, name: str = "phone") -> None:
    """A phone showing ``payload`` before the camera: the frame appears whole (renamed in),
    as the twin must never read half a file."""
    part = box.test_camera_dir / f".{name}.png"
    render_qr_frame(payload.encode()).save(part, "PNG")
    os.replace(part, box.test_camera_dir / f"{name}.png")


def events(box, kind: str) -> list:
    return [e for e in box.bus.history() if e.type == kind]


async def press(box) -> None:
    await asyncio.to_thread(box.display.panel.press_for_test, 0.05)


async def test_a_code_shown_without_the_button_does_nothing(box, nm_mock):
    show(box, CODE)
    await until(lambda: events(box, "network.offered"), timeout=10)
    (offered,) = events(box, "network.offered")
    assert offered.data.ssid == "Pharmacie du Port" and 0 < offered.data.expires_in_s <= 5
    view = box.display.state.view(box.clock.monotonic())
    assert isinstance(view, v.WifiOfferView) and view.ssid == "Pharmacie du Port"
    await asyncio.sleep(6)  # confirm_s passes
    await press(box)  # too late: the press dismisses, it does not join
    await asyncio.sleep(0.5)
    assert await nm_mock.calls(SETTINGS_PATH, "AddConnection") == []
    assert not events(box, "network.joined") and not events(box, "apcv.presented")


async def test_confirmed_by_the_button_the_box_joins_with_the_right_settings(box, nm_mock, caplog):
    caplog.set_level(logging.DEBUG)
    show(box, CODE)
    await until(lambda: events(box, "network.offered"), timeout=10)
    await press(box)
    await until(lambda: events(box, "network.joined"), timeout=10)
    (joined,) = events(box, "network.joined")
    assert (joined.data.ssid, joined.data.address) == ("Pharmacie du Port", "192.168.43.17")
    (added,) = await nm_mock.calls(SETTINGS_PATH, "AddConnection")
    wireless, security = added[0]["802-11-wireless"], added[0]["802-11-wireless-security"]
    assert wireless["ssid"] == b"Pharmacie du Port" and wireless["hidden"] is True
    assert security == {"key-mgmt": "wpa-psk", "psk": PASSWORD}  # the escapes decoded
    view = box.display.state.view(box.clock.monotonic())
    assert isinstance(view, v.WifiJoinedView) and view.address == "192.168.43.17"
    # Who confirmed, which SSID, when: journaled; the password nowhere.
    await until(lambda: any(e.action == "network join" and e.status == 200
                            for e in box.api_context.audit.entries(limit=100)))
    entries = box.api_context.audit.entries(limit=100)
    assert any(e.client_id == "button" and e.resource == "Pharmacie du Port" for e in entries)
    assert box.network.snapshot().pending_ssid is None
    leaks = [str(e.to_dict()) for e in box.bus.history()] + [repr(e) for e in entries] \
        + [caplog.text]
    assert not any(PASSWORD in text or "Zq7" in text for text in leaks)
    data = box.config.daemon.data_dir
    for path in Path(data).rglob("*"):
        if path.is_file():
            assert b"Zq7" not in path.read_bytes(), path


@pytest.mark.parametrize("outcome, reason, code", [("fail", 7, "network_wrong_password"),
                                                   ("fail", 53, "network_not_found")])
async def test_each_failure_is_on_screen_and_in_an_event(box, nm_mock, outcome, reason, code):
    await nm_mock.next_activation(outcome, reason)
    show(box, CODE)
    await until(lambda: events(box, "network.offered"), timeout=10)
    await press(box)
    await until(lambda: events(box, "network.failed"), timeout=10)
    (failed,) = events(box, "network.failed")
    assert failed.data.code == code and failed.data.ssid == "Pharmacie du Port"
    view = box.display.state.view(box.clock.monotonic())
    assert view == v.ErrorView(code)


async def test_a_wep_code_is_refused_with_its_reason(box, nm_mock):
    show(box, "WIFI:T:WEP;S:Vieux;P:0123456789;;")
    await until(lambda: events(box, "capture.error"), timeout=10)
    (refused,) = events(box, "capture.error")
    assert refused.data.code == "wifi_wep_refused"
    assert not events(box, "network.offered")


async def test_a_code_read_by_the_usb_scanner_is_offered_too(box, nm_mock):
    await until(lambda: box.core.devices.get("scanner", {}).get("state") == "available")
    type_code(box.test_keylog, "WIFI:T:SAE;S:Cabinet infirmier;P:Soins-2026!;;", "azerty")
    await until(lambda: events(box, "network.offered"), timeout=10)
    assert events(box, "network.offered")[0].data.ssid == "Cabinet infirmier"
    await press(box)
    await until(lambda: events(box, "network.joined"), timeout=10)
    (added,) = await nm_mock.calls(SETTINGS_PATH, "AddConnection")
    assert added[0]["802-11-wireless-security"]["key-mgmt"] == "sae"


async def test_the_signal_is_on_the_status_line_and_losing_the_network_is_said(box, nm_mock):
    await nm_mock.add_access_point(WIFI_PATH, "Pharmacie du Port", 70)
    show(box, CODE)
    await until(lambda: events(box, "network.offered"), timeout=10)
    await press(box)
    await until(lambda: box.network.snapshot().ssid == "Pharmacie du Port", timeout=10)
    status = box.network.snapshot()
    assert (status.state, status.signal, status.address) == ("wifi", 70, "192.168.43.17")
    assert box.display.wifi_signal() == 70
    # The access point goes away: the device falls back to DISCONNECTED.
    await nm_mock.call(WIFI_PATH, "org.freedesktop.DBus.Mock", "UpdateProperties", "sa{sv}",
                  ["org.freedesktop.NetworkManager.Device", {"State": Variant("u", 30)}])
    await until(lambda: events(box, "network.lost"), timeout=10)
    assert events(box, "network.lost")[0].data.ssid == "Pharmacie du Port"
    assert box.network.snapshot().state == "offline"
