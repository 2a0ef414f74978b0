"""The USB QR scanner's keyboard decoding (borne.readers.qr.keymaps), with no device.

The recordings in ``tests/data/scanner/`` are key events as a scanner sends them
(``{"t", "code", "value"}``, kernel-like wall-clock stamps, a few ms apart),
written for these tests rather than captured from hardware: Shift is held across
a run of shifted characters (as many scanners do, where :func:`keystrokes_for`
presses it per character), AltGr is the right Alt, and the AZERTY URL types its
``^`` with the dead circumflex then a space.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.errors import BorneError
from borne.readers.qr.key_decoder import (INCOMPLETE, PAYLOAD_TOO_LARGE, UNKNOWN_KEY, Failure, KeyDecoder,
                                         Payload)
from borne.readers.qr.keymaps import (AZERTY, DEAD_KEYS, KEY, QWERTY, UntypableCharacter, compose,
                                     keystrokes_for)

DATA = Path(__file__).parent.parent / "data" / "scanner"
PRESCRIPTION = "01S2TBPZ2JCNZZYGHZ"
URL = "https://Exemple.fr/a?b=1&c=%40&m=Dr_X@ex.fr#[|]^"
ASCII = [chr(c) for c in range(0x20, 0x7F)]
K = KEY
ENTER = [(K["KEY_ENTER"], 1), (K["KEY_ENTER"], 0)]


def recording(name: str) -> list[tuple[float, int, int]]:
    lines = (DATA / name).read_text().splitlines()
    return [(e["t"], e["code"], e["value"]) for e in map(json.loads, lines)]


def decode(events, layout, *, gap_s: float = 0.5, step: float = 0.003, **options):
    """Feed ``events`` (``(code, value)``, or ``(t, code, value)`` with their own times)."""
    decoder = KeyDecoder(layout, gap_s=gap_s, **options)
    outcomes, t = [], 100.0
    for event in events:
        if len(event) == 3:
            t, code, value = event
        else:
            (code, value), t = event, t + step
        outcomes += decoder.feed(code, value, t)
    return outcomes


def typed(text: str, layout: str) -> list:
    return decode(keystrokes_for(text, layout, enter=True), layout)


def tap(name: str, *modifiers: str) -> list[tuple[int, int]]:
    mods = [K[m] for m in modifiers]
    return [(m, 1) for m in mods] + [(K[name], 1), (K[name], 0)] + [(m, 0) for m in mods[::-1]]


# -- recordings ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "layout", "text"), [
    ("azerty_prescription.jsonl", "azerty", PRESCRIPTION),
    ("qwerty_prescription.jsonl", "qwerty", PRESCRIPTION),
    ("azerty_url.jsonl", "azerty", URL),
    ("qwerty_url.jsonl", "qwerty", URL),
])
def test_each_recording_decodes_in_its_layout(name, layout, text):
    assert decode(recording(name), layout) == [Payload(text.encode())]


def test_the_layout_setting_matters():
    # The same key codes are other characters in the other layout: digits are
    # unshifted in QWERTY (à & é in AZERTY), KEY_Z is W in AZERTY, and the AZERTY
    # scanner's Shift+KEY_0 is ")" in QWERTY. Both decode to *a* text, so a
    # wrong setting would hand out a wrong prescription number, not an error.
    assert decode(recording("qwerty_prescription.jsonl"), "azerty") == [
        Payload("à&SéTBPWéJCNWWYGHW".encode())]
    assert decode(recording("azerty_prescription.jsonl"), "qwerty") == [
        Payload(b")!S@TBPW@JCNWWYGHW")]
    # AltGr (right Alt) is plain Alt in QWERTY: a shortcut, not text.
    assert decode(recording("azerty_url.jsonl"), "qwerty") == [Failure(UNKNOWN_KEY)]


# -- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["azerty", "qwerty"])
def test_every_printable_ascii_character_is_typable(layout):
    assert set(ASCII) <= (AZERTY if layout == "azerty" else QWERTY).characters()


@pytest.mark.parametrize("layout", [AZERTY, QWERTY], ids=["azerty", "qwerty"])
def test_every_typable_character_round_trips(layout):
    for char in sorted(layout.characters()):
        assert typed(char, layout.name) == [Payload(char.encode())], repr(char)


@settings(max_examples=150, deadline=None)
@given(layout=st.sampled_from(["azerty", "qwerty"]),
       text=st.text(alphabet=ASCII, min_size=1, max_size=300))
def test_printable_ascii_text_round_trips(layout, text):
    assert typed(text, layout) == [Payload(text.encode())]


@settings(max_examples=50, deadline=None)
@given(text=st.text(alphabet=sorted(AZERTY.characters()), min_size=1, max_size=100))
def test_azerty_text_with_accents_round_trips(text):
    assert typed(text, "azerty") == [Payload(text.encode("utf-8"))]


def test_keystrokes_press_shift_and_altgr_around_each_character():
    assert keystrokes_for("1@", "azerty") == [
        *tap("KEY_1", "KEY_LEFTSHIFT"), *tap("KEY_0", "KEY_RIGHTALT")]
    assert keystrokes_for("a!", "qwerty", enter=True) == [
        *tap("KEY_A"), *tap("KEY_1", "KEY_LEFTSHIFT"), *ENTER]
    assert keystrokes_for("ê", "azerty") == [*tap("KEY_LEFTBRACE"), *tap("KEY_E")]


@pytest.mark.parametrize(("char", "layout"), [("€", "qwerty"), ("é", "qwerty"), ("✓", "azerty"),
                                              ("\n", "azerty"), ("\r", "qwerty")])
def test_untypable_character_is_a_clear_error(char, layout):
    with pytest.raises(UntypableCharacter, match=f"cannot be typed in {layout}") as raised:
        keystrokes_for(f"ab{char}", layout)
    assert isinstance(raised.value, BorneError) and isinstance(raised.value, ValueError)


def test_unknown_layout():
    with pytest.raises(ValueError, match="unknown keyboard layout"):
        KeyDecoder("dvorak")


# -- the decoder's rules ---------------------------------------------------------------------

def test_gap_discards_a_partial_code_then_the_next_code_decodes():
    half = [(100.0 + i * 0.003, c, v) for i, (c, v) in enumerate(keystrokes_for("01S2", "qwerty"))]
    rest = [(200.0 + i * 0.003, c, v)
            for i, (c, v) in enumerate(keystrokes_for(PRESCRIPTION, "qwerty", enter=True))]
    assert decode(half + rest, "qwerty") == [Failure(INCOMPLETE), Payload(PRESCRIPTION.encode())]


def test_gap_is_reported_when_it_expires_without_a_next_key():
    decoder = KeyDecoder("qwerty", gap_s=0.5)
    for i, (code, value) in enumerate(keystrokes_for("01", "qwerty")):
        assert decoder.feed(code, value, 10.0 + i * 0.003) == []
    assert decoder.expire(10.4) == []
    assert decoder.expire(11.0) == [Failure(INCOMPLETE)]
    assert decoder.expire(12.0) == []  # reported once
    assert decoder.feed(K["KEY_ENTER"], 1, 12.1) == []  # nothing left to end


def test_slow_keys_within_the_gap_are_one_code():
    assert decode(keystrokes_for("AB", "qwerty", enter=True), "qwerty", step=0.5) == [
        Payload(b"AB")]
    # Too slow: each letter is left unfinished on its own.
    assert decode(keystrokes_for("AB", "qwerty", enter=True), "qwerty", step=0.51) == [
        Failure(INCOMPLETE), Failure(INCOMPLETE)]


def test_idle_modifiers_or_a_lone_enter_are_not_codes():
    assert decode([(K["KEY_LEFTSHIFT"], 1), (K["KEY_LEFTSHIFT"], 0), *ENTER], "azerty") == []
    decoder = KeyDecoder("azerty")
    decoder.feed(K["KEY_LEFTSHIFT"], 1, 1.0)
    assert decoder.expire(5.0) == []


@pytest.mark.parametrize("keys", [
    tap("KEY_F1"), tap("KEY_ESC"), tap("KEY_BACKSPACE"),
    tap("KEY_A", "KEY_LEFTCTRL"), tap("KEY_A", "KEY_LEFTALT"), tap("KEY_A", "KEY_LEFTMETA"),
    tap("KEY_KP1", "KEY_LEFTSHIFT"),  # KP_End: with NumLock on, Shift gives navigation
    tap("KEY_TAB", "KEY_LEFTSHIFT"),  # ISO_Left_Tab
], ids=["F1", "Esc", "Backspace", "Ctrl", "Alt", "Meta", "Shift+KP1", "Shift+Tab"])
def test_a_key_that_types_nothing_fails_the_code_and_only_that_code(keys):
    events = [*keystrokes_for("AB", "azerty"), *keys, *keystrokes_for("CD", "azerty", enter=True),
              *keystrokes_for("EF", "azerty", enter=True)]
    assert decode(events, "azerty") == [Failure(UNKNOWN_KEY), Payload(b"EF")]


def test_right_alt_is_altgr_in_azerty_only_and_ctrl_alt_acts_as_altgr_in_azerty():
    assert decode([*tap("KEY_0", "KEY_RIGHTALT"), *ENTER], "azerty") == [Payload(b"@")]
    assert decode([*tap("KEY_0", "KEY_LEFTCTRL", "KEY_LEFTALT"), *ENTER], "azerty") == [
        Payload(b"@")]
    assert decode([*tap("KEY_0", "KEY_RIGHTALT"), *ENTER], "qwerty") == [Failure(UNKNOWN_KEY)]
    assert decode([*tap("KEY_0", "KEY_LEFTCTRL", "KEY_LEFTALT"), *ENTER], "qwerty") == [
        Failure(UNKNOWN_KEY)]


def test_capslock():
    caps = tap("KEY_CAPSLOCK")
    # Letters: Caps is Shift, and Shift under Caps gives lower case.
    assert decode([*caps, *tap("KEY_Q"), *tap("KEY_Q", "KEY_LEFTSHIFT"), *ENTER], "azerty") == [
        Payload(b"Aa")]
    # AZERTY's top row keeps needing Shift for digits; Caps capitalises é as XKB does.
    assert decode([*caps, *tap("KEY_1"), *tap("KEY_2"), *tap("KEY_2", "KEY_LEFTSHIFT"), *ENTER],
                  "azerty") == [Payload("&É2".encode())]
    assert decode([*caps, *tap("KEY_1"), *tap("KEY_A"), *ENTER], "qwerty") == [Payload(b"1A")]
    # A second press turns it off; it stays on from one code to the next.
    assert decode([*caps, *tap("KEY_A"), *ENTER, *tap("KEY_A"), *ENTER, *caps, *tap("KEY_A"),
                   *ENTER], "qwerty") == [Payload(b"A"), Payload(b"A"), Payload(b"a")]


def test_autorepeat_is_ignored():
    events = [(K["KEY_LEFTSHIFT"], 1), (K["KEY_A"], 1), (K["KEY_A"], 2), (K["KEY_A"], 2),
              (K["KEY_A"], 0), (K["KEY_LEFTSHIFT"], 2), (K["KEY_B"], 1), (K["KEY_B"], 0),
              (K["KEY_LEFTSHIFT"], 0), (K["KEY_ENTER"], 1), (K["KEY_ENTER"], 2),
              (K["KEY_ENTER"], 0)]
    assert decode(events, "qwerty") == [Payload(b"AB")]


def test_dead_keys():
    circumflex = tap("KEY_LEFTBRACE")
    assert decode([*circumflex, *tap("KEY_E"), *ENTER], "azerty") == [Payload("ê".encode())]
    assert decode([*circumflex, *tap("KEY_SPACE"), *ENTER], "azerty") == [Payload(b"^")]
    assert decode([*circumflex, *circumflex, *ENTER], "azerty") == [Payload(b"^")]
    diaeresis = tap("KEY_LEFTBRACE", "KEY_LEFTSHIFT")
    assert decode([*diaeresis, *tap("KEY_I"), *ENTER], "azerty") == [Payload("ï".encode())]
    # Nothing to put the accent on: an error, not a dropped character.
    assert decode([*circumflex, *tap("KEY_1", "KEY_LEFTSHIFT"), *ENTER], "azerty") == [
        Failure(UNKNOWN_KEY)]
    assert decode([*tap("KEY_A"), *circumflex, *ENTER, *tap("KEY_B"), *ENTER], "azerty") == [
        Failure(UNKNOWN_KEY), Payload(b"b")]
    # A dead key alone, then silence, is an unfinished code.
    assert decode([*circumflex, (K["KEY_Q"], 1)], "azerty", step=1.0) == [Failure(INCOMPLETE)]


def test_keypad_types_digits_and_kp_enter_ends_a_code():
    keys = [*tap("KEY_KP0"), *tap("KEY_KP7"), *tap("KEY_KPDOT"), *tap("KEY_KPMINUS"),
            *tap("KEY_NUMLOCK"), *tap("KEY_KPSLASH"), (K["KEY_KPENTER"], 1), (K["KEY_KPENTER"], 0)]
    assert decode(keys, "azerty") == [Payload(b"07.-/")]
    assert decode(keys, "qwerty") == [Payload(b"07.-/")]


# -- what scanners type beyond text: GS as Ctrl+], Alt codes ---------------------------------

GS1 = "]d201034009300000011727123110AB-12\x1d21SN0042"  # GS ends the batch (AI 10)


@pytest.mark.parametrize("layout", ["azerty", "qwerty"])
def test_ctrl_and_the_layouts_gs_key_types_the_group_separator(layout):
    # The same physical key in both layouts: "]" in US, "$" in French (Windows's kbdus/kbdfr).
    gs = [(K["KEY_LEFTCTRL"], 1), *tap("KEY_RIGHTBRACE"), (K["KEY_LEFTCTRL"], 0)]
    assert decode([*keystrokes_for("AB", layout), *gs, *keystrokes_for("C", layout), *ENTER],
                  layout) == [Payload(b"AB\x1dC")]
    assert decode([*tap("KEY_RIGHTBRACE", "KEY_RIGHTCTRL"), *ENTER], layout) == [Payload(b"\x1d")]
    assert keystrokes_for("\x1d", layout) == gs  # the twin types it as scanners do
    assert typed(GS1, layout) == [Payload(GS1.encode())]


@pytest.mark.parametrize("keys", [
    tap("KEY_RIGHTBRACE", "KEY_LEFTCTRL", "KEY_LEFTSHIFT"),  # Ctrl+Shift: no character in Windows
    tap("KEY_LEFTBRACE", "KEY_LEFTCTRL"),                    # Ctrl+[ would be ESC: refused
    tap("KEY_5", "KEY_LEFTCTRL"),                            # XKB's Ctrl+5 is GS; Windows's is not
], ids=["ctrl-shift", "ctrl-[", "ctrl-5"])
def test_other_ctrl_chords_are_still_shortcuts(keys):
    for layout in ("azerty", "qwerty"):
        assert decode([*keys, *keystrokes_for("EF", layout, enter=True)], layout) == [
            Failure(UNKNOWN_KEY)], layout


def alt(digits: str, key: str = "KEY_LEFTALT") -> list[tuple[int, int]]:
    """Alt held while keypad digits are typed, as a scanner in ALT mode sends a character."""
    keys = [event for d in digits for event in tap(f"KEY_KP{d}")]
    return [(K[key], 1), *keys, (K[key], 0)]


@pytest.mark.parametrize(("digits", "layout", "char"), [
    ("0029", "azerty", "\x1d"), ("29", "qwerty", "\x1d"),  # GS, with or without the 0
    ("065", "azerty", "A"), ("63", "qwerty", "?"),
    ("0233", "azerty", "é"), ("0128", "qwerty", "€"),  # leading 0: Windows-1252
    ("130", "azerty", "é"), ("213", "azerty", "ı"), ("213", "qwerty", "╒"),  # OEM: 850 / 437
])
def test_alt_codes_type_their_character_when_alt_is_released(digits, layout, char):
    assert decode([*keystrokes_for("x", layout), *alt(digits), *keystrokes_for("y", layout),
                   *ENTER], layout) == [Payload(f"x{char}y".encode())]


@pytest.mark.parametrize("events", [
    alt("256"), alt("01"), alt("0127"), alt("0129"),  # too large, SOH, DEL, undefined in 1252
    [(K["KEY_LEFTALT"], 1), *tap("KEY_KP6"), *tap("KEY_A"), (K["KEY_LEFTALT"], 0)],
    [(K["KEY_LEFTALT"], 1), *tap("KEY_KP6"), *ENTER, (K["KEY_LEFTALT"], 0)],
], ids=["256", "SOH", "DEL", "undefined", "mixed", "enter-while-held"])
def test_a_bad_alt_code_fails_its_code_only(events):
    after = keystrokes_for("ok", "qwerty", enter=True)
    assert decode([*events, *ENTER, *after], "qwerty") == [Failure(UNKNOWN_KEY), Payload(b"ok")]


def test_right_alt_is_altgr_in_azerty_so_it_types_keypad_digits_there():
    assert decode([*alt("65", "KEY_RIGHTALT"), *ENTER], "azerty") == [Payload(b"65")]
    assert decode([*alt("65", "KEY_RIGHTALT"), *ENTER], "qwerty") == [Payload(b"A")]


def test_an_alt_code_left_unfinished_is_incomplete():
    decoder = KeyDecoder("azerty", gap_s=0.5)
    for code, value in [(K["KEY_LEFTALT"], 1), *tap("KEY_KP2")]:
        assert decoder.feed(code, value, 10.0) == []
    assert decoder.expire(11.0) == [Failure(INCOMPLETE)]


def test_payload_size_limit():
    assert typed("A" * 4096, "qwerty") == [Payload(b"A" * 4096)]
    long_then_short = [*keystrokes_for("A" * 4097, "qwerty", enter=True),
                       *keystrokes_for("ok", "qwerty", enter=True)]
    assert decode(long_then_short, "qwerty") == [Failure(PAYLOAD_TOO_LARGE), Payload(b"ok")]
    assert decode(keystrokes_for("abc", "qwerty", enter=True), "qwerty", max_chars=2) == [
        Failure(PAYLOAD_TOO_LARGE)]


def test_unplugged_mid_code_is_incomplete_and_reset_forgets_everything():
    decoder = KeyDecoder("qwerty")
    for code, value in [*tap("KEY_CAPSLOCK"), (K["KEY_LEFTSHIFT"], 1), (K["KEY_A"], 1)]:
        decoder.feed(code, value, 1.0)
    assert decoder.interrupt() == [Failure(INCOMPLETE)]
    assert decoder.feed(K["KEY_B"], 1, 1.1) == []  # Shift was forgotten, Caps kept...
    decoder.reset()  # ...until the device is opened again
    assert not decoder.caps_lock
    assert decoder.feed(K["KEY_C"], 1, 1.2) + decoder.feed(K["KEY_ENTER"], 1, 1.3) == [
        Payload(b"c")]


def test_a_payload_does_not_show_its_data():
    assert "SECRET" not in repr(Payload(b"SECRET"))


# -- the tables against their sources ---------------------------------------------------------

def test_key_codes_match_the_kernel_headers_as_python_evdev_has_them():
    ecodes = pytest.importorskip("evdev.ecodes")
    assert {name: ecodes.ecodes[name] for name in KEY} == KEY


def _xkbcommon():
    name = ctypes.util.find_library("xkbcommon")
    if name is None or not os.path.isdir("/usr/share/X11/xkb/symbols"):
        pytest.skip("needs libxkbcommon and xkb-data (Debian: libxkbcommon0 xkb-data)")
    lib = ctypes.CDLL(name)
    lib.xkb_context_new.restype = ctypes.c_void_p
    lib.xkb_keymap_new_from_names.restype = ctypes.c_void_p
    lib.xkb_keymap_new_from_names.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.xkb_state_new.restype = ctypes.c_void_p
    lib.xkb_state_new.argtypes = [ctypes.c_void_p]
    lib.xkb_state_unref.argtypes = [ctypes.c_void_p]
    lib.xkb_state_update_key.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int]
    lib.xkb_state_key_get_one_sym.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.xkb_state_key_get_one_sym.restype = ctypes.c_uint32
    lib.xkb_keysym_to_utf32.argtypes = [ctypes.c_uint32]
    lib.xkb_keysym_to_utf32.restype = ctypes.c_uint32
    lib.xkb_keysym_get_name.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    lib.xkb_keysym_from_name.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.xkb_keysym_from_name.restype = ctypes.c_uint32
    return lib


class _RuleNames(ctypes.Structure):
    _fields_ = [(field, ctypes.c_char_p) for field in
                ("rules", "model", "layout", "variant", "options")]


@pytest.mark.parametrize("layout", [AZERTY, QWERTY], ids=["azerty", "qwerty"])
def test_layouts_type_what_libxkbcommon_types(layout):
    """Every key, with every combination of Shift, CapsLock and AltGr, as XKB says.

    Keys pressed in an xkb_state like a keyboard would (XKB keycode = Linux code
    + 8); NumLock on for the keypad. Keys the table leaves out must type no
    printable text in XKB either, except those refused on purpose.
    """
    lib = _xkbcommon()
    context = lib.xkb_context_new(0)
    names = _RuleNames(b"evdev", b"pc105", layout.xkb.encode(), b"", None)
    keymap = lib.xkb_keymap_new_from_names(context, ctypes.byref(names), 0)
    assert keymap, f"xkbcommon has no {layout.xkb} layout"
    refused = {K[n] for n in ("KEY_ESC", "KEY_BACKSPACE", "KEY_ENTER", "KEY_KPENTER")} | {
        101, 111, 117, 118, 121}  # LINEFEED, DELETE, KPEQUAL, KPPLUSMINUS, KPCOMMA
    combos = [(shift, caps, altgr) for shift in (False, True) for caps in (False, True)
              for altgr in ((False, True) if layout.altgr else (False,))]
    mismatches = []
    for shift, caps, altgr in combos:
        for code in range(1, 128):
            state = lib.xkb_state_new(keymap)
            for key, pressed in [(K["KEY_NUMLOCK"], True), (K["KEY_CAPSLOCK"], caps),
                                 (K["KEY_LEFTSHIFT"], shift), (K["KEY_RIGHTALT"], altgr)]:
                if pressed:
                    lib.xkb_state_update_key(state, key + 8, 1)
                    if key in (K["KEY_NUMLOCK"], K["KEY_CAPSLOCK"]):
                        lib.xkb_state_update_key(state, key + 8, 0)
            keysym = lib.xkb_state_key_get_one_sym(state, code + 8)
            lib.xkb_state_unref(state)
            name = ctypes.create_string_buffer(64)
            lib.xkb_keysym_get_name(keysym, name, 64)
            utf32 = lib.xkb_keysym_to_utf32(keysym)
            if name.value.startswith(b"dead_"):
                expected = name.value.decode()
            elif utf32 >= 0x20 or utf32 == 0x09:  # text (and Tab), not control keys
                expected = chr(utf32)
            else:
                expected = None
            mine = layout.symbol(code, shift=shift, altgr=altgr, caps=caps)
            if mine != expected and not (mine is None and code in refused):
                mismatches.append((code, shift, caps, altgr, expected, mine))
    assert mismatches == []


def test_ctrl_bracket_types_gs_in_libxkbcommon_us_as_in_windows():
    """XKB's Control transformation agrees with Windows's kbdus.c for the GS chord."""
    lib = _xkbcommon()
    lib.xkb_state_key_get_utf8.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p,
                                           ctypes.c_size_t]
    names = _RuleNames(b"evdev", b"pc105", b"us", b"", None)
    keymap = lib.xkb_keymap_new_from_names(lib.xkb_context_new(0), ctypes.byref(names), 0)
    state = lib.xkb_state_new(keymap)
    lib.xkb_state_update_key(state, K["KEY_LEFTCTRL"] + 8, 1)
    text = ctypes.create_string_buffer(8)
    lib.xkb_state_key_get_utf8(state, K["KEY_RIGHTBRACE"] + 8, text, 8)
    lib.xkb_state_unref(state)
    assert text.value == b"\x1d" == QWERTY.control(K["KEY_RIGHTBRACE"]).encode()


def test_dead_keys_compose_as_x_compose_table():
    """Each dead-key sequence the decoder accepts types what X's Compose table says."""
    path = Path("/usr/share/X11/locale/en_US.UTF-8/Compose")
    if not path.exists():
        pytest.skip("needs X's Compose table (Debian: libx11-data)")
    lib = _xkbcommon()
    table = {}
    pattern = re.compile(r'^<(dead_\w+)>\s+<(\w+)>\s*:\s*"((?:[^"\\]|\\.)+)"')
    for line in path.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line)
        if match and match[1] in DEAD_KEYS:
            follower = match[2]
            if not follower.startswith("dead_"):
                follower = chr(lib.xkb_keysym_to_utf32(lib.xkb_keysym_from_name(
                    follower.encode(), 0)) or 0xFFFF)
            table[match[1], follower] = match[3].replace('\\"', '"').replace("\\\\", "\\")
    # What can follow a dead key: a character one key types, or a dead key.
    singles = {char for layout in (AZERTY, QWERTY) for char in layout.characters()
               if len(layout.chords_for(char)) == 1}
    composed = {(dead, follower): compose(dead, follower)
                for dead in DEAD_KEYS for follower in [*singles, dead]}
    accepted = {sequence: char for sequence, char in composed.items() if char is not None}
    assert len(accepted) > 300
    assert {sequence: table.get(sequence) for sequence in accepted} == accepted
