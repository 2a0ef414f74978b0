"""``borne sim run`` gives a mobile box the battery's twin, unless its file names a device."""

from __future__ import annotations

import pytest

from borne.sim.runner import sim_config


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
