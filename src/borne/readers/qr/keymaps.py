"""Keyboard layouts of the USB QR scanner: Linux key codes to text, and back.

A USB "douchette" is a HID keyboard: it sends the *key codes* that would type
the QR payload on a keyboard of the layout it is set to, then Enter. The same
codes mean different characters in AZERTY and QWERTY (``KEY_Q`` types ``a`` in
AZERTY, where the digits need Shift), so the box is told the scanner's layout
(``[scanner] layout``) and decodes exactly as Linux's XKB would.

==========  =====================================  =====================================
layout      decoded as                             levels
==========  =====================================  =====================================
``azerty``  XKB layout ``fr`` (variant basic)      Shift, AltGr (right Alt), Shift+AltGr
``qwerty``  XKB layout ``us`` (variant basic)      Shift (right Alt is Alt: no AltGr)
==========  =====================================  =====================================

Both on the ``pc105`` model. The tables below are copied from xkeyboard-config
2.35 (``symbols/latin``, ``symbols/fr``, ``symbols/us``, ``symbols/pc``) and
``tests/unit/test_scanner_keymaps.py`` checks them against libxkbcommon key by
key. Supported as XKB does it: Shift, CapsLock (per XKB's automatic key types,
so Caps+``é`` types ``É`` and leaves ``&`` alone), AltGr, the keypad (with
NumLock on, as scanners in keypad mode expect), dead keys followed by a letter
(``^`` ``e`` → ``ê``), by a space or by themselves (``^`` space → ``^``, as X's
Compose table). Also accepted in ``azerty``: Ctrl+Alt as AltGr, which is what
Windows makes of it and what a scanner set to a Windows French keyboard may
send; it is not text at all under XKB, so nothing else is lost.

Two things scanners type that XKB does not take as text are taken as Windows
(the host scanners are set up for) takes them:

- **Ctrl + key: a control character.** Only GS (0x1D), the FNC1 separator of GS1
  codes (medicine boxes), as Ctrl + the key at scan code 0x1B (``KEY_RIGHTBRACE``):
  ``]`` in US, ``$`` in French. Sources: Microsoft's Windows-driver-samples,
  ``input/layout/kbdus/kbdus.c`` (``VK_OEM_6`` ``]``, Ctrl ``0x001d``) and
  ``input/layout/all_kbds/kbdfr/kbdfr.c`` (``VK_OEM_1`` ``$``, Ctrl ``0x001d``;
  ``kbdfr.h``: ``T1B`` is ``VK_OEM_1``); scanner manuals: GS is "CTRL+]" in
  Honeywell's "Windows Mode Control + X Mode On (KBDCAS2)" table (US keyboards),
  and Datalogic's "Control Character 00" sends 0x00-0x1F "as Ctrl+Keys". XKB
  also types GS for Ctrl+``]`` in ``us``; Ctrl+``$`` is no text in ``fr``.
- **Alt + keypad digits** (a scanner's "ALT mode"): the character of that decimal
  code when Alt is released (:func:`alt_code`). Sources: ``kbdfr.c`` ("ALT ...
  used for generating characters by number with numpad"); Elo/MagTek's "ALT
  ASCII code" mode (``?`` as Alt + keypad 0, 6, 3); Worth Data's manuals.

Turning a scanner's key events into codes, with the errors, is
:mod:`borne.readers.qr.key_decoder`; this module is the layouts' data and lookups.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

from ...errors import BorneError

__all__ = [
    "AZERTY",
    "DEAD_KEYS",
    "ENTER_KEYS",
    "GS",
    "KEY",
    "KEYPAD_DIGITS",
    "LAYOUTS",
    "MODIFIER_KEYS",
    "QWERTY",
    "SILENT_KEYS",
    "Layout",
    "UntypableCharacter",
    "alt_code",
    "compose",
    "get_layout",
    "is_char",
    "keystrokes_for",
]

#: The Linux key codes used here, from ``include/uapi/linux/input-event-codes.h``
#: (numbers, so this module needs no python-evdev; a test checks them against
#: ``evdev.ecodes``).
KEY: dict[str, int] = {
    "KEY_ESC": 1, "KEY_1": 2, "KEY_2": 3, "KEY_3": 4, "KEY_4": 5, "KEY_5": 6, "KEY_6": 7,
    "KEY_7": 8, "KEY_8": 9, "KEY_9": 10, "KEY_0": 11, "KEY_MINUS": 12, "KEY_EQUAL": 13,
    "KEY_BACKSPACE": 14, "KEY_TAB": 15, "KEY_Q": 16, "KEY_W": 17, "KEY_E": 18, "KEY_R": 19,
    "KEY_T": 20, "KEY_Y": 21, "KEY_U": 22, "KEY_I": 23, "KEY_O": 24, "KEY_P": 25,
    "KEY_LEFTBRACE": 26, "KEY_RIGHTBRACE": 27, "KEY_ENTER": 28, "KEY_LEFTCTRL": 29,
    "KEY_A": 30, "KEY_S": 31, "KEY_D": 32, "KEY_F": 33, "KEY_G": 34, "KEY_H": 35, "KEY_J": 36,
    "KEY_K": 37, "KEY_L": 38, "KEY_SEMICOLON": 39, "KEY_APOSTROPHE": 40, "KEY_GRAVE": 41,
    "KEY_LEFTSHIFT": 42, "KEY_BACKSLASH": 43, "KEY_Z": 44, "KEY_X": 45, "KEY_C": 46,
    "KEY_V": 47, "KEY_B": 48, "KEY_N": 49, "KEY_M": 50, "KEY_COMMA": 51, "KEY_DOT": 52,
    "KEY_SLASH": 53, "KEY_RIGHTSHIFT": 54, "KEY_KPASTERISK": 55, "KEY_LEFTALT": 56,
    "KEY_SPACE": 57, "KEY_CAPSLOCK": 58, "KEY_F1": 59, "KEY_NUMLOCK": 69, "KEY_SCROLLLOCK": 70,
    "KEY_KP7": 71, "KEY_KP8": 72, "KEY_KP9": 73, "KEY_KPMINUS": 74, "KEY_KP4": 75,
    "KEY_KP5": 76, "KEY_KP6": 77, "KEY_KPPLUS": 78, "KEY_KP1": 79, "KEY_KP2": 80,
    "KEY_KP3": 81, "KEY_KP0": 82, "KEY_KPDOT": 83, "KEY_102ND": 86, "KEY_KPENTER": 96,
    "KEY_RIGHTCTRL": 97, "KEY_KPSLASH": 98, "KEY_RIGHTALT": 100, "KEY_LEFTMETA": 125,
    "KEY_RIGHTMETA": 126,
}

KEY_ENTER, KEY_KPENTER = KEY["KEY_ENTER"], KEY["KEY_KPENTER"]
KEY_LEFTSHIFT, KEY_RIGHTSHIFT = KEY["KEY_LEFTSHIFT"], KEY["KEY_RIGHTSHIFT"]
KEY_LEFTCTRL, KEY_RIGHTCTRL = KEY["KEY_LEFTCTRL"], KEY["KEY_RIGHTCTRL"]
KEY_LEFTALT, KEY_RIGHTALT = KEY["KEY_LEFTALT"], KEY["KEY_RIGHTALT"]
KEY_LEFTMETA, KEY_RIGHTMETA = KEY["KEY_LEFTMETA"], KEY["KEY_RIGHTMETA"]
KEY_CAPSLOCK = KEY["KEY_CAPSLOCK"]

#: Keys that end a code.
ENTER_KEYS = frozenset({KEY_ENTER, KEY_KPENTER})
#: Keys held with others: Shift, Ctrl, Alt, AltGr, Meta.
MODIFIER_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTCTRL, KEY_RIGHTCTRL,
                        KEY_LEFTALT, KEY_RIGHTALT, KEY_LEFTMETA, KEY_RIGHTMETA})
#: Lock keys that type nothing; NumLock is taken as on whatever it says (see the keypad).
SILENT_KEYS = frozenset({KEY["KEY_NUMLOCK"], KEY["KEY_SCROLLLOCK"]})

#: The group separator: GS1 codes' FNC1 separator, the one control character a code may hold.
GS = "\x1d"
#: Keypad digit keys, for Alt codes (:func:`alt_code`).
KEYPAD_DIGITS: dict[int, str] = {KEY[f"KEY_KP{d}"]: str(d) for d in range(10)}
# Ctrl + key -> control character, as Windows's kbdus.c and kbdfr.c have it (module docstring).
_CONTROLS: dict[int, str] = {KEY["KEY_RIGHTBRACE"]: GS}

#: XKB key names (``keycodes/evdev``: XKB keycode = Linux code + 8) of the keys
#: that type text, in the order :func:`keystrokes_for` prefers them.
_XKB_NAMES: dict[str, str] = {
    "TLDE": "KEY_GRAVE", "AE01": "KEY_1", "AE02": "KEY_2", "AE03": "KEY_3", "AE04": "KEY_4",
    "AE05": "KEY_5", "AE06": "KEY_6", "AE07": "KEY_7", "AE08": "KEY_8", "AE09": "KEY_9",
    "AE10": "KEY_0", "AE11": "KEY_MINUS", "AE12": "KEY_EQUAL", "TAB": "KEY_TAB",
    "AD01": "KEY_Q", "AD02": "KEY_W", "AD03": "KEY_E", "AD04": "KEY_R", "AD05": "KEY_T",
    "AD06": "KEY_Y", "AD07": "KEY_U", "AD08": "KEY_I", "AD09": "KEY_O", "AD10": "KEY_P",
    "AD11": "KEY_LEFTBRACE", "AD12": "KEY_RIGHTBRACE", "AC01": "KEY_A", "AC02": "KEY_S",
    "AC03": "KEY_D", "AC04": "KEY_F", "AC05": "KEY_G", "AC06": "KEY_H", "AC07": "KEY_J",
    "AC08": "KEY_K", "AC09": "KEY_L", "AC10": "KEY_SEMICOLON", "AC11": "KEY_APOSTROPHE",
    "BKSL": "KEY_BACKSLASH", "LSGT": "KEY_102ND", "AB01": "KEY_Z", "AB02": "KEY_X",
    "AB03": "KEY_C", "AB04": "KEY_V", "AB05": "KEY_B", "AB06": "KEY_N", "AB07": "KEY_M",
    "AB08": "KEY_COMMA", "AB09": "KEY_DOT", "AB10": "KEY_SLASH", "SPCE": "KEY_SPACE",
}

# A key's symbols by level (1: plain, 2: Shift, 3: AltGr, 4: Shift+AltGr): one
# character, a dead key's keysym name, or None (no symbol). One symbol: every level.
Symbols = tuple[Union[str, None], ...]

# Keys every layout shares (symbols/pc); Shift+Tab is ISO_Left_Tab, which types nothing.
_PC: dict[str, Symbols] = {"SPCE": (" ",), "TAB": ("\t", None, "\t", None)}

# symbols/latin "basic", which fr(basic) includes and overrides.
_LATIN: dict[str, Symbols] = {
    "AE01": ("1", "!", "¹", "¡"), "AE02": ("2", "@", "²", "⅛"), "AE03": ("3", "#", "³", "£"),
    "AE04": ("4", "$", "¼", "$"), "AE05": ("5", "%", "½", "⅜"), "AE06": ("6", "^", "¾", "⅝"),
    "AE07": ("7", "&", "{", "⅞"), "AE08": ("8", "*", "[", "™"), "AE09": ("9", "(", "]", "±"),
    "AE10": ("0", ")", "}", "°"), "AE11": ("-", "_", "\\", "¿"),
    "AE12": ("=", "+", "dead_cedilla", "dead_ogonek"),
    "AD01": ("q", "Q", "@", "Ω"), "AD02": ("w", "W", "ſ", "§"), "AD03": ("e", "E", "e", "E"),
    "AD04": ("r", "R", "¶", "®"), "AD05": ("t", "T", "ŧ", "Ŧ"), "AD06": ("y", "Y", "←", "¥"),
    "AD07": ("u", "U", "↓", "↑"), "AD08": ("i", "I", "→", "ı"), "AD09": ("o", "O", "ø", "Ø"),
    "AD10": ("p", "P", "þ", "Þ"), "AD11": ("[", "{", "dead_diaeresis", "dead_abovering"),
    "AD12": ("]", "}", "dead_tilde", "dead_macron"),
    "AC01": ("a", "A", "æ", "Æ"), "AC02": ("s", "S", "ß", "ẞ"), "AC03": ("d", "D", "ð", "Ð"),
    "AC04": ("f", "F", "đ", "ª"), "AC05": ("g", "G", "ŋ", "Ŋ"), "AC06": ("h", "H", "ħ", "Ħ"),
    "AC07": ("j", "J", "dead_hook", "dead_horn"), "AC08": ("k", "K", "ĸ", "&"),
    "AC09": ("l", "L", "ł", "Ł"), "AC10": (";", ":", "dead_acute", "dead_doubleacute"),
    "AC11": ("'", '"', "dead_circumflex", "dead_caron"), "TLDE": ("`", "~", "¬", "¬"),
    "BKSL": ("\\", "|", "dead_grave", "dead_breve"),
    "AB01": ("z", "Z", "«", "<"), "AB02": ("x", "X", "»", ">"), "AB03": ("c", "C", "¢", "©"),
    "AB04": ("v", "V", "„", "‚"), "AB05": ("b", "B", "“", "‘"), "AB06": ("n", "N", "”", "’"),
    "AB07": ("m", "M", "µ", "º"), "AB08": (",", "<", "•", "×"), "AB09": (".", ">", "·", "÷"),
    "AB10": ("/", "?", "dead_belowdot", "dead_abovedot"),
}

# symbols/fr "basic" (the overrides of latin), then symbols/pc's <LSGT>.
_FR: dict[str, Symbols] = {
    **_PC, **_LATIN,
    "AE01": ("&", "1", "¹", "¡"), "AE02": ("é", "2", "~", "⅛"), "AE03": ('"', "3", "#", "£"),
    "AE04": ("'", "4", "{", "$"), "AE05": ("(", "5", "[", "⅜"), "AE06": ("-", "6", "|", "⅝"),
    "AE07": ("è", "7", "`", "⅞"), "AE08": ("_", "8", "\\", "™"), "AE09": ("ç", "9", "^", "±"),
    "AE10": ("à", "0", "@", "°"), "AE11": (")", "°", "]", "¿"),
    "AE12": ("=", "+", "}", "dead_ogonek"),
    "AD01": ("a", "A", "æ", "Æ"), "AD02": ("z", "Z", "«", "<"), "AD03": ("e", "E", "€", "¢"),
    "AD11": ("dead_circumflex", "dead_diaeresis", "dead_diaeresis", "dead_abovering"),
    "AD12": ("$", "£", "¤", "dead_macron"),
    "AC01": ("q", "Q", "@", "Ω"), "AC10": ("m", "M", "µ", "º"),
    "AC11": ("ù", "%", "dead_circumflex", "dead_caron"), "TLDE": ("²", "~", "¬", "¬"),
    "BKSL": ("*", "µ", "dead_grave", "dead_breve"), "AB01": ("w", "W", "ł", "Ł"),
    "AB07": (",", "?", "dead_acute", "dead_doubleacute"), "AB08": (";", ".", "•", "×"),
    "AB09": (":", "/", "·", "÷"), "AB10": ("!", "§", "dead_belowdot", "dead_abovedot"),
    "LSGT": ("<", ">", "|", "¦"),
}

# symbols/us "basic" (two levels), then symbols/pc's <LSGT>, whose levels 3-4 us cannot reach.
_US: dict[str, Symbols] = {
    **_PC,
    "TLDE": ("`", "~"), "AE01": ("1", "!"), "AE02": ("2", "@"), "AE03": ("3", "#"),
    "AE04": ("4", "$"), "AE05": ("5", "%"), "AE06": ("6", "^"), "AE07": ("7", "&"),
    "AE08": ("8", "*"), "AE09": ("9", "("), "AE10": ("0", ")"), "AE11": ("-", "_"),
    "AE12": ("=", "+"),
    **{name: (letter, letter.upper()) for name, letter in zip(
        ["AD01", "AD02", "AD03", "AD04", "AD05", "AD06", "AD07", "AD08", "AD09", "AD10",
         "AC01", "AC02", "AC03", "AC04", "AC05", "AC06", "AC07", "AC08", "AC09",
         "AB01", "AB02", "AB03", "AB04", "AB05", "AB06", "AB07"], "qwertyuiopasdfghjklzxcvbnm")},
    "AD11": ("[", "{"), "AD12": ("]", "}"), "AC10": (";", ":"), "AC11": ("'", '"'),
    "BKSL": ("\\", "|"), "AB08": (",", "<"), "AB09": (".", ">"), "AB10": ("/", "?"),
    "LSGT": ("<", ">"),
}

# symbols/keypad as XKB has it with NumLock on: Shift then gives the navigation
# keysyms (KP_End...), which type nothing. Shared by both layouts; keystrokes_for
# types digits on the main block, as scanners do by default.
_KEYPAD: dict[int, Symbols] = {
    **{KEY[f"KEY_KP{d}"]: (str(d), None, str(d), None) for d in range(10)},
    KEY["KEY_KPDOT"]: (".", None, ".", None), KEY["KEY_KPSLASH"]: ("/",),
    KEY["KEY_KPASTERISK"]: ("*",), KEY["KEY_KPMINUS"]: ("-",), KEY["KEY_KPPLUS"]: ("+",),
}

#: Dead keys: keysym name -> (combining mark, what it types before a space, what
#: it types pressed twice); the last two from X's Compose table
#: (``/usr/share/X11/locale/en_US.UTF-8/Compose``).
DEAD_KEYS: dict[str, tuple[str, str, str]] = {
    "dead_grave": ("\u0300", "`", "`"), "dead_acute": ("\u0301", "'", "´"),
    "dead_circumflex": ("\u0302", "^", "^"), "dead_tilde": ("\u0303", "~", "~"),
    "dead_macron": ("\u0304", "¯", "¯"), "dead_breve": ("\u0306", "˘", "˘"),
    "dead_abovedot": ("\u0307", "˙", "˙"), "dead_diaeresis": ("\u0308", '"', "¨"),
    "dead_abovering": ("\u030a", "°", "°"), "dead_doubleacute": ("\u030b", "˝", "˝"),
    "dead_caron": ("\u030c", "ˇ", "ˇ"), "dead_cedilla": ("\u0327", "¸", "¸"),
    "dead_ogonek": ("\u0328", "˛", "˛"), "dead_belowdot": ("\u0323", "\u0323", "\u0323"),
    "dead_hook": ("\u0309", "\u0309", "\u0309"), "dead_horn": ("\u031b", "\u031b", "\u031b"),
}

# Where XKB's capitalisation (CapsLock on a key whose type ignores Lock) differs
# from str.upper(): libxkbcommon leaves ı alone and turns µ into a keysym that
# types nothing.
_CAPITALS = {"ı": "ı", "µ": None}


def _by_code(table: Mapping[str, Symbols]) -> dict[int, Symbols]:
    return {KEY[_XKB_NAMES[name]]: table[name] for name in _XKB_NAMES if name in table}


def is_char(symbol: str | None) -> bool:
    return symbol is not None and len(symbol) == 1


def _capitalise(symbol: str | None) -> str | None:
    if not is_char(symbol):
        return symbol  # dead keys and "no symbol" have no case
    if symbol in _CAPITALS:
        return _CAPITALS[symbol]
    upper = symbol.upper()
    return upper if len(upper) == 1 else symbol


def _case_pair(lower: str | None, upper: str | None) -> bool:
    # XKB's test when it picks a key type: "IsLower(level 1) && IsUpper(level 2)".
    return is_char(lower) and is_char(upper) and lower.islower() and upper.isupper()


@dataclass(frozen=True)
class Layout:
    """A keyboard layout: what each Linux key code types at each level."""

    name: str
    #: The XKB layout this one decodes as.
    xkb: str
    keys: Mapping[int, Symbols] = field(repr=False, compare=False)
    #: Whether the right Alt key is AltGr (level 3).
    altgr: bool
    #: Windows's OEM code page for this language: Alt codes without a leading 0 use it.
    oem_codepage: str = "cp437"
    #: Key codes whose Ctrl chord types a control character (module docstring).
    controls: Mapping[int, str] = field(default_factory=dict, repr=False, compare=False)

    def control(self, code: int) -> str | None:
        """The control character Ctrl + ``code`` types, or None (a shortcut: not text)."""
        return self.controls.get(code)

    def symbol(self, code: int, *, shift: bool = False, altgr: bool = False,
               caps: bool = False) -> str | None:
        """What ``code`` types: a character, a dead key's name (``dead_circumflex``) or None.

        Levels and CapsLock follow the key type XKB gives the key (``types/`` in
        xkeyboard-config): Lock is Shift for letters (whose two first levels are
        a lower/upper pair) and otherwise capitalises what the key types.
        """
        symbols = self.keys.get(code) or _KEYPAD.get(code)
        if symbols is None:
            return None
        altgr = altgr and self.altgr
        lock_consumed = False
        if len(symbols) == 1:  # ONE_LEVEL
            level = 0
        elif not _case_pair(symbols[0], symbols[1]):  # TWO_LEVEL, FOUR_LEVEL
            level = (2 if altgr else 0) + shift
        elif len(symbols) == 2:  # ALPHABETIC
            level, lock_consumed = shift ^ caps, True
        elif _case_pair(symbols[2], symbols[3]):  # FOUR_LEVEL_ALPHABETIC
            level, lock_consumed = (2 if altgr else 0) + (shift ^ caps), True
        elif altgr:  # FOUR_LEVEL_SEMIALPHABETIC at AltGr: Lock kept, so it capitalises
            level = 2 + shift
        else:  # FOUR_LEVEL_SEMIALPHABETIC
            level, lock_consumed = shift ^ caps, True
        result = symbols[level] if level < len(symbols) else None
        return _capitalise(result) if caps and not lock_consumed else result

    @cached_property
    def _chords(self) -> dict[str, tuple[tuple[int, bool, bool], ...]]:
        """Character -> the chords (code, shift, altgr) typing it, with CapsLock off.

        Derived from :meth:`symbol` and :func:`compose`, so what this types is
        what the decoder reads. The lowest level wins, then the first key in
        ``_XKB_NAMES`` order; dead-key sequences only for what no single key types.
        """
        direct: dict[str, tuple[int, bool, bool]] = {}
        dead: dict[str, tuple[int, bool, bool]] = {}
        levels = [(False, False), (True, False)] + (
            [(False, True), (True, True)] if self.altgr else [])
        for shift, altgr in levels:
            for code in self.keys:
                symbol = self.symbol(code, shift=shift, altgr=altgr)
                if is_char(symbol):
                    direct.setdefault(symbol, (code, shift, altgr))
                elif symbol in DEAD_KEYS:
                    dead.setdefault(symbol, (code, shift, altgr))
        chords: dict[str, tuple[tuple[int, bool, bool], ...]] = {
            char: (chord,) for char, chord in direct.items()}
        for name, dead_chord in dead.items():
            followers = [*direct.items(), (name, dead_chord)]
            for follower, chord in followers:
                composed = compose(name, follower)
                if composed is not None and composed not in chords:
                    chords[composed] = (dead_chord, chord)
        return chords

    def characters(self) -> frozenset[str]:
        """Every character this layout can type (with dead keys), Enter aside."""
        return frozenset(self._chords)

    def chords_for(self, char: str) -> tuple[tuple[int, bool, bool], ...]:
        """The chords ``(code, shift, altgr)`` typing ``char``, or :class:`UntypableCharacter`."""
        try:
            return self._chords[char]
        except KeyError:
            raise UntypableCharacter(f"{char!r} cannot be typed in {self.name}") from None


#: The layouts a scanner can be set to (``[scanner] layout``).
AZERTY = Layout("azerty", "fr", _by_code(_FR), altgr=True, oem_codepage="cp850",
                controls=_CONTROLS)
QWERTY = Layout("qwerty", "us", _by_code(_US), altgr=False, oem_codepage="cp437",
                controls=_CONTROLS)
LAYOUTS: dict[str, Layout] = {"azerty": AZERTY, "qwerty": QWERTY}


def get_layout(layout: str | Layout) -> Layout:
    """The :class:`Layout` named ``layout`` ("azerty" or "qwerty"), or ``layout`` itself."""
    if isinstance(layout, Layout):
        return layout
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"unknown keyboard layout {layout!r} (known: azerty, qwerty)") from None


def compose(dead: str, symbol: str | None) -> str | None:
    """What dead key ``dead`` followed by ``symbol`` types, or None (an error)."""
    mark, before_space, doubled = DEAD_KEYS[dead]
    if symbol == dead:
        return doubled
    if symbol == " ":
        return before_space
    if not is_char(symbol):
        return None  # another dead key, or nothing
    composed = unicodedata.normalize("NFC", symbol + mark)
    return composed if len(composed) == 1 else None


def alt_code(digits: str, layout: str | Layout) -> str | None:
    """What Alt + the keypad ``digits`` types, or None (not a character a code may hold).

    As Windows: the decimal value 1..255, in the ANSI code page (1252) when the
    digits start with 0, else in the layout's OEM code page (437 US, 850 French).
    Below 128 the value is taken as ASCII either way: a scanner sending Alt+29
    means GS, where Windows would show the OEM glyph ``↔``. Control characters
    other than GS and Tab are refused, as the rest of the decoder refuses them.
    """
    if not digits or len(digits) > 4 or int(digits) > 255:  # 4: "0255" at most
        return None
    value = int(digits)
    if value < 0x80:
        char = chr(value)
    else:
        codepage = "cp1252" if digits.startswith("0") else get_layout(layout).oem_codepage
        try:
            char = bytes([value]).decode(codepage)
        except UnicodeDecodeError:  # the few code points cp1252 leaves undefined
            return None
    if char != GS and char != "\t" and not char.isprintable():
        return None
    return char


class UntypableCharacter(BorneError, ValueError):
    """A character the layout has no key (or dead-key sequence) for."""

    code = "scanner_untypable_character"


def keystrokes_for(text: str, layout: str | Layout, *,
                   enter: bool = False) -> list[tuple[int, int]]:
    """The key events ``(code, value)`` a scanner set to ``layout`` sends to type ``text``.

    Each character is pressed and released inside its own Shift/AltGr presses,
    and ends with Enter if ``enter``. GS is typed as scanners send it, Ctrl + the
    layout's key for it (``]`` in US, ``$`` in French). Raises
    :class:`UntypableCharacter` for a character the layout cannot type,
    including a line break (it would end the code).
    """
    layout = get_layout(layout)
    events: list[tuple[int, int]] = []
    controls = {char: code for code, char in layout.controls.items()}
    for char in text:
        if char in controls:
            events += [(KEY_LEFTCTRL, 1), (controls[char], 1), (controls[char], 0),
                       (KEY_LEFTCTRL, 0)]
            continue
        for code, shift, altgr in layout.chords_for(char):
            modifiers = ([KEY_RIGHTALT] if altgr else []) + ([KEY_LEFTSHIFT] if shift else [])
            events += [(m, 1) for m in modifiers]
            events += [(code, 1), (code, 0)]
            events += [(m, 0) for m in reversed(modifiers)]
    if enter:
        events += [(KEY_ENTER, 1), (KEY_ENTER, 0)]
    return events
