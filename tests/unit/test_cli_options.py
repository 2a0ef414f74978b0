"""``--config`` and ``--lang`` are accepted before and after the sub-command, as people type them."""

from __future__ import annotations

import pytest

from borne.cli.main import _parser

#: Every command that reads the box's config, as the docs write them.
BOX_COMMANDS = [
    ["serve"], ["status", "--json"], ["doctor"], ["pair", "open", "--admin"], ["pair", "close"],
    ["mode"], ["mode", "mobile"], ["clients", "list"], ["clients", "revoke", "ws-1"],
    ["audit", "verify"], ["audit", "show", "--limit", "3"],
    ["sim", "run"], ["sim", "insert", "0", "vitale-family"], ["sim", "apcv", "--qr"],
    ["sim", "screen"], ["sim", "button", "--long"],
]


@pytest.mark.parametrize("command", BOX_COMMANDS, ids=" ".join)
def test_config_before_or_after_the_command(command):
    before = _parser().parse_args(["--config", "/f.toml", "--lang", "en", *command])
    after = _parser().parse_args([*command, "--config", "/f.toml", "--lang", "en"])
    assert (before.config, before.lang) == (after.config, after.lang) == ("/f.toml", "en")
    assert vars(before) == vars(after)


@pytest.mark.parametrize("command", BOX_COMMANDS, ids=" ".join)
def test_without_the_options_the_defaults_hold(command):
    args = _parser().parse_args(command)
    assert (args.config, args.lang) == (None, None)


def test_after_the_command_wins_over_before():
    args = _parser().parse_args(["--config", "/a.toml", "serve", "--config", "/b.toml"])
    assert args.config == "/b.toml"


def test_a_workstation_command_takes_no_box_config(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["client", "status", "--dir", "/ws", "--config", "/f.toml"])
    assert "unrecognized arguments: --config" in capsys.readouterr().err
    assert _parser().parse_args(["client", "status", "--dir", "/ws", "--lang", "en"]).lang == "en"
