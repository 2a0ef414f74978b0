"""Config sections as the harness passes them: dicts of TOML tables, merged over a base, written as TOML."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from borne.sim.sim_config import laid_over

__all__ = ["merged", "simulated_box", "toml_text"]


def simulated_box(tmp_path: Path) -> dict:
    """What every simulated box of the tests has, in the process or in a child: its own
    runtime and data dirs under ``tmp_path`` (nothing read from or written to the machine's
    /run/borne or /var/lib/borne) and the ``sim`` smart-card backend."""
    return {"daemon": {"runtime_dir": str(tmp_path / "run"), "data_dir": str(tmp_path / "data"),
                       # The board secret's twin, off the data directory as on a real box.
                       "keys": f"file:{tmp_path / 'board-secret.twin'}"},
            "readers": {"smartcard": "sim"},
            # The machine's system bus (if any) is never asked for RAUC: the update tests
            # give their private bus (support.rauc_box).
            "update": {"enabled": "off"}}


#: ``base`` with ``over`` merged in: tables key by key, any other value replaced. The
#: simulator lays a ``--config`` file over its defaults the same way: one function for both.
merged = laid_over


def toml_text(document: Mapping[str, Mapping]) -> str:
    """``document`` (tables of strings, numbers, booleans and lists of them) as a TOML file.

    A value TOML cannot say the same way fails here, not in the daemon that reads the file.
    """
    lines: list[str] = []

    def table(name: str, values: Mapping) -> None:
        lines.append(f"[{name}]")
        # JSON's strings, numbers, booleans and arrays are TOML's too.
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items()
                     if not isinstance(value, Mapping))
        for key, value in values.items():
            if isinstance(value, Mapping):
                table(f"{name}.{key}", value)

    for name, values in document.items():
        table(name, values)
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != document:
        raise ValueError(f"not expressible as this TOML: {document!r}")
    return text
