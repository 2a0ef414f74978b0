"""A screen frame printed in a terminal, two pixel rows per text line (half blocks).

The simulator shows what the box's panel shows: ``borne sim screen``. A lit
pixel (above mid-gray) is drawn, so a grayscale SSD1322 frame prints too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_text"]

_CELLS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def to_text(image: Any, *, border: bool = True) -> str:
    """The image as lines of ``▀ ▄ █`` characters (one column per pixel)."""
    gray = image.convert("L")
    width, height = gray.size
    pixels = gray.load()
    lines = []
    for y in range(0, height, 2):
        row = []
        for x in range(width):
            top = pixels[x, y] > 127
            bottom = y + 1 < height and pixels[x, y + 1] > 127
            row.append(_CELLS[(top, bottom)])
        lines.append("".join(row))
    if border:
        edge = "─" * width
        lines = [f"┌{edge}┐", *(f"│{line}│" for line in lines), f"└{edge}┘"]
    return "\n".join(lines)
