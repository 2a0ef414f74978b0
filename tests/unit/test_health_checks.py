"""Health checks fed real inputs: device states, the clock's answer, the config, a real Core."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from borne.runtime.clock import Clock, WallTime
from borne.config import Config, parse_config
from borne.core import Core
from borne.errors import ConfigError
from borne.events import EventBus
from borne.health import (
    CODES,
    BoxHealth,
    Check,
    check_clock,
    check_config_file,
    check_config_problem,
    configured_devices,
    device_checks,
    pcscd_checks,
    worst,
)
from borne.readers.base import SlotInfo

ALL = {"pcsc": True, "camera": True, "scanner": True, "nfc": True, "display": True,
       "panel": True, "api": True, "storage": True}
AVAILABLE = {name: {"state": "available", "detail": None} for name in ALL}


def by_name(checks: list[Check]) -> dict[str, Check]:
    named = {c.name: c for c in checks}
    assert len(named) == len(checks), [c.name for c in checks]
    return named


# -- the Check shape --------------------------------------------------------------------------

def test_a_problem_must_have_a_code_and_a_fix_in_both_languages():
    with pytest.raises(ValueError, match="needs a problem code and a fix"):
        Check("disk", "warn", "plein", "full", code="disk_low")
    with pytest.raises(ValueError, match="needs a problem code"):
        Check("disk", "fail", "plein", "full", "videz", "empty it")  # code "ok"
    with pytest.raises(ValueError, match="not in borne.health.CODES"):
        Check("disk", "fail", "plein", "full", "videz", "empty it", code="disk_fulll")
    with pytest.raises(ValueError, match="status"):
        Check("disk", "bad", "plein", "full")


def test_to_dict_carries_both_languages_and_a_null_fix_when_nothing_to_do():
    ok = Check("clock", "ok", "à l'heure", "on time")
    assert ok.to_dict() == {"name": "clock", "code": "ok", "status": "ok",
                            "detail": {"fr": "à l'heure", "en": "on time"}, "fix": None}
    bad = check_clock(False, "2026-01-01T00:00:00.000+00:00")
    assert bad.to_dict()["fix"] == {"fr": bad.fix_fr, "en": bad.fix_en}
    assert worst([ok, bad]) == "warn" and worst([]) == "ok"


def test_codes_are_unique_snake_case():
    assert len(set(CODES)) == len(CODES)
    assert all(code.replace("_", "").isalpha() and code.islower() for code in CODES)


# -- clock ------------------------------------------------------------------------------------

def test_clock_check_takes_the_kernels_answer_as_given():
    synced = check_clock(True, "2026-03-04T05:06:07.000+00:00")
    assert (synced.status, synced.code) == ("ok", "ok")
    assert "2026-03-04T05:06:07" in synced.detail_fr
    unsynced = check_clock(False, "1970-01-01T00:01:00.000+00:00")
    assert (unsynced.status, unsynced.code) == ("warn", "clock_unsynchronised")
    assert "NTP" in unsynced.fix_fr and "NTP" in unsynced.fix_en


# -- devices ----------------------------------------------------------------------------------

def test_every_device_available_is_all_ok():
    checks = by_name(device_checks(AVAILABLE, ALL, slots=3))
    assert [c.name for c in checks.values()] == ["pcscd", "readers", "camera", "scanner", "nfc",
                                                 "display", "panel", "api", "storage"]
    assert all(c.status == "ok" for c in checks.values())
    assert checks["readers"].detail_en == "3 reader(s)"
    assert checks["camera"].detail_fr == "caméra QR prête"
    assert checks["nfc"].detail_fr == "lecteur NFC prêt"


@pytest.mark.parametrize(("device", "state", "code"), [
    ("camera", "unavailable", "camera_unavailable"), ("camera", "error", "camera_error"),
    ("scanner", "unavailable", "scanner_unavailable"), ("nfc", "unavailable", "nfc_unavailable"),
    ("nfc", "error", "nfc_error"), ("display", "error", "display_error"),
    ("panel", "error", "panel_error"), ("api", "error", "api_error"),
    ("storage", "error", "storage_error"),
])
def test_a_failing_device_fails_with_its_code_its_detail_and_a_fix(device, state, code):
    devices = {**AVAILABLE, device: {"state": state, "detail": "No such device (-19)"}}
    check = by_name(device_checks(devices, ALL, slots=1))[device]
    assert (check.status, check.code) == ("fail", code)
    # The device's English sentence is in the English check only: each check is in one language.
    assert "No such device (-19)" in check.detail_en and "No such" not in check.detail_fr
    assert check.fix_fr and check.fix_en and check.fix_fr != check.fix_en


def test_a_devices_detail_that_is_a_stable_code_is_said_in_each_language():
    devices = {**AVAILABLE, "journal": {"state": "full", "detail": "journal_full"}}
    check = by_name(device_checks(devices, ALL, slots=1))["journal"]
    assert "(Mémoire pleine : la lecture n'a pas pu être conservée" in check.detail_fr
    assert "(Storage full: the read could not be kept" in check.detail_en


def test_pcscd_down_replaces_the_readers_check():
    devices = {**AVAILABLE, "pcsc": {"state": "unavailable", "detail": "pcscd went away"}}
    checks = by_name(device_checks(devices, ALL, slots=0))
    assert (checks["pcscd"].status, checks["pcscd"].code) == ("fail", "pcscd_down")
    assert "readers" not in checks
    assert "systemctl restart pcscd" in checks["pcscd"].fix_en
    errored = {**AVAILABLE, "pcsc": {"state": "error", "detail": "pyscard missing"}}
    assert by_name(device_checks(errored, ALL, slots=0))["pcscd"].code == "pcsc_error"


def test_no_reader_is_a_warning():
    check = by_name(device_checks(AVAILABLE, ALL, slots=0))["readers"]
    assert (check.status, check.code) == ("warn", "no_reader")


def test_unconfigured_devices_are_said_so_and_silent_ones_are_no_news():
    config = parse_config({"readers": {"camera": "none"}, "api": {"enabled": False}})
    configured = configured_devices(config)
    assert configured["camera"] is False and configured["pcsc"] is True
    checks = by_name(device_checks({"pcsc": AVAILABLE["pcsc"]}, configured, slots=None))
    assert (checks["camera"].status, checks["camera"].code) == ("ok", "not_configured")
    assert "[readers] camera" in checks["camera"].detail_en
    assert checks["api"].code == "not_configured"
    assert "readers" not in checks and "storage" not in checks  # not judged / no news
    # A state says the daemon drives it, whatever the config file read here says.
    reported = {"pcsc": AVAILABLE["pcsc"], "camera": {"state": "error", "detail": "x"}}
    assert by_name(device_checks(reported, configured, slots=None))["camera"].code == "camera_error"
    # A configured camera that has not reported yet is worth a warning; the panel is not.
    starting = by_name(device_checks({}, ALL, slots=None))
    assert starting["camera"].code == "camera_starting" and "panel" not in starting


def test_unknown_devices_get_generic_codes_and_config_is_left_to_its_own_check():
    devices = {**AVAILABLE, "thermometer": {"state": "error", "detail": "sensor silent"},
               "config": {"state": "error", "detail": "bad key"},
               "battery": {"state": "error", "detail": "board silent"}}
    checks = by_name(device_checks(devices, ALL, slots=1))
    assert (checks["thermometer"].status, checks["thermometer"].code) == ("fail", "device_error")
    assert "config" not in checks and "battery" not in checks  # borne.health.battery's


def test_pcscd_probe_words():
    down = pcscd_checks("Service not available.", [])
    assert [(c.name, c.code) for c in down] == [("pcscd", "pcscd_down")]
    up = pcscd_checks(None, ["Borne Sim 00 00", "Borne Sim 00 01"])
    assert up[1].detail_fr == "2 lecteur(s) : Borne Sim 00 00, Borne Sim 00 01"
    assert up[1].detail_en == "2 reader(s): Borne Sim 00 00, Borne Sim 00 01"
    assert pcscd_checks(None, [])[1].code == "no_reader"


# -- configuration ----------------------------------------------------------------------------

def test_config_file_broken_falls_back_to_defaults_and_says_where(tmp_path):
    path = tmp_path / "borne.toml"
    path.write_text("[daemon]\nlog_levl = 'info'\n")
    config, check = check_config_file(str(path))
    assert config == Config()
    assert (check.status, check.code) == ("fail", "config_invalid")
    assert "daemon.log_levl" in check.detail_en and str(path) in check.detail_fr
    assert "défaut" in check.detail_fr and "defaults" in check.detail_en
    path.write_text("[daemon]\nlanguage = 'en'\n")
    config, check = check_config_file(str(path))
    assert config.daemon.language == "en" and check.status == "ok" and str(path) in check.detail_en


def test_config_problem_of_the_running_daemon():
    assert check_config_problem(None, "/etc/borne/borne.toml").status == "ok"
    problem = ConfigError("unknown key", file="/etc/borne/borne.toml", key="daemon.log_levl")
    check = check_config_problem(problem, None)
    assert (check.status, check.code) == ("fail", "config_fallback")
    assert check.detail_en.startswith("fell back to defaults because: Invalid configuration")
    assert "daemon.log_levl" in check.detail_fr and "Configuration invalide" in check.detail_fr


def test_health_settings_are_validated():
    with pytest.raises(ConfigError, match="health.disk_fail_free_mb"):
        parse_config({"health": {"disk_warn_free_mb": 10, "disk_fail_free_mb": 20}})
    with pytest.raises(ConfigError, match="health.inodes_fail_free"):
        parse_config({"health": {"inodes_fail_free": -1}})
    with pytest.raises(ConfigError, match="health.cert_warn_day"):
        parse_config({"health": {"cert_warn_dayz": 3}})
    assert parse_config({"health": {"ca_warn_days": 365}}).health.ca_warn_days == 365


# -- the daemon's view, on a real Core --------------------------------------------------------

class SteadyClock(Clock):
    """The real monotonic clock, with the kernel's sync answer injected."""

    def __init__(self, synchronised: bool) -> None:
        super().__init__()
        self._synced_answer = synchronised

    def wall(self) -> WallTime:
        return WallTime("2026-05-06T07:08:09.000+00:00", self._synced_answer)


def make_box(tmp_path, *, synchronised: bool = True, **sections) -> tuple[Core, BoxHealth]:
    config = parse_config({"daemon": {"data_dir": str(tmp_path)}, **sections})
    clock = SteadyClock(synchronised)
    core = Core(EventBus(clock), clock)
    return core, BoxHealth(config, core, now=lambda: datetime(2026, 5, 6, tzinfo=timezone.utc))


def test_box_health_reads_the_core_and_the_data_partition(tmp_path):
    core, health = make_box(tmp_path, synchronised=False, readers={"nfc": "udp:127.0.0.1:1"})
    core.device_state("pcsc", "available")
    core.device_state("storage", "available")
    core.device_state("nfc", "unavailable", "[Errno 111] Connection refused")
    core.reader_attached(SlotInfo("s0", "Borne Sim 00 00", "contact", "pcsc"))
    checks = by_name(health.checks())
    # "api" is configured but has no state: no news (the API reports itself once started).
    assert list(checks) == ["config", "pcscd", "readers", "camera", "scanner", "nfc", "display",
                            "panel", "storage", "disk", "clock", "ca_cert", "server_cert"]
    assert checks["config"].status == "ok" and checks["readers"].detail_en == "1 reader(s)"
    assert checks["nfc"].code == "nfc_unavailable"
    assert checks["clock"].code == "clock_unsynchronised"
    assert checks["disk"].status == "ok" and str(tmp_path) in checks["disk"].detail_en
    assert checks["ca_cert"].code == "cert_not_created"


def test_box_health_reports_the_config_fallback_the_lead_sets(tmp_path):
    core, health = make_box(tmp_path)
    core.config_problem = ConfigError("not valid TOML: Expected '='", file="/etc/borne/borne.toml")
    check = by_name(health.checks())["config"]
    assert (check.status, check.code) == ("fail", "config_fallback")
    assert "not valid TOML" in check.detail_en


def test_a_clock_set_by_the_paired_workstation_is_ok_and_says_so():
    check = check_clock(True, "2026-11-22T10:00:00.000+00:00", "client")
    assert (check.status, check.code) == ("ok", "ok")
    assert "paired workstation" in check.detail_en and "poste appairé" in check.detail_fr
