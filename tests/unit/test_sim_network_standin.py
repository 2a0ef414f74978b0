"""``borne sim run`` and NetworkManager: its stand-in's bus, a file's own bus, or the network
off — never the machine's system bus (a developer's real NetworkManager is never touched)."""

from __future__ import annotations

import pytest

from borne.config import parse_config
from borne.sim import nm_standin, runner


async def test_without_the_stand_in_the_network_is_off_and_the_banner_says_why(tmp_path,
                                                                                monkeypatch):
    monkeypatch.setattr(nm_standin, "standin_missing", lambda: "python-dbusmock")
    config, standin, line = await runner._network_standin(parse_config({}), tmp_path)
    assert standin is None and config.network.enabled == "off"
    assert config.network.dbus_address == ""
    assert "unavailable" in line and "python-dbusmock" in line


@pytest.mark.parametrize("network", [{"dbus_address": "unix:path=/tmp/elsewhere"},
                                     {"enabled": "off"}])
async def test_a_file_that_chooses_is_obeyed_and_nothing_is_started(tmp_path, monkeypatch,
                                                                    network):
    monkeypatch.setattr(nm_standin, "NmStandIn", None)  # would fail if started
    config = parse_config({"network": network})
    chosen, standin, line = await runner._network_standin(config, tmp_path)
    assert chosen is config and standin is None and line.startswith("Réseau / network: ")
