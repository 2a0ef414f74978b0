"""The bridge's slot numbers, ports and reader names (borne.bridge.slot_map, .layout, .settings):
box slot N keeps its port, and so its reader on the workstation, whatever the box lists."""

from __future__ import annotations

import json

import pytest

from borne.bridge.layout import ReaderLayout, check_reader_name, parse_name_option
from borne.bridge.settings import BridgeSettings, label_for, load_settings, save_settings
from borne.bridge.slot_map import SLOT_MAP_NAME, SlotMap
from borne.errors import ConfigError

KAP_MOVE = ["kapelse-kap-move-00-00", "kapelse-kap-move-00-01", "kapelse-kap-move-00-02"]


def test_slots_are_numbered_in_the_order_given_the_first_time(tmp_path):
    numbers = SlotMap(tmp_path).number([*KAP_MOVE, KAP_MOVE[0]])
    assert numbers == {KAP_MOVE[0]: 0, KAP_MOVE[1]: 1, KAP_MOVE[2]: 2}
    (tmp_path / "other").mkdir()
    assert SlotMap(tmp_path / "other").number(reversed(KAP_MOVE))[KAP_MOVE[2]] == 0


def test_a_number_stays_with_its_slot_whatever_the_box_lists_later(tmp_path):
    SlotMap(tmp_path).number(KAP_MOVE)
    # A reboot with the contact slots missing, then a new reader: nobody takes a free number.
    again = SlotMap(tmp_path)
    assert again.number([KAP_MOVE[2]]) == {KAP_MOVE[2]: 2}
    assert again.number(["cherry-st-00-00", KAP_MOVE[0]]) == {"cherry-st-00-00": 3, KAP_MOVE[0]: 0}
    assert SlotMap(tmp_path).numbers == {**dict(zip(KAP_MOVE, range(3))), "cherry-st-00-00": 3}
    assert SlotMap(tmp_path).slot_id(1) == KAP_MOVE[1] and SlotMap(tmp_path).slot_id(9) is None


@pytest.mark.parametrize("text", ["", "[]", '{"slots": []}', '{"slots": {"a": -1}}',
                                  '{"slots": {"a": 0, "b": 0}}', '{"slots": {"a": true}}'])
def test_a_slot_map_that_cannot_be_read_is_refused_never_renumbered(tmp_path, text):
    (tmp_path / SLOT_MAP_NAME).write_text(text)
    with pytest.raises(ConfigError) as refused:
        SlotMap(tmp_path)
    assert refused.value.file == str(tmp_path / SLOT_MAP_NAME)
    assert (tmp_path / SLOT_MAP_NAME).read_text() == text


def test_the_slot_map_file_is_what_an_installer_can_read(tmp_path):
    SlotMap(tmp_path).number(KAP_MOVE[:2])
    assert json.loads((tmp_path / SLOT_MAP_NAME).read_text()) == {
        "slots": {KAP_MOVE[0]: 0, KAP_MOVE[1]: 1}}
    assert [p.name for p in tmp_path.iterdir()] == [SLOT_MAP_NAME]  # no temporary file left


def test_unnamed_slots_follow_each_other_from_the_first_port():
    layout = ReaderLayout(35963)
    assert [layout.port(n) for n in range(3)] == [35963, 35964, 35965]
    assert layout.bridged(7) and layout.reader_name(0) is None and layout.ports(1) == (35964,)


def test_a_named_slot_has_an_entry_of_two_ports_and_its_reader_name():
    layout = ReaderLayout(35963, {0: "CPS", 1: "Vitale", 3: "Sans contact"})
    assert [layout.port(n) for n in (0, 1, 3)] == [35963, 35965, 35969]
    assert layout.ports(1) == (35965, 35966)
    assert layout.reader_name(0) == "CPS 00 00" and layout.reader_name(3) == "Sans contact 00 00"
    assert not layout.bridged(2)  # not named: not bridged, and slot 3 keeps its port


@pytest.mark.parametrize("name", ["", " CPS", "CPS ", 'CP"S', "CPS\nLIBPATH /tmp/x.so",
                                  "Carte Vitale é", "x" * 65, "CPS;rm", "#CPS"])
def test_a_name_that_could_break_a_reader_conf_line_is_refused(name):
    with pytest.raises(ConfigError):
        check_reader_name(name)


@pytest.mark.parametrize(("text", "expected"), [("0=CPS", (0, "CPS")),
                                                ("1=Carte Vitale", (1, "Carte Vitale")),
                                                ("12= Lecteur (2) ", (12, "Lecteur (2)"))])
def test_name_options(text, expected):
    assert parse_name_option(text) == expected


@pytest.mark.parametrize("text", ["CPS", "=CPS", "a=CPS", "-1=CPS", "64=CPS", "0="])
def test_bad_name_options_say_what_is_expected(text):
    with pytest.raises(ConfigError, match="--name"):
        parse_name_option(text)


@pytest.mark.parametrize(("layout", "key"), [
    (dict(vpcd_port=80), "vpcd_port"), (dict(vpcd_port=65500), "vpcd_port"),
    (dict(names={0: "CPS", 1: "CPS"}), "names"), (dict(names={64: "CPS"}), "names")])
def test_layouts_that_cannot_be_are_refused(layout, key):
    with pytest.raises(ConfigError) as refused:
        ReaderLayout(**layout)
    assert refused.value.key == key


def test_settings_round_trip_through_bridge_toml(tmp_path):
    settings = BridgeSettings(vpcd_port=40000, label="comptoir", names={"0": "CPS", "1": "Vitale"})
    save_settings(tmp_path, settings)
    assert load_settings(tmp_path) == settings
    assert settings.layout() == ReaderLayout(40000, {0: "CPS", 1: "Vitale"})
    assert load_settings(tmp_path / "elsewhere") == BridgeSettings()


@pytest.mark.parametrize(("text", "key"), [
    ("[bridge]\nvpcd_prt = 1\n", "bridge.vpcd_prt"),
    ("[bridge]\n[other]\n", "other"),
    ("[bridge]\nlabel = \"Comptoir 1\"\n", "bridge.label"),
    ("[bridge.names]\nzero = \"CPS\"\n", "bridge.names"),
    ("[bridge.names]\n0 = \"CPS\"\n1 = \"CPS\"\n", "bridge.names"),
    ("[bridge.names]\n1 = \"V\\nLIBPATH /tmp/x.so\"\n", "bridge.names.1"),
])
def test_bad_settings_name_the_file_and_the_key(tmp_path, text, key):
    (tmp_path / "bridge.toml").write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path)
    assert (refused.value.file, refused.value.key) == (str(tmp_path / "bridge.toml"), key)


def test_a_label_comes_from_the_pairing_folder(tmp_path):
    assert label_for(tmp_path / "Comptoir 1") == "comptoir-1"
    assert label_for(tmp_path / "---") == "box"
