"""The simulator's phone writes the Wi-Fi code the box's parser reads back exactly."""

from __future__ import annotations

import pytest

from borne.network.wifi_code import parse_wifi
from borne.sim.wifi_share import phone_wifi_code


@pytest.mark.parametrize("ssid,password,security,hidden", [
    ("Pharmacie du Port", "Zq7-mot;de:passe", "wpa", False),
    ('Chez "moi", à\\côté', 'a,b;c:d\\e"f', "sae", True),
    ("Hotspot de l'infirmière", None, "open", False),
])
def test_the_code_parses_back_to_the_same_network(ssid, password, security, hidden):
    code = phone_wifi_code(ssid, password, security=security, hidden=hidden)
    credentials = parse_wifi(code)
    assert credentials.ssid == ssid and credentials.password == password
    assert credentials.security == {"wpa": "wpa-psk", "sae": "sae", "open": "open"}[security]
    assert credentials.hidden is hidden


def test_special_characters_are_escaped_as_phones_do():
    assert phone_wifi_code("a;b", "p:ss,w\\rd", security="wpa") == \
        "WIFI:T:WPA;S:a\\;b;P:p\\:ss\\,w\\\\rd;;"


def test_an_open_network_has_no_password_field_and_a_password_needs_security():
    assert phone_wifi_code("Libre", None, security="open") == "WIFI:T:nopass;S:Libre;;"
    with pytest.raises(ValueError):
        phone_wifi_code("Libre", "secret123", security="open")
    with pytest.raises(ValueError):
        phone_wifi_code("Ferme", None, security="wpa")
