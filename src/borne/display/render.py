"""Views to pixels: :func:`render` lays a :mod:`~borne.display.views` view out on a panel.

Pure code, no device: the result is a Pillow image the size of the panel, which
the caller hands to luma (``device.display(image)``).

=============  =======  ==================================================
Panel          mode     Drawing
=============  =======  ==================================================
128x64         ``"1"``  SSD1306, SH1106, SSD1309: white on black, no antialiasing
256x64         ``"L"``  SSD1322: antialiased, 16 gray levels, gray for hierarchy
=============  =======  ==================================================

Every screen is one layout: an optional small header (context on the left,
status marks or a countdown on the right), a body centred in what is left (the
main message as large as fits, on up to two lines, then smaller lines), and an
optional small footer. Text that does not fit is shortened with "…" by
:func:`fit`. Fonts are DejaVu Sans Condensed, shipped in ``fonts/``, with
Pillow's basic layout engine so that the pixels do not depend on whether libraqm
is installed (snapshot tests compare them exactly).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import texts
from .texts import counted, text
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

__all__ = ["ELLIPSIS", "MARGIN", "fit", "font", "render"]

ELLIPSIS = "…"
#: Pixels kept free at every edge: the caller's burn-in shift (2 px) never clips a glyph.
MARGIN = 2
_FONTS = Path(__file__).parent / "fonts"

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
_LOW_BATTERY = 15
_SLACK = 1.2  # how far a width estimated from another size may be off (hinting)


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Condensed (regular or bold) at ``size`` pixels, loaded once."""
    name = "DejaVuSansCondensed-Bold.ttf" if bold else "DejaVuSansCondensed.ttf"
    return ImageFont.truetype(str(_FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4096)
def _bbox(face: ImageFont.FreeTypeFont, words: str) -> tuple[int, int, int, int]:
    """Ink box of ``words`` drawn with its baseline origin at (0, 0)."""
    return face.getbbox(words, anchor="ls") if words else (0, 0, 0, 0)


def _width(face: ImageFont.FreeTypeFont, words: str) -> int:
    """Pixels ``words`` needs: its ink, at least (a left bearing counts, an overhang too)."""
    left, _, right, _ = _bbox(face, words)
    return right - min(left, 0)


def _vbox(face: ImageFont.FreeTypeFont, words: str) -> tuple[int, int]:
    """(pixels above, below the baseline): the ink, but never less than a capital's
    height, so lines of the same kind sit at the same place from screen to screen."""
    _, top, _, bottom = _bbox(face, words)
    cap = -_bbox(face, "H")[1]
    return max(-top, cap), max(bottom, 0)


def fit(words: str, face: ImageFont.FreeTypeFont, max_width: int) -> str:
    """``words`` if it fits in ``max_width`` pixels with ``face``, else its longest
    head that fits followed by "…" (cut between characters, never inside one:
    a base letter keeps its combining accents). "" if not even "…" fits."""
    words = unicodedata.normalize("NFC", words)
    if _width(face, words) <= max_width:
        return words
    # Cut points: after a character that no combining mark follows.
    cuts = [i for i in range(1, len(words)) if not unicodedata.combining(words[i])]
    low, high, best = 0, len(cuts) - 1, ""
    while low <= high:  # the widths grow with the length: binary search
        middle = (low + high) // 2
        candidate = words[:cuts[middle]].rstrip(" ,;:.-'") + ELLIPSIS
        if _width(face, candidate) <= max_width:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    if not best and _width(face, ELLIPSIS) <= max_width:
        best = ELLIPSIS
    return best


def _breakable(before: str, after: str) -> bool:
    """May a line end between these two words? Not before French high punctuation
    ("Session : 14 min") nor after a number ("3 lectures", "14 min")."""
    return not (after[:1] in ":;!?»%" or before.isdigit())


def _wrap(words: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str] | None:
    """``words`` on one line, else on two balanced lines; None if that does not fit."""
    if _width(face, words) <= width:
        return [words]
    if lines < 2:
        return None
    parts = words.split(" ")
    splits = [(" ".join(parts[:i]), " ".join(parts[i:])) for i in range(1, len(parts))
              if _breakable(parts[i - 1], parts[i])]
    fitting = [s for s in splits if max(_width(face, s[0]), _width(face, s[1])) <= width]
    if not fitting:
        return None
    return list(min(fitting, key=lambda s: max(_width(face, s[0]), _width(face, s[1]))))


def _wrap_cut(words: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """Like :func:`_wrap` but always succeeds: the last line ends with "…"."""
    parts, head = words.split(" "), []
    while lines > 1 and parts and _width(face, " ".join([*head, parts[0]])) <= width:
        head.append(parts.pop(0))
    rest = " ".join(parts)
    return ([" ".join(head)] if head else []) + ([fit(rest, face, width)] if rest else [])


# ---------------------------------------------------------------- layout model


@dataclass(frozen=True)
class _Line:
    """One body line: ``role`` is title (large, bold, may wrap), huge (the pairing
    code), sub (medium) or small."""

    words: str
    role: str = "title"


@dataclass(frozen=True)
class _Screen:
    """What a view becomes before pixels: header, body lines, footer, marks."""

    body: tuple[_Line, ...]
    header: str = ""
    header_right: str = ""
    footer_left: str = ""
    footer_right: str = ""
    footer_keep: str = "left"  # the footer side shown even when both do not fit
    marks: StatusStrip = StatusStrip()
    alert: bool = False  # draws a warning sign before the header


def _countdown(seconds: int) -> str:
    seconds = max(0, seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _grouped(code: str) -> str:
    """The pairing code in groups of three (or four) digits: easier to copy."""
    if len(code) in (6, 8):
        half = len(code) // 2
        return f"{code[:half]} {code[half:]}"
    return code


def _idle(view: IdleView, lang: str) -> _Screen:
    clients = counted("idle.clients", view.paired_clients, lang)
    if view.cps_profession is None:
        body: tuple[_Line, ...] = (_Line(text("idle.insert_cps", lang)),)
    else:
        label = texts.profession_label(view.cps_profession, lang) or ""
        body = (_Line(text("idle.ready", lang)), _Line(label, "small"))
    trouble = view.readers == 0 or not view.readers_ok
    if view.readers == 0:
        readers = text("idle.readers.none", lang)
    elif not view.readers_ok:
        readers = text("idle.readers.fault", lang)
    else:
        readers = counted("idle.readers", view.readers, lang)
    # A readers' fault outranks the address; "2 lecteurs" does not.
    return _Screen(body, header=f"{text(f'idle.mode.{view.mode}', lang)} · {clients}",
                   footer_left=readers, footer_right=view.network or text("idle.offline", lang),
                   footer_keep="left" if trouble else "right",
                   marks=StatusStrip(clock_synced=view.clock_synced))


def _cps(view: CpsView, lang: str) -> _Screen:
    body = [_Line(text("cps.read", lang))]
    if view.holder:
        body.append(_Line(view.holder, "sub"))
    if view.profession:
        body.append(_Line(texts.profession_label(view.profession, lang) or "", "small"))
    return _Screen(tuple(body))


def _vitale(view: VitaleView, lang: str) -> _Screen:
    return _Screen((_Line(text("vitale.read", lang)),
                    _Line(counted("vitale.beneficiaries", view.beneficiaries, lang), "sub")))


def _apcv(view: ApcvPresentedView, lang: str) -> _Screen:
    return _Screen((_Line(text("apcv.read", lang)),
                    _Line(texts.channel_label(view.channel, lang), "small")))


def _session(view: SessionView, lang: str) -> _Screen:
    seconds = max(0, view.seconds_left)
    if seconds < 60:
        left = text("session.seconds", lang, count=seconds)
    else:
        left = text("session.minutes", lang, count=-(-seconds // 60))  # rounded up
    invoice = text("session.invoice", lang, used=view.invoices_used, allowed=view.invoices_allowed)
    return _Screen((_Line(left), _Line(invoice, "sub")), header=text("session.kind", lang))


def _reauth(view: ReauthView, lang: str) -> _Screen:
    return _Screen((_Line(text("reauth.present_again", lang)),
                    _Line(text(f"reauth.{view.reason}", lang), "small")))


def _prescription(view: PrescriptionView, lang: str) -> _Screen:
    return _Screen((_Line(text("prescription.scanned", lang)),))


def _pairing(view: PairingView, lang: str) -> _Screen:
    return _Screen((_Line(_grouped(view.code), "huge"), _Line(text("pairing.hint", lang), "small")),
                   header=text("pairing.title", lang), header_right=_countdown(view.seconds_left))


def _error(view: ErrorView, lang: str) -> _Screen:
    main, hint = texts.error_texts(view.code, lang)
    generic = text("error.generic", lang)
    body = [_Line(main)] + ([_Line(hint, "small")] if hint else [])
    return _Screen(tuple(body), header="" if main == generic else generic, alert=True)


def _mobile(view: MobileView, lang: str) -> _Screen:
    battery = ""
    if view.charging:
        battery = text("mobile.charging", lang)
    elif view.battery_percent is not None and view.battery_percent <= _LOW_BATTERY:
        battery = text("mobile.battery_low", lang)
    return _Screen((_Line(text("mobile.offline", lang)),
                    _Line(counted("mobile.waiting", view.reads_waiting, lang), "sub")),
                   header=battery,
                   marks=StatusStrip(battery_percent=view.battery_percent, charging=view.charging))


_COMPOSERS: dict[type[View], Callable[..., _Screen]] = {
    IdleView: _idle, CpsView: _cps, VitaleView: _vitale, ApcvPresentedView: _apcv,
    SessionView: _session, ReauthView: _reauth, PrescriptionView: _prescription,
    PairingView: _pairing, ErrorView: _error, MobileView: _mobile,
}


# ---------------------------------------------------------------- drawing


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
        left, _, right, _ = _bbox(face, words)
        origin = {"left": x - left, "centre": x - (left + right) // 2, "right": x - right}[align]
        self.draw.text((origin, baseline), words, font=face, fill=self.fill(role), anchor="ls")


def _cap(face: ImageFont.FreeTypeFont) -> int:
    return -_bbox(face, "H")[1]


def _draw_battery(canvas: _Canvas, marks: StatusStrip, right: int, baseline: int) -> int:
    """A gauge (and a bolt when charging) and "15 %", ending at ``right``."""
    assert marks.battery_percent is not None
    draw, fill, top = canvas.draw, canvas.fill("mark"), baseline - _cap(canvas.strip)
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
    return x - 1 - _width(canvas.strip, label)


def _draw_clock_unsynced(canvas: _Canvas, right: int, baseline: int) -> int:
    """A clock face and "?": wall time is not to be trusted yet."""
    draw, fill, cap = canvas.draw, canvas.fill("mark"), _cap(canvas.strip)
    canvas.words(right, baseline, "?", canvas.strip, "mark", "right")
    x = right - _width(canvas.strip, "?") - 2
    size = cap if cap % 2 else cap + 1  # odd: the hands start from a centre pixel
    top = baseline - size
    draw.ellipse((x - size + 1, top, x, top + size - 1), outline=fill)
    centre_x, centre_y = x - size // 2, top + size // 2
    draw.line((centre_x, centre_y, centre_x, top + 2), fill=fill)
    draw.line((centre_x, centre_y, centre_x + size // 2 - 2, centre_y), fill=fill)
    return x - size + 1


def _draw_warning(canvas: _Canvas, left: int, baseline: int) -> int:
    """A warning triangle with "!" from ``left``; returns where it ends."""
    draw, fill, cap = canvas.draw, canvas.fill("title"), _cap(canvas.strip)
    height = cap + 1
    width = height + (height + 1) % 2 + 2  # odd width: a centred "!"
    top, middle = baseline - height, left + width // 2
    draw.polygon([(middle, top), (left + width - 1, baseline - 1), (left, baseline - 1)], fill=fill)
    draw.line((middle, top + 3, middle, baseline - 5), fill=0)
    draw.point((middle, baseline - 3), fill=0)
    return left + width


def _draw_header(canvas: _Canvas, screen: _Screen) -> int:
    """The small top line; returns the first free row below it (MARGIN if none)."""
    has_marks = not screen.marks.clock_synced or screen.marks.battery_percent is not None
    if not (screen.header or screen.header_right or has_marks or screen.alert):
        return MARGIN
    face, (width, _) = canvas.strip, canvas.image.size
    above, below = _vbox(face, screen.header + screen.header_right)
    above = max(above, _cap(face) + 1)  # the marks and the warning sign are a capital + 1 high
    baseline = MARGIN + above
    right = width - MARGIN
    if screen.header_right:
        canvas.words(right, baseline, screen.header_right, face, "mark", "right")
        right -= _width(face, screen.header_right) + 6
    if screen.marks.battery_percent is not None:
        right = _draw_battery(canvas, screen.marks, right, baseline) - 6
    if not screen.marks.clock_synced:
        right = _draw_clock_unsynced(canvas, right, baseline) - 6
    left = MARGIN
    if screen.alert:
        left = _draw_warning(canvas, left, baseline) + 4
    if screen.header:
        canvas.words(left, baseline, fit(screen.header, face, right - left), face, "small")
    return baseline + below + 1


def _draw_footer(canvas: _Canvas, screen: _Screen) -> int:
    """The small bottom line; returns the last free row above it (or above the margin)."""
    width, height = canvas.image.size
    if not (screen.footer_left or screen.footer_right):
        return height - MARGIN - 1
    face = canvas.strip
    above, below = _vbox(face, screen.footer_left + screen.footer_right)
    baseline = height - MARGIN - below
    # One side is kept (shortened if it must be); the other shows whole or not at all:
    # half an address or "2 lect…" tells nobody anything.
    room = width - 2 * MARGIN
    sides = {"left": screen.footer_left, "right": screen.footer_right}
    kept = fit(sides[screen.footer_keep], face, room)
    other_side = "right" if screen.footer_keep == "left" else "left"
    other = sides[other_side]
    if _width(face, kept) + 8 + _width(face, other) > room:
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
    return _Placed(words, face, role, *_vbox(face, words))


def _place_fixed(line: _Line, faces: tuple[ImageFont.FreeTypeFont, ...], width: int) -> _Placed:
    """The first of ``faces`` in which the line fits whole; if none, the first, shortened
    (a long name is better cut in readable type than whole in tiny type)."""
    face = next((face for face in faces if _width(face, line.words) <= width), faces[0])
    return _place(fit(line.words, face, width), face, line.role)


def _height(lines: list[_Placed], gap: int) -> int:
    return sum(line.above + line.below for line in lines) + gap * max(0, len(lines) - 1)


def _fit_main(line: _Line, width: int, room: int) -> list[_Placed]:
    """The main message as large as fits in ``width`` x ``room``: one line if it can
    be nearly as large as on two, else two balanced lines, else shortened."""
    sizes, lines = (_HUGE_SIZES, 1) if line.role == "huge" else (_TITLE_SIZES, 2)
    # Widths grow about linearly with the size: measured once at the largest size, they
    # rule out the sizes that cannot fit (with a wide margin for hinting), which saves
    # most of the measuring on a screen never drawn before.
    reference = font(sizes[0], bold=True)
    one_ref = _width(reference, line.words)
    two_ref = _split_width(line.words, reference) if lines == 2 and one_ref > width else None
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
        wrapped = _wrap(line.words, face, width, lines)
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
    placed = [_place(words, face, line.role) for words in _wrap_cut(line.words, face, width, lines)]
    if len(placed) > 1 and _height(placed, _gap(placed)) > room:
        placed = [_place(fit(line.words, face, width), face, line.role)]
    return placed


def _split_width(words: str, face: ImageFont.FreeTypeFont) -> int | None:
    """The width of ``words`` on two balanced lines; None if it has no break."""
    parts = words.split(" ")
    widths = [max(_width(face, " ".join(parts[:i])), _width(face, " ".join(parts[i:])))
              for i in range(1, len(parts)) if _breakable(parts[i - 1], parts[i])]
    return min(widths, default=None)


def _draw_body(canvas: _Canvas, body: tuple[_Line, ...], top: int, bottom: int) -> None:
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
    try:
        compose = _COMPOSERS[type(view)]
    except KeyError:
        raise TypeError(f"no screen for {type(view).__name__}") from None
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
