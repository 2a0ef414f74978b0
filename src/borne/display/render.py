"""Views to pixels: :func:`render` lays a :mod:`~borne.display.views` view out on a panel.

Pure code, no device: the result is a Pillow image the size of the panel, which
the caller hands to luma (``device.display(image)``).

=============  =======  ==================================================
Panel          mode     Drawing
=============  =======  ==================================================
128x64         ``"1"``  SSD1306, SH1106, SSD1309: white on black, no antialiasing
256x64         ``"L"``  SSD1322: antialiased, 16 gray levels, gray for hierarchy
=============  =======  ==================================================

What a view says and where comes from :mod:`borne.display.screens` (header, body,
footer, marks); this module draws it: the body centred in what the header and
footer leave, the main message as large as fits, on up to two lines, then
smaller lines. Text that does not fit is shortened with "…" by :func:`fit`
(:mod:`borne.display.typeset`: the fonts and the measuring of text).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PIL import Image, ImageDraw, ImageFont

from . import texts
from .screens import Line, Screen, compose
from .texts import text
from .typeset import (ELLIPSIS, cap_height, fit, font, ink_box, ink_extent, ink_width,
                      split_width, wrap, wrap_cut)
from .views import StatusStrip, View

__all__ = ["ELLIPSIS", "MARGIN", "fit", "font", "render"]

#: Pixels kept free at every edge: the caller's burn-in shift (2 px) never clips a glyph.
MARGIN = 2

# Type sizes in pixels, largest first: the layout takes the largest that fits.
_TITLE_SIZES = (24, 22, 20, 19, 18, 17, 16, 15, 14, 13)  # bold 12 px breaks "i" in mono
_HUGE_SIZES = (44, 40, 36, 34, 32, 30, 28, 26, 24, 22, 20)
_SUB_SIZE = {128: 13, 256: 15}
_SMALL_SIZE = {128: 12, 256: 12}  # mono 11 px draws "f" like "t"
_STRIP_SIZE = {128: 10, 256: 12}  # header and footer: room for "2 lecteurs  192.168.1.20"
# Gray levels on the SSD1322 (mode "L"): the main message brightest, the rest dimmer.
_LEVEL = {"title": 255, "huge": 255, "sub": 221, "small": 153, "mark": 187}
_FRAMED_HEIGHT = 48  # panels shorter than this have no room for a header and a footer
_GAP = 3  # pixels between the body's lines, and around the header and footer
_SLACK = 1.2  # how far a width estimated from another size may be off (hinting)


class _Canvas:
    """An image being drawn, with the panel's type sizes, gray levels and language."""

    def __init__(self, width: int, height: int, mode: str, language: str) -> None:
        self.image = Image.new(mode, (width, height), 0)
        self.draw = ImageDraw.Draw(self.image)
        # Monochrome panels: antialiased edges would be thresholded into ragged strokes.
        self.draw.fontmode = "1" if mode == "1" else "L"
        self.mono = mode == "1"
        self.language = language
        panel = 256 if width >= 192 else 128
        self.small = font(_SMALL_SIZE[panel])
        self.strip = font(_STRIP_SIZE[panel])
        self.sub = font(_SUB_SIZE[panel])

    def fill(self, role: str) -> int:
        """The gray level of a role (white on a monochrome panel)."""
        return 255 if self.mono else _LEVEL[role]

    def words(self, x: int, baseline: int, words: str, face: ImageFont.FreeTypeFont,
              role: str, align: str = "left") -> None:
        """Draws ``words`` with its ink starting at ``x`` (left), centred on ``x``
        (centre) or ending at ``x`` (right)."""
        left, _, right, _ = ink_box(face, words)
        origin = {"left": x - left, "centre": x - (left + right) // 2, "right": x - right}[align]
        self.draw.text((origin, baseline), words, font=face, fill=self.fill(role), anchor="ls")



def _draw_battery(canvas: _Canvas, marks: StatusStrip, right: int, baseline: int) -> int:
    """A gauge (and a bolt when charging) and "15 %", ending at ``right``."""
    assert marks.battery_percent is not None
    draw, fill, top = canvas.draw, canvas.fill("mark"), baseline - cap_height(canvas.strip)
    percent = max(0, min(100, marks.battery_percent))
    # ``right`` is exclusive, as for text: the last column drawn is right - 1.
    draw.rectangle((right - 2, top + 2, right - 1, baseline - 3), fill=fill)  # the terminal nub
    left = right - 16
    draw.rectangle((left, top, right - 3, baseline - 1), outline=fill)
    inner = round((right - 6 - left - 1) * percent / 100)
    if inner:
        draw.rectangle((left + 2, top + 2, left + 1 + inner, baseline - 3), fill=fill)
    x = left - 2
    if marks.charging:  # a lightning bolt, drawn: the font's is a smudge at this size
        height = baseline - top
        middle = top + height // 2
        draw.polygon([(x, top), (x - 4, middle + 1), (x - 2, middle + 1), (x - 3, baseline - 1),
                      (x + 1, middle - 1), (x - 1, middle - 1), (x, top)], fill=fill)
        x -= 6
    label = text("battery.percent", canvas.language, count=percent)
    canvas.words(x - 1, baseline, label, canvas.strip, "mark", "right")
    return x - 1 - ink_width(canvas.strip, label)


def _draw_wifi(canvas: _Canvas, signal: int, right: int, baseline: int) -> int:
    """Three bars ending at ``right``, as many filled as the signal earns (a third each)."""
    draw, fill, cap = canvas.draw, canvas.fill("mark"), cap_height(canvas.strip)
    filled = 0 if signal <= 0 else 1 + min(2, max(0, signal - 1) * 3 // 100)
    x = right - 1
    for bar in (2, 1, 0):  # right to left: the tallest last
        top = baseline - 1 - (cap * (bar + 1)) // 3
        box = (x - 2, top, x, baseline - 1)  # 3 px wide: an empty bar shows its hollow
        if bar < filled:
            draw.rectangle(box, fill=fill)
        else:
            draw.rectangle(box, outline=fill)
        x -= 4
    return x + 1


def _draw_clock_unsynced(canvas: _Canvas, right: int, baseline: int) -> int:
    """A clock face and "?": wall time is not to be trusted yet."""
    draw, fill, cap = canvas.draw, canvas.fill("mark"), cap_height(canvas.strip)
    canvas.words(right, baseline, "?", canvas.strip, "mark", "right")
    x = right - ink_width(canvas.strip, "?") - 2
    size = cap if cap % 2 else cap + 1  # odd: the hands start from a centre pixel
    top = baseline - size
    draw.ellipse((x - size + 1, top, x, top + size - 1), outline=fill)
    centre_x, centre_y = x - size // 2, top + size // 2
    draw.line((centre_x, centre_y, centre_x, top + 2), fill=fill)
    draw.line((centre_x, centre_y, centre_x + size // 2 - 2, centre_y), fill=fill)
    return x - size + 1


def _draw_warning(canvas: _Canvas, left: int, baseline: int) -> int:
    """A warning triangle with "!" from ``left``; returns where it ends."""
    draw, fill, cap = canvas.draw, canvas.fill("title"), cap_height(canvas.strip)
    height = cap + 1
    width = height + (height + 1) % 2 + 2  # odd width: a centred "!"
    top, middle = baseline - height, left + width // 2
    draw.polygon([(middle, top), (left + width - 1, baseline - 1), (left, baseline - 1)], fill=fill)
    draw.line((middle, top + 3, middle, baseline - 5), fill=0)
    draw.point((middle, baseline - 3), fill=0)
    return left + width


def _draw_header(canvas: _Canvas, screen: Screen) -> int:
    """The small top line; returns the first free row below it (MARGIN if none)."""
    has_marks = not screen.marks.clock_synced or screen.marks.battery_percent is not None \
        or screen.marks.wifi_signal is not None
    if not (screen.header or screen.header_right or has_marks or screen.alert):
        return MARGIN
    face, (width, _) = canvas.strip, canvas.image.size
    above, below = ink_extent(face, screen.header + screen.header_right)
    # The marks and the warning sign are a capital + 1 high.
    above = max(above, cap_height(face) + 1)
    baseline = MARGIN + above
    right = width - MARGIN
    if screen.header_right:
        canvas.words(right, baseline, screen.header_right, face, "mark", "right")
        right -= ink_width(face, screen.header_right) + 6
    if screen.marks.battery_percent is not None:
        right = _draw_battery(canvas, screen.marks, right, baseline) - 6
    if screen.marks.wifi_signal is not None:
        right = _draw_wifi(canvas, screen.marks.wifi_signal, right, baseline) - 6
    if not screen.marks.clock_synced:
        right = _draw_clock_unsynced(canvas, right, baseline) - 6
    left = MARGIN
    if screen.alert:
        left = _draw_warning(canvas, left, baseline) + 4
    if screen.header:
        canvas.words(left, baseline, fit(screen.header, face, right - left), face, "small")
    return baseline + below + 1


def _draw_footer(canvas: _Canvas, screen: Screen) -> int:
    """The small bottom line; returns the last free row above it (or above the margin)."""
    width, height = canvas.image.size
    if not (screen.footer_left or screen.footer_right):
        return height - MARGIN - 1
    face = canvas.strip
    above, below = ink_extent(face, screen.footer_left + screen.footer_right)
    baseline = height - MARGIN - below
    # One side is kept (shortened if it must be); the other shows whole or not at all:
    # half an address or "2 lect…" tells nobody anything.
    room = width - 2 * MARGIN
    sides = {"left": screen.footer_left, "right": screen.footer_right}
    kept = fit(sides[screen.footer_keep], face, room)
    other_side = "right" if screen.footer_keep == "left" else "left"
    other = sides[other_side]
    if ink_width(face, kept) + 8 + ink_width(face, other) > room:
        other = ""
    shown = {screen.footer_keep: kept, other_side: other}
    canvas.words(MARGIN, baseline, shown["left"], face, "small")
    canvas.words(width - MARGIN, baseline, shown["right"], face, "small", "right")
    return baseline - above - 1


@dataclass(frozen=True)
class _Placed:
    words: str
    face: ImageFont.FreeTypeFont
    role: str
    above: int
    below: int


def _place(words: str, face: ImageFont.FreeTypeFont, role: str) -> _Placed:
    return _Placed(words, face, role, *ink_extent(face, words))


def _place_fixed(line: Line, faces: tuple[ImageFont.FreeTypeFont, ...], width: int) -> _Placed:
    """The first of ``faces`` in which the line fits whole; if none, the first, shortened
    (a long name is better cut in readable type than whole in tiny type)."""
    face = next((face for face in faces if ink_width(face, line.words) <= width), faces[0])
    return _place(fit(line.words, face, width), face, line.role)


def _height(lines: list[_Placed], gap: int) -> int:
    return sum(line.above + line.below for line in lines) + gap * max(0, len(lines) - 1)


def _fit_main(line: Line, width: int, room: int) -> list[_Placed]:
    """The main message as large as fits in ``width`` x ``room``: one line if it can
    be nearly as large as on two, else two balanced lines, else shortened."""
    sizes, lines = (_HUGE_SIZES, 1) if line.role == "huge" else (_TITLE_SIZES, 2)
    # Widths grow about linearly with the size: measured once at the largest size, they
    # rule out the sizes that cannot fit (with a wide margin for hinting), which saves
    # most of the measuring on a screen never drawn before.
    reference = font(sizes[0], bold=True)
    one_ref = ink_width(reference, line.words)
    two_ref = split_width(line.words, reference) if lines == 2 and one_ref > width else None
    best: dict[int, list[_Placed]] = {}
    for size in sizes:
        if 1 in best:
            break  # smaller sizes fit on one line too, and are smaller
        scale = size / sizes[0]
        plausible = one_ref * scale <= width * _SLACK or (
            two_ref is not None and 2 not in best and two_ref * scale <= width * _SLACK)
        if not plausible:
            continue
        face = font(size, bold=True)
        wrapped = wrap(line.words, face, width, lines)
        if wrapped is None or len(wrapped) in best:
            continue
        placed = [_place(words, face, line.role) for words in wrapped]
        if _height(placed, _gap(placed)) <= room:
            best[len(wrapped)] = placed
    one, two = best.get(1), best.get(2)
    # Two lines only when they buy a clearly larger type (a fifth or more).
    if two and (not one or two[0].face.size >= one[0].face.size * 1.2):
        return two
    if one:
        return one
    face = font(sizes[-1], bold=True)
    placed = [_place(words, face, line.role) for words in wrap_cut(line.words, face, width, lines)]
    if len(placed) > 1 and _height(placed, _gap(placed)) > room:
        placed = [_place(fit(line.words, face, width), face, line.role)]
    return placed


def _draw_body(canvas: _Canvas, body: tuple[Line, ...], top: int, bottom: int) -> None:
    """The body lines (at most one title or huge line), centred in rows ``top``..``bottom``."""
    width, rows = canvas.image.size[0] - 2 * MARGIN, bottom - top + 1
    body = tuple(line for line in body if line.words)  # an empty label takes no room
    # Secondary lines step down to smaller type before being shortened.
    steps = {"sub": (canvas.sub, canvas.small, canvas.strip), "small": (canvas.small, canvas.strip)}
    fixed = {i: _place_fixed(line, steps[line.role], width)
             for i, line in enumerate(body) if line.role in steps}
    main_index = next((i for i, line in enumerate(body) if line.role not in steps), None)
    main: list[_Placed] = []
    while main_index is not None:
        room = rows - _height(list(fixed.values()), _GAP) - _GAP * (len(fixed) > 0)
        main = _fit_main(body[main_index], width, room)
        whole = " ".join(line.words for line in main) == body[main_index].words
        if not fixed or (whole and _height(main, _gap(main)) <= room):
            break
        del fixed[max(fixed)]  # on a short panel, secondary lines give way, the last first
    blocks = [([fixed[i]], 0) if i in fixed else (main, _gap(main))
              for i in range(len(body)) if i in fixed or i == main_index]
    total = sum(_height(lines, gap) for lines, gap in blocks) + _GAP * (len(blocks) - 1)
    y = top + max(0, (rows - total) // 2)
    centre = canvas.image.size[0] // 2
    for lines, gap in blocks:
        for line in lines:
            canvas.words(centre, y + line.above, line.words, line.face, line.role, "centre")
            y += line.above + line.below + gap
        y += _GAP - gap


def _gap(lines: list[_Placed]) -> int:
    """Between the two lines of a wrapped title: an eighth of its size."""
    return max(1, lines[0].face.size // 8) if lines else 0


def render(view: View, *, width: int = 128, height: int = 64, mode: str = "1",
           language: str = "fr", offset: tuple[int, int] = (0, 0),
           status: StatusStrip | None = None) -> Image.Image:
    """The image of ``view`` for a ``width`` x ``height`` panel.

    ``mode`` is "1" for the monochrome panels, "L" for the SSD1322 (drawn with
    16 gray levels), or "RGB": the same grays as "L", in the mode luma's SSD1322
    driver takes (``device.mode``); ``language`` "fr" or "en"; ``offset`` moves everything by a
    few pixels against burn-in (what goes past an edge is cut). ``status`` adds
    its marks to any screen's top-right corner: the clock mark shows if the view
    or ``status`` says the clock is not synchronised; the mobile screen's own
    battery reading wins over ``status``'s.
    """
    if mode not in ("1", "L", "RGB"):
        raise ValueError(f"mode must be '1', 'L' or 'RGB', not {mode!r}")
    if language not in texts.LANGUAGES:
        raise ValueError(f"unknown screen language {language!r}")
    screen = compose(view, language)
    if status is not None:
        screen = replace(screen, marks=replace(
            status,
            clock_synced=status.clock_synced and screen.marks.clock_synced,
            battery_percent=(screen.marks.battery_percent if screen.marks.battery_percent is not None
                             else status.battery_percent),
            charging=screen.marks.charging or status.charging))
    if height < _FRAMED_HEIGHT:  # a 32-row panel: the body alone, or nothing fits
        screen = replace(screen, header="", header_right="", footer_left="", footer_right="",
                         marks=StatusStrip(), alert=False)
    canvas = _Canvas(width, height, "1" if mode == "1" else "L", language)
    top = _draw_header(canvas, screen)
    bottom = _draw_footer(canvas, screen)
    last_row = canvas.image.size[1] - MARGIN - 1
    _draw_body(canvas, screen.body, top + (_GAP if top > MARGIN else 0),
               bottom - (_GAP if bottom < last_row else 0))
    image = canvas.image
    if image.mode == "L":
        image = image.point(_SIXTEEN_LEVELS)  # what the SSD1322 can show, no more
    if offset != (0, 0):
        shifted = Image.new(image.mode, image.size, 0)
        shifted.paste(image, offset)
        image = shifted
    return image.convert("RGB") if mode == "RGB" else image


_SIXTEEN_LEVELS = [round(level / 17) * 17 for level in range(256)]
