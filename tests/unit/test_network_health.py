"""``borne doctor``'s line on the network, from the daemon's ``network`` status
(borne.health.network)."""

from __future__ import annotations

import msgspec

from borne.health import check_network
from borne.network.status import NetworkStatus, network_off


def status(state: str, **fields: object) -> dict:
    values = {"detail": None, "ethernet": False, "ssid": None, "signal": None, "address": None,
              "pending_ssid": None, **fields}
    return msgspec.to_builtins(NetworkStatus(state=state, **values))


def test_off_says_nothing():
    assert check_network(None) is None
    assert check_network(msgspec.to_builtins(network_off())) is None


def test_networkmanager_unreachable_is_the_device_checks_to_say():
    assert check_network(status("unavailable", detail="no system bus")) is None


def test_offline_says_how_to_join():
    check = check_network(status("offline"))
    assert (check.name, check.status, check.code) == ("network_link", "warn", "network_offline")
    assert "Wi-Fi code" in check.fix_en and "code Wi-Fi" in check.fix_fr


def test_a_cable_and_a_wifi_network():
    check = check_network(status("ethernet", ethernet=True, address="192.168.1.20"))
    assert (check.status, check.detail_en) == ("ok", "Ethernet cable, address 192.168.1.20")
    check = check_network(status("wifi", ssid="Pharmacie", signal=70, address="192.168.43.17"))
    assert (check.status, check.detail_en) == ("ok", 'Wi-Fi "Pharmacie" (signal 70%), '
                                                     'address 192.168.43.17')
    assert check.detail_fr == "Wi-Fi « Pharmacie » (signal 70 %), adresse 192.168.43.17"


def test_a_weak_signal_is_a_warning():
    check = check_network(status("wifi", ssid="Pharmacie", signal=15, address="10.0.0.2"))
    assert (check.status, check.code) == ("warn", "network_weak_signal")


def test_a_code_waiting_for_the_button_is_said_and_an_ssid_cannot_drive_the_terminal():
    check = check_network(status("wifi", ssid="Bad\x1b[2J", signal=80, address="10.0.0.2",
                                 pending_ssid="Salle"))
    assert "\x1b" not in check.detail_en and "\\x1b" in check.detail_en
    assert 'Wi-Fi code "Salle" waiting for the button' in check.detail_en
