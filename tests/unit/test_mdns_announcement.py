"""What the box announces and where: names, the TXT allow-list, addresses, the [mdns] settings."""

from __future__ import annotations

import pytest

from borne.config import parse_config
from borne.errors import ConfigError
from borne.mdns.announcement import (TXT_KEYS, Interface, announce_addresses, box_name, check_txt, lan_facing,
                        txt_record)

FINGERPRINT = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

INTERFACES = [Interface("lo", ("127.0.0.1",)), Interface("wlan0", ("192.0.2.10",)),
              Interface("usb0", ("169.254.3.4", "198.51.100.7")), Interface("eth0", ())]


def test_the_name_comes_from_the_ca_not_from_the_machine():
    assert box_name(FINGERPRINT) == "borne-9f86d081"
    assert box_name(FINGERPRINT.upper()) == "borne-9f86d081"
    assert box_name(FINGERPRINT, "comptoir-2") == "comptoir-2"


def test_the_txt_record_holds_exactly_the_allowed_keys():
    txt = txt_record(api_level=1, ca_sha256=FINGERPRINT.upper())
    assert list(txt) == list(TXT_KEYS)
    assert txt == {"txtvers": "1", "api": "1", "openapi": "/openapi.json", "ca_sha256": FINGERPRINT}
    with pytest.raises(ValueError, match="64 hex"):
        txt_record(api_level=1, ca_sha256="Pharmacie Dupont")


def test_a_key_outside_the_allow_list_is_refused():
    with pytest.raises(ValueError, match="pharmacy"):
        check_txt({"api": "1", "pharmacy": "Dupont"})
    assert check_txt({"api": "1"}) == {"api": "1"}


@pytest.mark.parametrize("wanted, host, addresses, reason", [
    ([], "0.0.0.0", ["169.254.3.4", "192.0.2.10", "198.51.100.7"], None),
    ([], "", ["169.254.3.4", "192.0.2.10", "198.51.100.7"], None),
    (["wlan0"], "::", ["192.0.2.10"], None),
    (["lo"], "0.0.0.0", ["127.0.0.1"], None),                   # loopback only when named
    (["eth0"], "0.0.0.0", [], "no IPv4 address on eth0"),
    (["nosuch0"], "0.0.0.0", [], "no IPv4 address on nosuch0"),
    ([], "192.0.2.10", ["192.0.2.10"], None),                   # the API's own address only
    ([], "203.0.113.9", [], "the API listens on 203.0.113.9, not an address of any interface "
                            "but loopback"),
])
def test_the_addresses_announced(wanted, host, addresses, reason):
    assert announce_addresses(INTERFACES, wanted, host) == (addresses, reason)


def test_only_loopback_means_nothing_to_announce():
    assert announce_addresses([Interface("lo", ("127.0.0.1",))], [], "0.0.0.0") == (
        [], "no IPv4 address on any interface but loopback")


def test_an_api_on_loopback_is_not_lan_facing():
    assert not lan_facing("127.0.0.1") and not lan_facing("::1") and not lan_facing("localhost")
    assert lan_facing("0.0.0.0") and lan_facing("") and lan_facing("192.0.2.10")
    assert lan_facing("borne.example")


def test_mdns_settings_default_and_refusals():
    config = parse_config({})
    assert (config.mdns.enabled, config.mdns.name, config.mdns.interfaces) == (True, "", [])
    assert parse_config({"mdns": {"name": "comptoir-2", "interfaces": ["wlan0"]}}).mdns.name \
        == "comptoir-2"
    for section, key in (({"name": "Pharmacie Dupont"}, "mdns.name"),
                         ({"name": "-x"}, "mdns.name"),
                         ({"name": "a" * 64}, "mdns.name"),
                         ({"interfaces": [""]}, "mdns.interfaces"),
                         ({"interfaces": ["a-very-long-interface"]}, "mdns.interfaces"),
                         ({"recheck_s": 0}, "mdns.recheck_s"),
                         ({"enable": True}, "mdns.enable")):
        with pytest.raises(ConfigError) as refused:
            parse_config({"mdns": section})
        assert refused.value.details.get("key") == key, section
