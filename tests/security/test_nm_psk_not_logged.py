"""The Wi-Fi password goes to NetworkManager once, inside the profile, and nowhere else.

Threat: a person at the counter (or anyone reading the box's logs, a support bundle, the
journal) must not learn the pharmacy's Wi-Fi password from the box. Every record of every
logger, at DEBUG (dbus-fast's own included), through each outcome of a join, and each value
the client hands back, is searched for the password.
"""

from __future__ import annotations

import logging
import shutil

import pytest

from borne.network.nm_client import NmClient

from support.nm_bus import WIFI_PATH

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="needs dbus-daemon (Debian package: dbus)")

PSK = "Zq7-secret-of-the-pharmacy"


@pytest.mark.parametrize("outcome, reason", [("succeed", 0), ("fail", 7), ("fail", 53),
                                             ("hang", 0)])
async def test_the_password_is_in_no_log_record_nor_result(nm_mock, caplog, outcome, reason):
    caplog.set_level(logging.DEBUG)
    await nm_mock.add_wifi()
    await nm_mock.give_address(WIFI_PATH, "192.168.43.2", "wifi")
    await nm_mock.next_activation(outcome, reason)
    async with NmClient(nm_mock.address) as nm:
        result = await nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=0.5)
        again = await nm.join("Pharmacie", PSK + "-new", "sae", timeout_s=0.5)
        known = await nm.known()
        state = await nm.state()
        assert await nm.forget(known[0].id)
    await nm_mock.close()
    assert caplog.records, "the client logs its joins"
    for record in caplog.records:
        assert PSK not in record.getMessage(), record.name
        assert PSK not in str(record.args)
    for value in (result, again, known, state):
        assert PSK not in repr(value)


async def test_a_refused_profile_logs_the_error_name_not_the_settings(nm_mock, caplog):
    caplog.set_level(logging.DEBUG)
    await nm_mock.add_wifi()
    # NM refusing the profile, with its settings echoed in the error text (NM does not,
    # but the box must not count on it).
    await nm_mock.call("/org/freedesktop/NetworkManager/Settings", "org.freedesktop.DBus.Mock",
                       "AddMethod", "sssss",
                       ["org.freedesktop.NetworkManager.Settings", "AddConnection",
                        "a{sa{sv}}", "o",
                        "raise dbus.exceptions.DBusException('invalid: ' + repr(args[0]), "
                        "name='org.freedesktop.NetworkManager.Settings.Connection.InvalidProperty')"])
    async with NmClient(nm_mock.address) as nm:
        result = await nm.join("Pharmacie", PSK, "wpa-psk", timeout_s=0.5)
    await nm_mock.close()
    assert (result.ok, result.code) == (False, "network_failed")
    assert any("InvalidProperty" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert PSK not in record.getMessage(), record.name
