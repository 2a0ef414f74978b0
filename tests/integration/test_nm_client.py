"""The box's NetworkManager client against python-dbusmock's NetworkManager on a private bus.

The mock (support.nm_bus) is driven to each outcome of a join; what it received (the
profile's settings, the activation) is read back from its call log.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from borne.network.nm_client import NmClient
from borne.network.nm_results import JoinResult, NmError

from support.nm_bus import ETHERNET_PATH, NM_PATH, SETTINGS_PATH, WIFI_PATH

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="needs dbus-daemon (Debian package: dbus)")

PSK = "correct horse battery"


@pytest.fixture
async def nm(nm_mock):
    client = await NmClient(nm_mock.address).connect()
    yield client
    await client.close()
    await nm_mock.close()


async def test_a_confirmed_network_is_added_then_activated_and_the_address_reported(nm_mock, nm):
    await nm_mock.add_wifi()
    await nm_mock.give_address(WIFI_PATH, "192.168.43.17", "wifi")
    result = await nm.join("Pharmacie", PSK, "wpa-psk", hidden=True, priority=20, timeout_s=5)
    assert result == JoinResult(True, None, "Pharmacie", "192.168.43.17")
    (added,) = await nm_mock.calls(SETTINGS_PATH, "AddConnection")
    settings = added[0]
    assert settings["802-11-wireless"]["ssid"] == b"Pharmacie"
    assert settings["802-11-wireless"]["hidden"] is True
    assert settings["802-11-wireless-security"] == {"key-mgmt": "wpa-psk", "psk": PSK}
    assert settings["connection"]["id"] == "borne-wifi-Pharmacie"
    assert settings["connection"]["autoconnect-priority"] == 20
    assert settings["ipv4"]["route-metric"] == 600
    (connection,) = await nm_mock.connections()
    (activated,) = await nm_mock.calls(NM_PATH, "ActivateConnection")
    assert activated == [connection, WIFI_PATH, "/"]


async def test_an_open_network_is_sent_without_security(nm_mock, nm):
    await nm_mock.add_wifi()
    assert (await nm.join("Mairie", None, "none", timeout_s=5)).ok
    (added,) = await nm_mock.calls(SETTINGS_PATH, "AddConnection")
    assert "802-11-wireless-security" not in added[0]


@pytest.mark.parametrize("reason, code", [(7, "network_wrong_password"),
                                          (11, "network_wrong_password"),
                                          (53, "network_not_found"),
                                          (5, "network_failed")])
async def test_a_failed_activation_reports_its_reason_as_a_stable_code(nm_mock, nm, reason, code):
    await nm_mock.add_wifi()
    await nm_mock.next_activation("fail", reason)
    result = await nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=5)
    assert result == JoinResult(False, code, "Pharmacie")


async def test_the_reason_is_taken_from_the_signal_when_nm_moves_on_to_disconnected(nm_mock, nm):
    await nm_mock.add_wifi()
    await nm_mock.next_activation("hang")
    join = asyncio.create_task(nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=10))
    for _ in range(100):
        if await nm_mock.calls(NM_PATH, "ActivateConnection"):
            break
        await asyncio.sleep(0.05)
    active = await nm_mock.call(NM_PATH, "org.freedesktop.DBus.Properties", "Get", "ss",
                                ["org.freedesktop.NetworkManager", "ActiveConnections"])
    await nm_mock.fail_later(WIFI_PATH, str(active[0].value[-1]), reason=7)
    assert await asyncio.wait_for(join, 5) == JoinResult(False, "network_wrong_password",
                                                         "Pharmacie")


async def test_no_answer_by_the_deadline_is_a_timeout_and_the_activation_is_withdrawn(nm_mock, nm):
    await nm_mock.add_wifi()
    await nm_mock.next_activation("hang")
    result = await nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=0.5)
    assert result == JoinResult(False, "network_timeout", "Pharmacie")
    assert len(await nm_mock.calls(NM_PATH, "DeactivateConnection")) == 1


async def test_a_box_without_wifi_says_so_and_touches_nothing(nm_mock, nm):
    await nm_mock.add_ethernet()
    result = await nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=5)
    assert result == JoinResult(False, "network_no_wifi", "Pharmacie")
    assert await nm_mock.connections() == []


async def test_one_profile_per_ssid_a_new_code_updates_it_in_place(nm_mock, nm):
    await nm_mock.add_wifi()
    assert (await nm.join("Pharmacie", "old password", "wpa-psk", priority=1, timeout_s=5)).ok
    (first,) = await nm.known()
    assert (await nm.join("Pharmacie", "new password", "sae", priority=7, timeout_s=5)).ok
    (connection,) = await nm_mock.connections()
    (update,) = await nm_mock.calls(connection, "Update")
    assert update[0]["802-11-wireless-security"]["psk"] == "new password"
    assert update[0]["802-11-wireless-security"]["key-mgmt"] == "sae"
    (second,) = await nm.known()
    assert second.id == first.id and second.priority == 7


async def test_known_lists_wifi_profiles_by_priority_and_forget_deletes_one(nm_mock, nm):
    from dbus_fast import Variant

    await nm_mock.add_wifi()
    await nm_mock.call(SETTINGS_PATH, "org.freedesktop.NetworkManager.Settings", "AddConnection",
                       "a{sa{sv}}", [{"connection": {"id": Variant("s", "Wired connection 1"),
                                                     "uuid": Variant("s", "wired-uuid"),
                                                     "type": Variant("s", "802-3-ethernet"),
                                                     "autoconnect": Variant("b", False)}}])
    assert (await nm.join("Hotspot Infirmière", "motdepasse", "wpa-psk", priority=5,
                          timeout_s=5)).ok
    assert (await nm.join("Pharmacie", PSK, "wpa-psk", priority=10, timeout_s=5)).ok
    known = await nm.known()
    assert [(n.ssid, n.priority, n.autoconnect, n.active) for n in known] == [
        ("Pharmacie", 10, True, True), ("Hotspot Infirmière", 5, True, True)]
    assert await nm.forget("wired-uuid") is False
    assert await nm.forget("no-such-uuid") is False
    assert await nm.forget(known[1].id) is True
    assert [n.ssid for n in await nm.known()] == ["Pharmacie"]
    assert len(await nm_mock.connections()) == 2  # the wired profile is still there
    for connection in await nm_mock.connections():
        assert await nm_mock.calls(connection, "GetSecrets") == []


async def test_state_reports_the_cable_first_then_the_wifi_network_and_its_signal(nm_mock, nm):
    await nm_mock.add_wifi(state=100)
    await nm_mock.add_access_point(WIFI_PATH, "Pharmacie", strength=63)
    await nm_mock.give_address(WIFI_PATH, "192.168.1.40", "wifi")
    state = await nm.state()
    assert (state.ethernet, state.wifi_ssid, state.signal, state.address) == (
        False, "Pharmacie", 63, "192.168.1.40")
    await nm_mock.add_ethernet(state=100)
    await nm_mock.give_address(ETHERNET_PATH, "10.0.0.5", "wired")
    state = await nm.state()
    assert (state.ethernet, state.wifi_ssid, state.address) == (True, "Pharmacie", "10.0.0.5")


async def test_no_networkmanager_bus_is_an_error_named_no_bus(tmp_path):
    with pytest.raises(NmError) as refused:
        await NmClient(f"unix:path={tmp_path / 'nothing'}").connect()
    assert refused.value.name == "no_bus"


async def test_two_joins_at_once_run_one_after_the_other(nm_mock, nm):
    await nm_mock.add_wifi()
    first, second = await asyncio.gather(
        nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=5),
        nm.join("Hotspot", "motdepasse", "wpa-psk", timeout_s=5))
    assert first.ok and second.ok
    assert sorted(n.ssid for n in await nm.known()) == ["Hotspot", "Pharmacie"]
    # NM would let the second activation cut the first short: they must not interleave
    assert nm_mock.call_order("AddConnection", "ActivateConnection") == [
        "AddConnection", "ActivateConnection", "AddConnection", "ActivateConnection"]
