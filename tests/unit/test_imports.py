"""``import borne`` loads no hardware library, so the daemon starts fast on a Pi Zero."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("smartcard", "nfc", "picamera2", "luma", "gpiozero", "cryptography", "msgspec", "PIL",
         "httpx", "pyzbar", "zxingcpp")


def test_import_borne_loads_no_hardware_or_heavy_library():
    code = ("import sys, json, borne, borne.readers, borne.readers.cards, "
            "borne.errors; print(json.dumps(sorted(sys.modules)))")
    modules = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    loaded = [m for m in modules if m.split(".")[0] in HEAVY]
    assert loaded == []


def test_the_event_bus_loads_msgspec_and_nothing_heavier():
    # The events are msgspec structs (msgspec is the daemon's own: its config is read with it).
    code = "import sys, json, borne.events; print(json.dumps(sorted(sys.modules)))"
    modules = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    loaded = [m for m in modules if m.split(".")[0] in HEAVY and m.split(".")[0] != "msgspec"]
    assert loaded == []


def test_cli_status_path_does_not_load_pyscard():
    code = ("import sys, json, borne.cli.main, borne.cli.status_view, borne.control.client; "
            "print(json.dumps(sorted(sys.modules)))")
    modules = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    assert not [m for m in modules if m.split(".")[0] in ("smartcard", "cryptography")]
