"""``borne sim run`` gives a mobile box the battery's twin, unless its file names a device."""

from __future__ import annotations

import msgspec
import pytest

from borne.sim.sim_config import sim_config


@pytest.mark.parametrize(("text", "device"), [
    ('[daemon]\nmode = "mobile"\n', "sim"),
    ('[daemon]\nmode = "mobile"\n[battery]\npoll_s = 1.0\n', "sim"),
    ('[daemon]\nmode = "mobile"\n[battery]\ndevice = "none"\n', "none"),
    ('[daemon]\nmode = "mobile"\n[battery]\ndevice = "sim:/tmp/level.json"\n', "sim:/tmp/level.json"),
    ('[daemon]\nmode = "counter"\n', "none"),
    ('[battery]\ndevice = "sim"\n', "sim"),
])
def test_which_battery_the_simulator_gets(tmp_path, text, device):
    path = tmp_path / "borne.toml"
    path.write_text(text)
    assert sim_config(str(path)).battery.device == device


def test_the_default_simulated_box_is_a_counter_without_battery():
    assert sim_config(None).battery.device == "none"


async def test_a_box_without_the_twin_refuses_sim_battery():
    from types import SimpleNamespace

    from borne.errors import BorneError
    from borne.sim.runner import _sim_handlers

    handlers = _sim_handlers(None, None, SimpleNamespace(battery=None))
    with pytest.raises(BorneError) as raised:
        await handlers["battery"](None, {"percent": 50})
    assert raised.value.code == "sim_no_twin"


def test_a_one_setting_file_keeps_every_twin_and_the_simulators_data_dir(tmp_path):
    path = tmp_path / "borne.toml"
    path.write_text("[apcv]\nsession_seconds = 4\n")
    config = sim_config(str(path))
    assert config.apcv.session_seconds == 4
    assert config.readers.smartcard == "sim"
    assert config.readers.camera == "images:/run/borne/sim-camera"
    assert config.readers.scanner == "keylog:/run/borne/sim-scanner.jsonl"
    assert config.readers.nfc.startswith("udp:")
    assert (config.display.device, config.panel.pins) == ("dummy:128x64", "mock")
    assert config.daemon.data_dir == "/var/lib/borne-sim"
    default = sim_config(None)  # nothing else differs from the simulator's defaults
    assert msgspec.structs.replace(config, apcv=default.apcv, source=None) == default


def test_a_file_that_names_a_real_device_gets_it_and_keeps_the_other_twins(tmp_path):
    path = tmp_path / "borne.toml"
    path.write_text('[readers]\ncamera = "picamera2"\n[daemon]\nruntime_dir = "/tmp/simrun"\n')
    config = sim_config(str(path))
    assert config.readers.camera == "picamera2"
    assert config.readers.scanner == "keylog:/tmp/simrun/sim-scanner.jsonl"
    assert config.readers.smartcard == "sim" and config.display.device == "dummy:128x64"


@pytest.mark.parametrize("data_dir", ["/var/lib/borne", "/var/lib/borne/", "/var/lib/borne/sub",
                                      "/var/lib/../lib/borne"])
def test_the_simulator_refuses_the_real_boxs_data_directory(tmp_path, data_dir):
    from borne.errors import ConfigError

    path = tmp_path / "borne.toml"
    path.write_text(f'[daemon]\ndata_dir = "{data_dir}"\n')
    with pytest.raises(ConfigError) as refused:
        sim_config(str(path))
    assert (refused.value.key, refused.value.file) == ("daemon.data_dir", str(path))


def test_a_data_directory_of_its_own_is_kept(tmp_path):
    path = tmp_path / "borne.toml"
    path.write_text(f'[daemon]\ndata_dir = "{tmp_path}/data"\n')
    assert sim_config(str(path)).daemon.data_dir == f"{tmp_path}/data"


def test_a_broken_file_is_refused_with_its_name(tmp_path):
    from borne.errors import ConfigError

    path = tmp_path / "borne.toml"
    path.write_text("[apcv\n")
    with pytest.raises(ConfigError) as refused:
        sim_config(str(path))
    assert refused.value.file == str(path)


def test_the_simulated_box_serves_its_api_on_loopback_unless_opened(tmp_path):
    assert sim_config(None).api.host == "127.0.0.1"  # the real box's default is 0.0.0.0
    path = tmp_path / "borne.toml"
    path.write_text("[apcv]\nsession_seconds = 4\n")
    assert sim_config(str(path)).api.host == "127.0.0.1"  # a one-setting file keeps it
    assert sim_config(str(path), listen="0.0.0.0").api.host == "0.0.0.0"
    path.write_text('[api]\nhost = "0.0.0.0"\n')
    assert sim_config(str(path)).api.host == "0.0.0.0"  # the file may open it
    assert sim_config(str(path), listen="127.0.0.1").api.host == "127.0.0.1"  # --listen wins


def test_sim_run_listen_takes_an_ip_address_only(capsys):
    from borne.cli.main import _parser

    assert _parser().parse_args(["sim", "run", "--listen", "0.0.0.0"]).listen == "0.0.0.0"
    assert _parser().parse_args(["sim", "run"]).listen is None
    with pytest.raises(SystemExit):
        _parser().parse_args(["sim", "run", "--listen", "every interface"])
    assert "is not an IP address" in capsys.readouterr().err


def test_the_banner_says_whether_the_lan_can_reach_the_api():
    from borne.sim.runner import _api_line

    assert _api_line("127.0.0.1", 8443) == (
        "API : https://127.0.0.1:8443 (cette machine seulement / this machine only; "
        "--listen 0.0.0.0 : le réseau / the LAN)")
    assert _api_line("0.0.0.0", 8443) == (
        "API : https://0.0.0.0:8443 (ouverte au réseau / open to the LAN)")
    assert _api_line("::1", 8443).startswith("API : https://[::1]:8443 (cette machine")
    assert _api_line("127.0.0.1", None) == "API : arrêtée / off"
