"""Every value check of the configuration, in one table: the key it names and its exact words.

What an operator reads (``borne doctor``, the daemon's log when it falls back to the
defaults) is ``<reason> (file F, key K)``: the key and the reason are pinned here for
every check, so moving a check (to its section's struct, to its subsystem) cannot
change what the operator is told.
"""

from __future__ import annotations

import msgspec
import pytest

from borne.config import parse_config
from borne.errors import ConfigError

POSITIVE = "must be positive"
APDU = "1 <= default_lease_s <= max_lease_s, channel_grace_s >= 0"
APCV = "a positive duration and at least 1 invoice"
DISK = "0 <= disk_fail_free_mb <= disk_warn_free_mb"
INODES = "0 <= inodes_fail_free <= inodes_warn_free"
PERCENT = "0 <= critical_percent < low_percent <= 100"
LUMA = "expected luma:MODEL:i2c:BUS:ADDRESS or luma:MODEL:spi:PORT:DEVICE"

CHECKS = [
    # [readers.cps]
    ({"readers": {"cps": {"cert_path": "zz"}}}, "readers.cps.cert_path", "not a hex path"),
    ({"readers": {"cps": {"cert_path": "3F00B0"}}}, "readers.cps.cert_path",
     "a path is whole 2-byte file ids"),
    ({"readers": {"cps": {"cert_path": ""}}}, "readers.cps.cert_path",
     "a path is whole 2-byte file ids"),
    # [readers] backend paths, against the registry
    ({"readers": {"smartcard": "pcsx"}}, "readers.smartcard",
     "no smartcard backend named 'pcsx' (known: pcsc, sim)"),
    ({"readers": {"smartcard": "sim:extra"}}, "readers.smartcard",
     "backend 'sim' takes no argument, got 'sim:extra'"),
    ({"readers": {"camera": "images"}}, "readers.camera",
     "backend 'images' needs an argument: images:..."),
    ({"readers": {"camera": "webcam"}}, "readers.camera",
     "no camera backend named 'webcam' (known: images, none, picamera2)"),
    ({"readers": {"scanner": "evdev"}}, "readers.scanner",
     "backend 'evdev' needs an argument: evdev:..."),
    ({"readers": {"nfc": "usb"}}, "readers.nfc", "no nfc backend named 'usb' (known: nfcpy, none, udp)"),
    ({"readers": {"nfc": "none:1"}}, "readers.nfc", "backend 'none' takes no argument, got 'none:1'"),
    # [nfc]
    ({"nfc": {"aid": "F0ZZ"}}, "nfc.aid", "not hexadecimal"),
    ({"nfc": {"aid": ""}}, "nfc.aid", "an AID has 1 to 16 bytes"),
    ({"nfc": {"aid": "00" * 17}}, "nfc.aid", "an AID has 1 to 16 bytes"),
    ({"nfc": {"script": []}}, "nfc.script", "at least one command is needed"),
    ({"nfc": {"script": ["80CA000000", "80CA"]}}, "nfc.script[1]", "an APDU has at least 4 bytes"),
    ({"nfc": {"script": ["not hex"]}}, "nfc.script[0]", "not hexadecimal"),
    # [apcv]
    ({"apcv": {"rules": [{"kind": "apcv", "pattern": "("}]}}, "apcv.rules",
     "rule 0: bad pattern: missing ), unterminated subpattern at position 0"),
    ({"apcv": {"rules": [{"kind": "apcv"}, {"kind": "apcv", "prefix_hex": "zz"}]}}, "apcv.rules",
     "rule 1: prefix_hex is not hex"),
    ({"apcv": {"session_seconds": 0}}, "apcv", APCV),
    ({"apcv": {"invoices_default": 0}}, "apcv", APCV),
    ({"apcv": {"invoices_by_profession": {"doctor": 0}}}, "apcv", APCV),
    ({"apcv": {"site_profession": "pharmacist"}}, "apcv.site_profession",
     "'pharmacist' is not a TRE_G15 profession code (\"21\" pharmacist, \"60\" nurse...)"),
    ({"apcv": {"site_profession": "00"}}, "apcv.site_profession",
     "'00' is not a TRE_G15 profession code (\"21\" pharmacist, \"60\" nurse...)"),
    # [api]
    ({"api": {"port": 70000}}, "api.port", "not a TCP port"),
    ({"api": {"port": -1}}, "api.port", "not a TCP port"),
    ({"api": {"pairing_max_failures": 0}}, "api.pairing_max_failures", "between 1 and 100"),
    ({"api": {"pairing_max_failures": 101}}, "api.pairing_max_failures", "between 1 and 100"),
    ({"daemon": {"keys": "tpm"}}, "daemon.keys", "'tpm': write \"rpi-otp\" or \"file:PATH\""),
    ({"daemon": {"data_dir": "/srv/box", "keys": "file:/srv/box/secret"}}, "daemon.keys",
     "the secret /srv/box/secret is in the data directory: a copy of the card would take it "
     "along with the keys"),
    ({"api": {"pairing_failures_per_address": 6}}, "api.pairing_failures_per_address",
     "1 <= pairing_failures_per_address <= pairing_max_failures"),
    ({"api": {"pairing_failures_per_address": 0}}, "api.pairing_failures_per_address",
     "1 <= pairing_failures_per_address <= pairing_max_failures"),
    ({"api": {"pairing_session_s": 0}}, "api.pairing_session_s", "0 < pairing_session_s <= pairing_window_s, pairing_pending_per_address >= 1"),
    ({"api": {"pairing_session_s": 121}}, "api.pairing_session_s", "0 < pairing_session_s <= pairing_window_s, pairing_pending_per_address >= 1"),
    ({"api": {"pairing_pending_per_address": 0}}, "api.pairing_session_s", "0 < pairing_session_s <= pairing_window_s, pairing_pending_per_address >= 1"),
    # [mdns]
    ({"mdns": {"name": "Pharmacie Dupont"}}, "mdns.name",
     "letters, digits and '-' only, at most 63 (a DNS label)"),
    ({"mdns": {"interfaces": [""]}}, "mdns.interfaces", "not a network interface name: ''"),
    ({"mdns": {"interfaces": ["a-very-long-interface"]}}, "mdns.interfaces",
     "not a network interface name: 'a-very-long-interface'"),
    ({"mdns": {"recheck_s": 0}}, "mdns.recheck_s", POSITIVE),
    # [camera]
    ({"camera": {"fps": 0}}, "camera.fps", POSITIVE),
    ({"camera": {"width": 0}}, "camera.width", POSITIVE),
    ({"camera": {"height": -1}}, "camera.height", POSITIVE),
    ({"camera": {"forget_after_s": -1}}, "camera.forget_after_s", POSITIVE),
    ({"camera": {"on_demand_timeout_s": 0}}, "camera.forget_after_s", POSITIVE),
    # [apdu]
    ({"apdu": {"default_lease_s": 0}}, "apdu", APDU),
    ({"apdu": {"default_lease_s": 400}}, "apdu", APDU),
    ({"apdu": {"channel_grace_s": -1}}, "apdu", APDU),
    # [health]
    ({"health": {"disk_warn_free_mb": 10, "disk_fail_free_mb": 20}}, "health.disk_fail_free_mb", DISK),
    ({"health": {"disk_fail_free_mb": -1}}, "health.disk_fail_free_mb", DISK),
    ({"health": {"inodes_fail_free": -1}}, "health.inodes_fail_free", INODES),
    ({"health": {"inodes_warn_free": 10, "inodes_fail_free": 20}}, "health.inodes_fail_free", INODES),
    ({"health": {"cert_warn_days": -1}}, "health.cert_warn_days", "must not be negative"),
    ({"health": {"ca_warn_days": -1}}, "health.cert_warn_days", "must not be negative"),
    # [journal]
    ({"journal": {"retention_days": 0}}, "journal.retention_days", "between 0 (excluded) and 366 days"),
    ({"journal": {"retention_days": 400}}, "journal.retention_days",
     "between 0 (excluded) and 366 days"),
    ({"journal": {"retention_days": 1, "warn_before_s": 86400}}, "journal.warn_before_s",
     "0 <= warn_before_s < retention_days"),
    ({"journal": {"warn_before_s": -1}}, "journal.warn_before_s", "0 <= warn_before_s < retention_days"),
    # [display]
    ({"display": {"shift_px": 3}}, "display.shift_px", "between 0 and 2"),
    ({"display": {"shift_px": -1}}, "display.shift_px", "between 0 and 2"),
    ({"display": {"device": "dummy"}}, "display.device",
     "display path 'dummy:': expected dummy:WIDTHxHEIGHT, e.g. dummy:128x64"),
    ({"display": {"device": "dummy:100x10"}}, "display.device",
     "display path 'dummy:100x10': no panel of that size (dummy:128x64, dummy:256x64)"),
    ({"display": {"device": "luma:ssd1306:i2c:1:0x3c:9"}}, "display.device",
     f"display path 'luma:ssd1306:i2c:1:0x3c:9': {LUMA}"),
    ({"display": {"device": "luma"}}, "display.device", f"display path 'luma:': {LUMA}"),
    ({"display": {"device": "luma:foo:i2c:1:0x3c"}}, "display.device",
     "display path 'luma:foo:i2c:1:0x3c': unknown panel 'foo' (known: sh1106, ssd1306, ssd1309, "
     "ssd1322)"),
    ({"display": {"device": "luma:ssd1322:i2c:1:0x3c"}}, "display.device",
     "display path 'luma:ssd1322:i2c:1:0x3c': ssd1322 is driven over spi, not 'i2c'"),
    ({"display": {"device": "luma:ssd1306:i2c:x:0x3c"}}, "display.device",
     "display path 'luma:ssd1306:i2c:x:0x3c': bus 'x' is not a number"),
    ({"display": {"device": "luma:ssd1306:i2c:1:0x01"}}, "display.device",
     "display path 'luma:ssd1306:i2c:1:0x01': I2C address 0x1 is outside 0x08..0x77 "
     "(SSD1306/SH1106 panels use 0x3c or 0x3d)"),
    ({"display": {"device": "luma:ssd1306:spi:0:99"}}, "display.device",
     "display path 'luma:ssd1306:spi:0:99': SPI device 99 out of range"),
    ({"display": {"device": "luma:ssd1306:i2c:-1:0x3c"}}, "display.device",
     "display path 'luma:ssd1306:i2c:-1:0x3c': negative bus number"),
    ({"display": {"device": "oled:x"}}, "display.device", "display path 'oled:x': unknown scheme 'oled'"),
    ({"display": {"device": "none:x"}}, "display.device", "display path 'none:x': unknown scheme 'none'"),
    # [battery]
    ({"battery": {"device": "ina219:i2c:1:0x60"}}, "battery.device",
     "battery path 'ina219:i2c:1:0x60': an INA219 answers at 0x40..0x4F, not 0x60"),
    ({"battery": {"device": "ina219:spi:0:0"}}, "battery.device",
     "battery path 'ina219:spi:0:0': expected ina219:i2c:BUS:ADDRESS, e.g. ina219:i2c:1:0x42"),
    ({"battery": {"device": "ina219"}}, "battery.device",
     "backend 'ina219' needs an argument: ina219:..."),
    ({"battery": {"device": "max17048:i2c:1:0x36"}}, "battery.device",
     "no battery backend named 'max17048' (known: ina219, none, sim)"),
    ({"battery": {"device": "none:x"}}, "battery.device", "backend 'none' takes no argument, got 'none:x'"),
    ({"battery": {"low_percent": 5, "critical_percent": 5}}, "battery.low_percent", PERCENT),
    ({"battery": {"low_percent": 101}}, "battery.low_percent", PERCENT),
    ({"battery": {"cells": 0}}, "battery.cells", "between 1 and 4 cells in series"),
    ({"battery": {"cells": 5}}, "battery.cells", "between 1 and 4 cells in series"),
    ({"battery": {"shunt_ohms": 0}}, "battery.shunt_ohms", "the shunt's resistance must be positive"),
    ({"battery": {"poll_s": 0}}, "battery.poll_s", POSITIVE),
    ({"battery": {"poweroff_delay_s": -1}}, "battery.poll_s", POSITIVE),
    ({"battery": {"charging_ma": -1}}, "battery.poll_s", POSITIVE),
    ({"battery": {"confirm_readings": 0}}, "battery.confirm_readings", "between 1 and 100"),
    ({"battery": {"confirm_readings": 101}}, "battery.confirm_readings", "between 1 and 100"),
    # msgspec's own words: types, enums, unknown keys
    ({"daemon": {"language": "de"}}, "daemon.language", "Invalid enum value 'de'"),
    ({"daemon": {"languag": "fr"}}, "daemon.languag", "unknown key"),
    ({"deamon": {}}, "deamon", "unknown key"),
    ({"source": "x"}, "source", "unknown key"),
    ({"readers": {"pcsc": {"retry_interval_s": "fast"}}}, "readers.pcsc.retry_interval_s",
     "Expected `float`, got `str`"),
    ({"journal": {"kinds": ["vitale1"]}}, "journal.kinds[0]", "Invalid enum value 'vitale1'"),
    ({"apcv": {"rules": [{"kind": "bogus"}]}}, "apcv.rules[0].kind", "Invalid enum value 'bogus'"),
    ({"apcv": {"site_profession": 21}}, "apcv.site_profession", "Expected `str | null`, got `int`"),
    ({"panel": {"pins": "gpio"}}, "panel.pins", "Invalid enum value 'gpio'"),
]


@pytest.mark.parametrize(("data", "key", "reason"), CHECKS,
                         ids=[f"{key}-{n}" for n, (_, key, _) in enumerate(CHECKS)])
def test_every_check_names_its_key_and_says_why(data, key, reason):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="/etc/borne/borne.toml")
    error = caught.value
    assert (error.key, error.file, error.code) == (key, "/etc/borne/borne.toml", "config_invalid")
    assert str(error) == f"{reason} (file /etc/borne/borne.toml, key {key})"
    assert error.message("en") == f"Invalid configuration: {error}"


@pytest.mark.parametrize("data", [
    {"display": {"device": "dummy:128x64", "rotate": 1}},
    {"display": {"device": "luma:ssd1322:spi:0:0", "shift_px": 0}},
    # rotate and brightness are the panel's to refuse, when it is built (LumaDisplay.from_path)
    {"display": {"device": "dummy:256x64", "rotate": 7, "brightness": 999}},
    {"battery": {"device": "sim:/tmp/level.json"}},
    {"battery": {"device": "ina219:i2c:1:67", "cells": 1}},
    {"readers": {"smartcard": "sim", "camera": "images:/tmp", "scanner": "keylog:/tmp/keys",
                 "nfc": "udp:localhost:5000"}},
    {"apcv": {"rules": [{"kind": "apcv", "prefix_hex": "4143"}]}},
    {"apcv": {"site_profession": "21"}},
    {"apcv": {"site_profession": "60"}},
    {"mdns": {"name": "comptoir-2", "interfaces": ["wlan0"]}},
    {"health": {"disk_warn_free_mb": 0, "disk_fail_free_mb": 0}},
    {"journal": {"retention_days": 366, "warn_before_s": 0}},
])
def test_good_values_pass(data):
    config = parse_config(data, source="borne.toml")
    assert said(msgspec.to_builtins(config), data)


def said(built: object, written: object) -> bool:
    """Whether the built config holds every value the document wrote (defaults aside)."""
    if isinstance(written, dict):
        return all(said(built[key], value) for key, value in written.items())
    if isinstance(written, list):
        return len(built) == len(written) and all(map(said, built, written))
    return built == written
