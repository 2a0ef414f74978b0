"""The configuration is a leaf of the import graph: it imports no subsystem, none imports it back.

Each section checks its own values, and a section whose checks need a subsystem's
knowledge lives in that subsystem's ``settings`` module (``[apcv]``, ``[nfc]``,
``[mdns]``, ``[display]``, ``[battery]``). Two proofs: the import graph (every
reference, late imports and registry strings too, plus the packages an import runs
first) has no cycle through ``borne.config``, not even through another module of a
subsystem whose settings it reads (the apCV service once took its section from
``borne.config``); and a fresh interpreter that reads a file with every backend set
loads only the settings modules, the registry and the errors.
"""

from __future__ import annotations

import json
import subprocess
import sys

from support.import_graph import MODULES, closure, graph

CONFIG = "borne.config"


def with_packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """``edges`` plus the packages an import runs first: ``a.b.c`` runs ``a`` and ``a.b``."""
    def packages(name: str) -> set[str]:
        parts = name.split(".")
        return {".".join(parts[:n]) for n in range(1, len(parts))} & MODULES.keys()

    return {module: {*deps, *(p for d in deps for p in packages(d)), *packages(module)} - {module}
            for module, deps in edges.items()}


def subsystem(module: str) -> str | None:
    """The package under ``borne`` a module is part of (``borne.apcv`` for
    ``borne.apcv.settings`` and for ``borne.apcv`` itself); None for the root's modules."""
    parts = module.split(".")
    if len(parts) > 2:
        return ".".join(parts[:2])
    return module if len(parts) == 2 and MODULES[module].name == "__init__.py" else None


def config_cycles(edges: dict[str, set[str]]) -> list[str]:
    """What closes a cycle through the configuration: modules it reaches that import it,
    and modules of a subsystem it reaches (for its settings) that import it."""
    reached = closure(CONFIG, edges) - {CONFIG}
    subsystems = {subsystem(m) for m in reached} - {None}
    return sorted(m for m in MODULES if CONFIG in edges[m]
                  and (m in reached or subsystem(m) in subsystems))


def test_the_configuration_is_on_no_import_cycle():
    edges = with_packages(graph())
    # The settings modules it reads its sections with are edges of the graph...
    assert {"borne.apcv.settings", "borne.battery.settings", "borne.display.settings",
            "borne.mdns.settings", "borne.readers.nfc.settings",
            "borne.journal.settings", "borne.secure_channel.settings",
            "borne.update.settings", "borne.ccid.settings", "borne.network.settings"} <= edges[CONFIG]
    assert config_cycles(edges) == []
    # ... and the check sees the cycle the apCV service made by taking its section from here.
    edges["borne.apcv.service"] = edges["borne.apcv.service"] | {CONFIG}
    assert config_cycles(edges) == ["borne.apcv.service"]


#: What importing the configuration and reading a file loads of borne: the spine's leaves
#: and the settings modules of the subsystems that own a section (each with its package).
CONFIG_IMPORTS = sorted([
    "borne", "borne.config", "borne.errors", "borne.error_catalogue",
    "borne.error_catalogue_workstation", "borne.error_surfaces", "borne.registry",
    "borne.section",
    "borne.apcv", "borne.apcv.settings", "borne.apcv.recognise",
    "borne.audit", "borne.audit.settings",
    "borne.domain", "borne.domain.gs1",  # pure: what recognition knows of medicine boxes
    "borne.battery", "borne.battery.settings", "borne.battery.ina219",
    "borne.display", "borne.display.settings",
    "borne.journal", "borne.journal.settings",
    "borne.mdns", "borne.mdns.settings",
    "borne.readers", "borne.readers.nfc", "borne.readers.nfc.settings",
    "borne.secure_channel", "borne.secure_channel.key_source", "borne.secure_channel.settings",
    "borne.update", "borne.update.settings",
    "borne.ccid", "borne.ccid.settings",
    "borne.network", "borne.network.settings",
])

READ_A_FILE = r"""
import json, sys
from borne.config import parse_config
parse_config({
    "readers": {"smartcard": "sim", "camera": "images:/tmp", "scanner": "keylog:/tmp/keys",
                "nfc": "udp:127.0.0.1:5000", "cps": {"cert_path": "3F00B02EC001"}},
    "display": {"device": "dummy:128x64"}, "battery": {"device": "sim"},
    "mdns": {"name": "comptoir-2"}, "apcv": {"rules": [{"kind": "apcv", "prefix_hex": "41"}]},
}, source="borne.toml")
print(json.dumps(sorted(m for m in sys.modules if m == "borne" or m.startswith("borne."))))
"""


def test_reading_the_configuration_loads_only_its_leaves():
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", READ_A_FILE], text=True))
    assert loaded == CONFIG_IMPORTS
