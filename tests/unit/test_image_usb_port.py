"""image/install-stage.sh's USB device port lines in config.txt, run on a sample config.txt.

The image check (image/check-chroot.sh) builds a Debian root, not a Raspberry Pi one: the
config.txt branch runs only in the real image build, so its block is run here alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGE = (REPO / "image" / "install-stage.sh").read_text()
# Raspberry Pi OS bookworm's config.txt ends like this (its [cm4] and [cm5] sections).
SAMPLE = "dtparam=audio=on\n[cm4]\notg_mode=1\n[cm5]\ndtoverlay=dwc2,dr_mode=host\n[all]\n"


def _block() -> str:
    start = STAGE.index('  if ! grep -q "^# borne: USB device port"')
    end = STAGE.index("\n  fi\n", start) + len("\n  fi\n")
    return STAGE[start:end]


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = "all"
    for line in text.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif line and not line.startswith("#"):
            sections.setdefault(current, []).append(line)
    return sections


def test_dwc2_is_a_device_on_the_boards_with_a_device_port_and_only_there(tmp_path: Path) -> None:
    config = tmp_path / "config.txt"
    config.write_text(SAMPLE)
    for _ in range(2):  # the install stage may run twice on the same root
        subprocess.run(["bash", "-c", f"set -eu\nconfig_txt={config}\n{_block()}"], check=True)
    text = config.read_text()
    assert text.startswith(SAMPLE) and text.count("# borne: USB device port") == 1
    sections = _sections(text)
    for board in ("board-type=0x11", "board-type=0x13", "board-type=0x17"):  # Pi 4B, 400, 5
        assert sections[board] == ["dtoverlay=dwc2,dr_mode=peripheral"], board
    assert sections["board-type=0x12"] == ["dtoverlay=dwc2,dr_mode=otg"]  # Zero 2 W: one port
    assert sections["cm4"] == ["otg_mode=1"]  # the CM4's carrier keeps its host ports
    assert text.rstrip().endswith("[all]")  # what follows applies to every board again
    assert "dwc2" not in " ".join(sections["all"])


def test_the_gadget_unit_is_installed_enabled_and_checked() -> None:
    assert "borne-poweroff.service borne-usb-gadget.service; do" in STAGE
    assert "borne-timesync-state.service \\\n  borne-usb-gadget.service\n" in STAGE
    assert "echo libcomposite > \"$ROOTFS/etc/modules-load.d/borne-usb-gadget.conf\"" in STAGE
    check = (REPO / "image" / "check-chroot.sh").read_text()
    units = check[check.index("UNITS=("):check.index(")", check.index("UNITS=("))]
    assert "borne-usb-gadget.service" in units.split()
