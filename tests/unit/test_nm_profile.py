"""The Wi-Fi profile the box gives NetworkManager, and how NetworkManager's failures read."""

from __future__ import annotations

import pytest

from borne.network.nm_profile import (PROFILE_PREFIX, WIFI_ROUTE_METRIC, profile_name,
                                      wifi_profile)
from borne.network.nm_reasons import (NETWORK_FAILED, NETWORK_NOT_FOUND,
                                      NETWORK_WRONG_PASSWORD, failure_code)


def test_a_wpa_profile_carries_ssid_bytes_key_management_psk_and_priority():
    profile = wifi_profile("Pharmacie", "correct horse", "wpa-psk", hidden=False, priority=20,
                           uuid="u-1")
    assert profile["connection"] == {"id": ("s", "borne-wifi-Pharmacie"), "uuid": ("s", "u-1"),
                                     "type": ("s", "802-11-wireless"),
                                     "autoconnect": ("b", True),
                                     "autoconnect-priority": ("i", 20)}
    assert profile["802-11-wireless"]["ssid"] == ("ay", b"Pharmacie")
    assert profile["802-11-wireless"]["hidden"] == ("b", False)
    assert profile["802-11-wireless"]["mode"] == ("s", "infrastructure")
    assert profile["802-11-wireless-security"] == {"key-mgmt": ("s", "wpa-psk"),
                                                   "psk": ("s", "correct horse")}


def test_a_wpa3_hidden_profile_says_sae_and_hidden():
    profile = wifi_profile("Cabinet", "motdepasse1", "sae", hidden=True, priority=0, uuid="u")
    assert profile["802-11-wireless-security"]["key-mgmt"] == ("s", "sae")
    assert profile["802-11-wireless"]["hidden"] == ("b", True)


def test_an_open_network_has_no_security_section():
    profile = wifi_profile("Mairie", None, "none", hidden=False, priority=0, uuid="u")
    assert "802-11-wireless-security" not in profile
    assert "security" not in profile["802-11-wireless"]


def test_wifi_routes_weigh_more_than_ethernet_so_a_cable_stays_first():
    profile = wifi_profile("X", "12345678", "wpa-psk", hidden=False, priority=0, uuid="u")
    assert WIFI_ROUTE_METRIC == 600
    assert profile["ipv4"] == {"method": ("s", "auto"), "route-metric": ("x", 600)}
    assert profile["ipv6"] == {"method": ("s", "auto"), "route-metric": ("x", 600)}


def test_a_utf8_ssid_is_sent_as_its_bytes_and_named_after_it():
    profile = wifi_profile("Café 🏥", "12345678", "wpa-psk", hidden=False, priority=0, uuid="u")
    assert profile["802-11-wireless"]["ssid"] == ("ay", "Café 🏥".encode())
    assert profile_name("Café 🏥") == PROFILE_PREFIX + "Café 🏥"


@pytest.mark.parametrize("key_mgmt, password", [("wpa-psk", None), ("sae", None),
                                                ("none", "secret12"), ("wep", "12345")])
def test_inconsistent_or_unknown_security_is_refused(key_mgmt, password):
    with pytest.raises(ValueError) as refused:
        wifi_profile("X", password, key_mgmt, hidden=False, priority=0, uuid="u")
    assert "secret12" not in str(refused.value)


def test_the_password_is_in_no_error_text_of_a_bad_ssid():
    with pytest.raises(ValueError) as refused:
        wifi_profile("x" * 33, "hunter2hunter2", "wpa-psk", hidden=False, priority=0, uuid="u")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize("reason, code", [
    (7, NETWORK_WRONG_PASSWORD),    # NO_SECRETS: the handshake failed, NM asked for new secrets
    (11, NETWORK_WRONG_PASSWORD),   # SUPPLICANT_TIMEOUT: no handshake completed in time
    (53, NETWORK_NOT_FOUND),        # SSID_NOT_FOUND
    (0, NETWORK_FAILED), (4, NETWORK_FAILED), (5, NETWORK_FAILED), (9999, NETWORK_FAILED),
])
def test_device_state_reasons_become_stable_codes(reason, code):
    assert failure_code(reason) == code


def test_each_network_code_is_in_the_catalogue_with_the_same_words():
    from borne.error_catalogue import CATALOGUE
    from borne.network.nm_reasons import WORDS_BY_CODE

    for code, (french, english) in WORDS_BY_CODE.items():
        message = CATALOGUE[code].message
        assert (message.fr, message.en) == (french, english), code


@pytest.mark.parametrize("priority", [-1000, 1000])
def test_a_priority_outside_nms_range_is_refused(priority):
    # connection.autoconnect-priority is -999..999 (nm-settings-dbus)
    with pytest.raises(ValueError):
        wifi_profile("X", "12345678", "wpa-psk", hidden=False, priority=priority, uuid="u")
