"""The catalogue of example screens, and their PNG baselines.

Every view type appears here with representative values: long texts that need
"…", one and several beneficiaries, a session under a minute, both reauth
reasons, several error codes and an unknown one, a mobile box low on battery and
charging. Each example is rendered in each language on each panel, through
luma's ``dummy`` device (the twin of the real panels), and compared with a PNG::

    python -m borne.display.snapshots            # compare; exit 1 on any difference
    python -m borne.display.snapshots --update   # write the baselines again

Files are named ``<example>.<language>.<width>x<height>.png`` (for instance
``idle_nocps.fr.128x64.png``) in ``tests/snapshots/display`` unless ``--dir``
says otherwise. Baselines depend on Pillow's bundled FreeType: after a Pillow
upgrade, regenerate them and look at the changes before committing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops

from .render import render
from .texts import LANGUAGES
from .views import (
    ApcvPresentedView,
    CpsView,
    ErrorView,
    IdleView,
    MobileView,
    PairingView,
    PrescriptionView,
    ReauthView,
    SessionView,
    StatusStrip,
    View,
    VitaleView,
)

__all__ = ["DEFAULT_DIR", "EXAMPLES", "PANELS", "Example", "Panel", "Snapshot", "check",
           "difference", "main", "on_device", "snapshots"]

DEFAULT_DIR = Path("tests/snapshots/display")


@dataclass(frozen=True)
class Panel:
    """A screen size and pixel mode, as the real panels have them."""

    width: int
    height: int
    mode: str

    @property
    def name(self) -> str:
        """``128x64``: the size, as baselines are named."""
        return f"{self.width}x{self.height}"

    @property
    def device_mode(self) -> str:
        """The mode luma's devices take: "1", or "RGB" for the grayscale SSD1322
        (luma converts RGB to its 16 levels itself, and refuses "L")."""
        return "1" if self.mode == "1" else "RGB"


#: SSD1306 / SH1106 / SSD1309 (monochrome) and SSD1322 (16 grays).
PANELS: tuple[Panel, ...] = (Panel(128, 64, "1"), Panel(256, 64, "L"))


@dataclass(frozen=True)
class Example:
    """One view to render, with the optional status marks beside it."""

    view: View
    status: StatusStrip | None = None


_COUNTER = dict(readers=2, readers_ok=True, network="192.168.1.20", mode="counter",
                clock_synced=True, paired_clients=2)

#: name -> example. Names are stable: they are the baselines' file names.
EXAMPLES: dict[str, Example] = {
    "idle_nocps": Example(IdleView(**_COUNTER)),
    "idle_nocps_clock_unsynced": Example(IdleView(**{**_COUNTER, "clock_synced": False})),
    "idle_ready_pharmacist": Example(IdleView(**_COUNTER, cps_profession="pharmacist")),
    "idle_ready_unknown_profession": Example(IdleView(**_COUNTER, cps_profession="chiropractor")),
    "idle_ready_profession_unset": Example(IdleView(**_COUNTER, profession_unset=True)),
    "idle_mobile_offline": Example(IdleView(
        readers=1, readers_ok=True, network=None, mode="mobile", clock_synced=False,
        paired_clients=1, cps_profession="nurse")),
    "idle_no_reader": Example(IdleView(
        readers=0, readers_ok=False, network="fe80::1%wlan0", mode="counter", clock_synced=True,
        paired_clients=0)),
    "idle_reader_fault": Example(IdleView(**{**_COUNTER, "readers_ok": False})),
    "idle_long_address": Example(IdleView(**{**_COUNTER, "network": "192.168.100.200"})),
    "cps_pharmacist": Example(CpsView("Claire Martin", "pharmacist")),
    "cps_long_name": Example(CpsView("Marie-Hélène Lefèvre-Dubois de Saint-Exupéry",
                                     "physiotherapist")),
    "cps_unknown_holder": Example(CpsView(None, None)),
    "cps_unknown_profession": Example(CpsView("Éloïse Çağlar", "osteopath")),
    "vitale_one": Example(VitaleView(1)),
    "vitale_many": Example(VitaleView(3)),
    "vitale_none": Example(VitaleView(0)),
    "apcv_qr": Example(ApcvPresentedView("qr")),
    "apcv_nfc": Example(ApcvPresentedView("nfc")),
    "apcv_scanner": Example(ApcvPresentedView("scanner")),
    "session_minutes": Example(SessionView(seconds_left=840, invoices_used=1, invoices_allowed=2)),
    "session_rounded_up": Example(SessionView(seconds_left=1199, invoices_used=0,
                                              invoices_allowed=1)),
    "session_seconds": Example(SessionView(seconds_left=45, invoices_used=2, invoices_allowed=2)),
    "session_with_status": Example(SessionView(seconds_left=600, invoices_used=1,
                                               invoices_allowed=2),
                                   StatusStrip(clock_synced=False, battery_percent=40)),
    "reauth_quota": Example(ReauthView("quota")),
    "reauth_expired": Example(ReauthView("expired")),
    "prescription": Example(PrescriptionView()),
    "pairing": Example(PairingView("482913", 105)),
    "pairing_last_seconds": Example(PairingView("070315", 9)),
    "pairing_contested": Example(PairingView("482913", 87, contested=True, wrong_codes=1)),
    "pairing_wrong_codes": Example(PairingView("482913", 64, wrong_codes=2)),
    "error_pcsc_unavailable": Example(ErrorView("pcsc_unavailable")),
    "error_reader_unavailable": Example(ErrorView("reader_unavailable")),
    "error_config_invalid": Example(ErrorView("config_invalid")),
    "error_journal_recovered": Example(ErrorView("journal_recovered")),
    "error_journal_retention": Example(ErrorView("journal_retention")),
    "error_storage_full": Example(ErrorView("storage_full")),
    "error_camera_unavailable": Example(ErrorView("camera_unavailable")),
    "error_nfc_unavailable": Example(ErrorView("nfc_unavailable")),
    "error_scanner_unavailable": Example(ErrorView("scanner_unavailable")),
    "error_card_removed": Example(ErrorView("card_removed")),
    "error_card_data_invalid": Example(ErrorView("card_data_invalid")),
    "error_card_unresponsive": Example(ErrorView("card_unresponsive")),
    "error_capture_unrecognised": Example(ErrorView("capture_unrecognised")),
    "error_nfc_target_lost": Example(ErrorView("nfc_target_lost")),
    "error_apcv_not_selected": Example(ErrorView("apcv_not_selected")),
    "error_scanner_unknown_key": Example(ErrorView("scanner_unknown_key")),
    "error_unknown_code": Example(ErrorView("firmware_partition_readonly")),
    "error_battery_low": Example(ErrorView("battery_low"),
                                 StatusStrip(clock_synced=True, battery_percent=18)),
    "error_battery_critical": Example(ErrorView("battery_critical"),
                                      StatusStrip(clock_synced=True, battery_percent=4)),
    "mobile_low_battery": Example(MobileView(battery_percent=8, charging=False, reads_waiting=3)),
    "mobile_charging": Example(MobileView(battery_percent=64, charging=True, reads_waiting=1)),
    "mobile_no_gauge": Example(MobileView(battery_percent=None, charging=False, reads_waiting=0)),
}


@dataclass(frozen=True)
class Snapshot:
    """One example in one language on one panel, and its baseline's file name."""

    example: str
    language: str
    panel: Panel

    @property
    def filename(self) -> str:
        return f"{self.example}.{self.language}.{self.panel.name}.png"

    def image(self) -> Image.Image:
        """The example drawn, as luma's dummy device keeps it."""
        example = EXAMPLES[self.example]
        drawn = render(example.view, width=self.panel.width, height=self.panel.height,
                       mode=self.panel.mode, language=self.language, status=example.status)
        return on_device(drawn, self.panel)


def snapshots() -> Iterator[Snapshot]:
    """Every example x language x panel."""
    for name in EXAMPLES:
        for language in LANGUAGES:
            for panel in PANELS:
                yield Snapshot(name, language, panel)


@lru_cache(maxsize=None)
def _device(panel: Panel):  # -> luma.core.device.dummy
    # Imported here: luma is only needed to check the pictures, not to draw them.
    from luma.core.device import dummy

    return dummy(width=panel.width, height=panel.height, mode=panel.device_mode)


def on_device(image: Image.Image, panel: Panel) -> Image.Image:
    """``image`` shown on luma's dummy twin of ``panel``, read back from it (in the
    image's own mode: a gray panel's RGB comes back as the same "L" levels)."""
    if image.mode != panel.mode:
        raise ValueError(f"a {image.mode!r} image for a {panel.mode!r} panel")
    device = _device(panel)
    device.display(image if image.mode == device.mode else image.convert(device.mode))
    shown = device.image
    return shown if shown.mode == image.mode else shown.convert(image.mode)


def difference(image: Image.Image, path: Path) -> str | None:
    """Why ``image`` differs from the PNG at ``path``; None if pixel for pixel equal."""
    if not path.exists():
        return "no baseline"
    with Image.open(path) as stored:
        baseline = stored.copy()
    if (baseline.mode, baseline.size) != (image.mode, image.size):
        return f"baseline is {baseline.mode} {baseline.size}, image is {image.mode} {image.size}"
    delta = ImageChops.difference(baseline.convert("L"), image.convert("L"))
    box = delta.getbbox()
    if box is None:
        return None
    changed = sum(1 for value in delta.get_flattened_data() if value)
    return f"{changed} pixel(s) differ within {box}"


def check(directory: Path, *, update: bool = False) -> list[str]:
    """Compares (or with ``update`` writes) every baseline; returns the problems."""
    problems, expected = [], set()
    if update:
        directory.mkdir(parents=True, exist_ok=True)
    for snapshot in snapshots():
        expected.add(snapshot.filename)
        image, path = snapshot.image(), directory / snapshot.filename
        why = difference(image, path)
        if why is None:
            continue
        if update:
            image.save(path, optimize=True)
            problems.append(f"written: {snapshot.filename} ({why})")
        else:
            problems.append(f"{snapshot.filename}: {why}")
    for stale in sorted(p.name for p in directory.glob("*.png") if p.name not in expected):
        if update:
            (directory / stale).unlink()
            problems.append(f"removed: {stale} (no such example)")
        else:
            problems.append(f"{stale}: no such example")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: compare the baselines (exit 1 if any differ) or ``--update`` them."""
    parser = argparse.ArgumentParser(prog="python -m borne.display.snapshots",
                                     description="Screen snapshots: compare or regenerate.")
    parser.add_argument("--update", action="store_true", help="write the baselines again")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"where the PNG baselines live (default: {DEFAULT_DIR})")
    args = parser.parse_args(argv)
    problems = check(args.dir, update=args.update)
    for line in problems:
        print(line)
    total = sum(1 for _ in snapshots())
    if args.update:
        print(f"{len(problems)} change(s) in {args.dir} ({total} snapshots)")
        return 0
    print(f"{len(problems)} difference(s) out of {total} snapshots in {args.dir}"
          if problems else f"all {total} snapshots match {args.dir}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
