"""Type for the screen: the fonts, and measuring, shortening and wrapping text to fit.

Fonts are DejaVu Sans Condensed, shipped in ``fonts/``, with Pillow's basic
layout engine so that the pixels do not depend on whether libraqm is installed
(the snapshot tests compare them exactly). Widths are the ink's, measured from
the baseline origin, and cached: a screen is measured many times while laid out.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

__all__ = ["ELLIPSIS", "cap_height", "fit", "font", "ink_box", "ink_extent", "ink_width",
           "split_width", "wrap", "wrap_cut"]

ELLIPSIS = "…"
_FONTS = Path(__file__).parent / "fonts"


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Condensed (regular or bold) at ``size`` pixels, loaded once."""
    name = "DejaVuSansCondensed-Bold.ttf" if bold else "DejaVuSansCondensed.ttf"
    return ImageFont.truetype(str(_FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4096)
def ink_box(face: ImageFont.FreeTypeFont, words: str) -> tuple[int, int, int, int]:
    """Ink box of ``words`` drawn with its baseline origin at (0, 0)."""
    return face.getbbox(words, anchor="ls") if words else (0, 0, 0, 0)


def ink_width(face: ImageFont.FreeTypeFont, words: str) -> int:
    """Pixels ``words`` needs: its ink, at least (a left bearing counts, an overhang too)."""
    left, _, right, _ = ink_box(face, words)
    return right - min(left, 0)


def ink_extent(face: ImageFont.FreeTypeFont, words: str) -> tuple[int, int]:
    """(pixels above, below the baseline): the ink, but never less than a capital's
    height, so lines of the same kind sit at the same place from screen to screen."""
    _, top, _, bottom = ink_box(face, words)
    cap = -ink_box(face, "H")[1]
    return max(-top, cap), max(bottom, 0)


def fit(words: str, face: ImageFont.FreeTypeFont, max_width: int) -> str:
    """``words`` if it fits in ``max_width`` pixels with ``face``, else its longest
    head that fits followed by "…" (cut between characters, never inside one:
    a base letter keeps its combining accents). "" if not even "…" fits."""
    words = unicodedata.normalize("NFC", words)
    if ink_width(face, words) <= max_width:
        return words
    # Cut points: after a character that no combining mark follows.
    cuts = [i for i in range(1, len(words)) if not unicodedata.combining(words[i])]
    low, high, best = 0, len(cuts) - 1, ""
    while low <= high:  # the widths grow with the length: binary search
        middle = (low + high) // 2
        candidate = words[:cuts[middle]].rstrip(" ,;:.-'") + ELLIPSIS
        if ink_width(face, candidate) <= max_width:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    if not best and ink_width(face, ELLIPSIS) <= max_width:
        best = ELLIPSIS
    return best


def _breakable(before: str, after: str) -> bool:
    """May a line end between these two words? Not before French high punctuation
    ("Session : 14 min") nor after a number ("3 lectures", "14 min")."""
    return not (after[:1] in ":;!?»%" or before.isdigit())


def wrap(words: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str] | None:
    """``words`` on one line, else on two balanced lines; None if that does not fit."""
    if ink_width(face, words) <= width:
        return [words]
    if lines < 2:
        return None
    parts = words.split(" ")
    splits = [(" ".join(parts[:i]), " ".join(parts[i:])) for i in range(1, len(parts))
              if _breakable(parts[i - 1], parts[i])]
    fitting = [s for s in splits if max(ink_width(face, s[0]), ink_width(face, s[1])) <= width]
    if not fitting:
        return None
    return list(min(fitting, key=lambda s: max(ink_width(face, s[0]), ink_width(face, s[1]))))


def wrap_cut(words: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """Like :func:`wrap` but always succeeds: the last line ends with "…"."""
    parts, head = words.split(" "), []
    while lines > 1 and parts and ink_width(face, " ".join([*head, parts[0]])) <= width:
        head.append(parts.pop(0))
    rest = " ".join(parts)
    return ([" ".join(head)] if head else []) + ([fit(rest, face, width)] if rest else [])


def split_width(words: str, face: ImageFont.FreeTypeFont) -> int | None:
    """The width of ``words`` on two balanced lines; None if it has no break."""
    parts = words.split(" ")
    widths = [max(ink_width(face, " ".join(parts[:i])), ink_width(face, " ".join(parts[i:])))
              for i in range(1, len(parts)) if _breakable(parts[i - 1], parts[i])]
    return min(widths, default=None)


def cap_height(face: ImageFont.FreeTypeFont) -> int:
    """Pixels a capital rises above the baseline in ``face``."""
    return -ink_box(face, "H")[1]
