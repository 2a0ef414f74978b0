"""Where a mode switch is kept: the last switch wins, unless the config's mode changed since."""

from borne.runtime.mode import ModeStore


def test_no_switch_yet_starts_in_the_configured_mode(tmp_path):
    assert ModeStore(tmp_path, "counter").initial() == "counter"
    assert ModeStore(tmp_path, "mobile").initial() == "mobile"


def test_a_switch_survives_a_restart(tmp_path):
    ModeStore(tmp_path, "counter").save("mobile")
    assert ModeStore(tmp_path, "counter").initial() == "mobile"
    assert not (tmp_path / "mode.tmp").exists()


def test_a_later_config_edit_wins_over_an_older_switch(tmp_path):
    # A box set up as mobile, switched (to mobile again) from the tablet, then moved to a
    # counter by editing its config: the edit is the newer decision.
    ModeStore(tmp_path, "mobile").save("mobile")
    assert ModeStore(tmp_path, "mobile").initial() == "mobile"
    assert ModeStore(tmp_path, "counter").initial() == "counter"


def test_a_garbled_file_falls_back_to_the_config(tmp_path):
    (tmp_path / "mode.json").write_text("{not json")
    assert ModeStore(tmp_path, "mobile").initial() == "mobile"
    (tmp_path / "mode.json").write_text('{"mode": "flying", "configured": "counter"}')
    assert ModeStore(tmp_path, "counter").initial() == "counter"


def test_an_unwritable_data_dir_keeps_the_switch_for_now_only(tmp_path):
    store = ModeStore(tmp_path / "missing", "counter")
    store.save("mobile")  # logged, not raised
    assert store.initial() == "counter"
