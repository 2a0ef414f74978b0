"""Time to draw one screen: ``render(view)`` for every example of the snapshot catalogue.

For each example view, on the 128x64 monochrome panel (mode "1") and the 256x64 grayscale
one (mode "L"), ``--runs`` renders (200 by default), two ways:

- warm: the text measurements are cached from the previous frame (the same screen redrawn,
  as when only the burn-in offset moves);
- cold: the measurement cache is emptied before each frame (a screen never drawn before,
  for instance a countdown's new second); the fonts stay loaded, as in the daemon.

Baseline, measured in the same run: a blank ``Image.new`` and one ``draw.text("Prêt")`` in
the same font family. Goal: under 10 ms per frame. Luma's transfer to the panel (I2C/SPI)
is not included.

Run: ``.venv/bin/python bench/display_render.py [--runs 200] [--all]`` (``--all`` prints
every view; otherwise one line per panel and the slowest views).

Figures on the development machine (x86-64, 2 vCPUs, Python 3.11, Pillow 13.0 with its
bundled FreeType 2.14, 200 runs x 42 examples per panel; median / p99 over all frames):

============  ================  ================  ================  ===========  =========
panel         baseline          warm              cold              first frame  ratio
============  ================  ================  ================  ===========  =========
128x64 "1"    0.025 / 0.044 ms  0.235 / 0.393 ms  0.518 / 1.243 ms  1.17 ms      9x / 21x
256x64 "L"    0.020 / 0.032 ms  0.192 / 0.375 ms  0.228 / 0.864 ms  0.69 ms      10x / 12x
============  ================  ================  ================  ===========  =========

(ratio: warm / cold median against the baseline.) The slowest single view's cold p99 moves
between 1.3 and 2.9 ms from run to run (noise; titles that try several sizes, such as
``reauth_quota`` or ``error_nfc_target_lost``). Most of a warm frame is
Pillow drawing the glyphs. Every frame is well under the 10 ms goal here; a Raspberry Pi
is several times slower per core, so run this script on the box to confirm the margin.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from _common import percentile, summary

from PIL import Image, ImageDraw

from borne.display import render as render_module
from borne.display.render import font, render
from borne.display.snapshots import EXAMPLES, PANELS, Panel


def timed(runs: int, frame: Callable[[], object], before: Callable[[], None] | None = None
          ) -> list[float]:
    """Milliseconds of ``frame()`` over ``runs`` calls (``before`` runs untimed first)."""
    values = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        frame()
        values.append((time.perf_counter() - start) * 1000)
    return values


def baseline(panel: Panel) -> Callable[[], object]:
    face = font(20, bold=True)

    def frame() -> Image.Image:
        image = Image.new(panel.mode, (panel.width, panel.height), 0)
        draw = ImageDraw.Draw(image)
        draw.fontmode = "1" if panel.mode == "1" else "L"
        draw.text((40, 40), "Prêt", font=face, fill=255, anchor="ls")
        return image

    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--all", action="store_true", help="one line per view and panel")
    args = parser.parse_args()
    clear = render_module._bbox.cache_clear  # the per-text measurements, not the fonts
    slowest: list[tuple[float, str]] = []
    for panel in PANELS:
        # The very first frame also opens the font files (once per size, then cached).
        first = EXAMPLES["idle_nocps"]

        def empty_caches() -> None:
            font.cache_clear()
            clear()

        opening = timed(20, lambda: render(first.view, width=panel.width, height=panel.height,
                                           mode=panel.mode), before=empty_caches)
        print(summary(f"{panel.name} {panel.mode!r} first frame (fonts opened)", opening))
        warm_all, cold_all = [], []
        base = timed(args.runs, baseline(panel))
        for name, example in EXAMPLES.items():
            def frame(example=example, panel=panel) -> Image.Image:
                return render(example.view, width=panel.width, height=panel.height,
                              mode=panel.mode, status=example.status)

            frame()  # fonts loaded once, as the daemon does at start
            warm = timed(args.runs, frame)
            cold = timed(args.runs, frame, before=clear)
            warm_all += warm
            cold_all += cold
            slowest.append((percentile(cold, 99), f"{name} {panel.name}"))
            if args.all:
                print(summary(f"{panel.name} warm {name}", warm))
                print(summary(f"{panel.name} cold {name}", cold))
        print(summary(f"{panel.name} {panel.mode!r} baseline (new + 1 text)", base))
        print(summary(f"{panel.name} {panel.mode!r} warm, all views", warm_all))
        print(summary(f"{panel.name} {panel.mode!r} cold, all views", cold_all))
        print(f"{'':<44} ratio to baseline (median): warm "
              f"{statistics.median(warm_all) / statistics.median(base):.1f}x, cold "
              f"{statistics.median(cold_all) / statistics.median(base):.1f}x")
    print("slowest views (cold p99):")
    for value, label in sorted(slowest, reverse=True)[:5]:
        print(f"  {label:<40} {value:.3f} ms")
    worst = max(value for value, _ in slowest)
    print(f"goal < 10 ms per frame: {'met' if worst < 10 else 'MISSED'} (worst p99 {worst:.3f} ms)")


if __name__ == "__main__":
    main()
