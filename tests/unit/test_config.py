"""Configuration: defaults built in, and every mistake named by file and key."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from borne.config import (
    BatteryConfig,
    Config,
    CpsLayoutConfig,
    DisplayConfig,
    RecognitionRule,
    load_config,
)
from borne.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "borne.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_built_in_defaults_on_the_real_pcsc_stack(tmp_path, monkeypatch):
    monkeypatch.setattr("borne.config.DEFAULT_CONFIG_PATH", tmp_path / "absent.toml")
    config = load_config(None)
    assert config == Config()
    assert config.readers.smartcard == "pcsc"
    assert config.source is None
    assert config.control_socket == Path("/run/borne/control.sock")


def test_a_file_overrides_only_what_it_says(tmp_path):
    path = write(tmp_path, '[daemon]\nlanguage = "en"\n[readers]\nsmartcard = "pcsc:Kapelse*"\n')
    config = load_config(path)
    assert config.daemon.language == "en"
    assert config.readers.smartcard == "pcsc:Kapelse*"
    assert config.daemon.data_dir == "/var/lib/borne"
    assert config.source == str(path)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("[daemon]\nlanguag = 'fr'\n", "daemon.languag", "unknown key"),
        ("[deamon]\n", "deamon", "unknown key"),
        ("[readers.pcsc]\nretry_interval_s = 'fast'\n", "readers.pcsc.retry_interval_s", "Expected `float`"),
        ("[daemon]\nlanguage = 'de'\n", "daemon.language", "Invalid enum value 'de'"),
        ("[readers]\nsmartcard = 'pcsx'\n", "readers.smartcard", "no smartcard backend named 'pcsx'"),
        ("[readers]\nsmartcard = 'sim:extra'\n", "readers.smartcard", "takes no argument"),
        ("source = 'x'\n", "source", "unknown key"),
        ("[readers.cps]\ncert_path = 'zz'\n", "readers.cps.cert_path", "not a hex path"),
        ("[readers.cps]\ncert_path = '3F00B0'\n", "readers.cps.cert_path", "2-byte file ids"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, text, key, reason):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.key == key
    assert error.file == str(path)
    assert reason in str(error)
    assert str(path) in str(error) and key in str(error)
    assert error.code == "config_invalid"


def test_broken_toml_and_missing_explicit_file_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[daemon\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")
    bad_utf8 = tmp_path / "latin1.toml"
    bad_utf8.write_bytes(b"[daemon]\nlanguage = '\xe9'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad_utf8)


def test_config_is_frozen():
    config = Config()
    with pytest.raises(AttributeError):
        config.daemon.language = "en"  # type: ignore[misc]


def test_cps_layout_is_a_setting(tmp_path):
    path = write(tmp_path, "[readers.cps]\ncert_path = '3F00A0001234'\nprofession_oid = '2.5.4.11'\n")
    layout = load_config(path).readers.cps.to_layout()
    assert layout.cert_path == bytes.fromhex("3F00A0001234")
    assert layout.profession_oid == "2.5.4.11"


def sections(struct: type = Config) -> set[type]:
    """Every struct a configuration is made of, at any depth (the rules' too)."""
    found = {struct}
    for field in msgspec.structs.fields(struct):
        for kind in (field.type, *getattr(field.type, "__args__", ())):
            if isinstance(kind, type) and issubclass(kind, msgspec.Struct) and kind not in found:
                found |= sections(kind)
    return found


def test_every_section_is_frozen_and_refuses_unknown_keys():
    found = sections()
    assert {BatteryConfig, DisplayConfig, RecognitionRule, CpsLayoutConfig} <= found
    # Config, its 19 sections, [readers.pcsc], [readers.cps], [api.connections], a rule
    assert len(found) == 24
    for section in found:
        assert section.__struct_config__.frozen, section
        assert section.__struct_config__.forbid_unknown_fields, section


def test_a_section_built_in_code_is_checked_too():
    # The checks live on the sections, so a test or the simulator cannot build a wrong one.
    with pytest.raises(ConfigError) as caught:
        BatteryConfig(cells=0)
    assert (caught.value.key, caught.value.file) == ("battery.cells", None)
    with pytest.raises(ConfigError, match="key display.shift_px"):
        msgspec.structs.replace(Config().display, shift_px=5)
