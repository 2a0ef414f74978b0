"""The screen as pure code: views, words, layout and the PNG baselines.

Every example of :mod:`borne.display.snapshots` is drawn in both languages on
both panels, shown on luma's dummy device, and compared pixel for pixel with
its baseline in ``tests/snapshots/display``.
"""

from __future__ import annotations

import dataclasses
import json
import string
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from borne.display import snapshots, texts
from borne.display.render import ELLIPSIS, MARGIN, fit, font, render
from borne.display.views import (
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
    VitaleView,
    looks_like_identity,
)

BASELINES = Path(__file__).resolve().parents[1] / "snapshots" / "display"
REGENERATE = "python -m borne.display.snapshots --update --dir tests/snapshots/display"
ALL_SNAPSHOTS = list(snapshots.snapshots())
VIEW_TYPES = (IdleView, CpsView, VitaleView, ApcvPresentedView, SessionView, ReauthView,
              PrescriptionView, PairingView, ErrorView, MobileView)


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


# ---------------------------------------------------------------- baselines


@pytest.mark.parametrize("snapshot", ALL_SNAPSHOTS, ids=lambda s: s.filename)
def test_example_matches_its_baseline(snapshot: snapshots.Snapshot) -> None:
    why = snapshots.difference(snapshot.image(), BASELINES / snapshot.filename)
    assert why is None, (f"{snapshot.filename}: {why}. If the change is meant, regenerate with "
                         f"`{REGENERATE}` and look at the new PNGs before committing.")


def test_no_baseline_without_an_example() -> None:
    expected = {s.filename for s in ALL_SNAPSHOTS}
    stale = sorted(p.name for p in BASELINES.glob("*.png") if p.name not in expected)
    assert not stale, f"baselines with no example: {stale}; `{REGENERATE}` removes them"


def test_the_catalogue_covers_every_view_type() -> None:
    shown = {type(example.view) for example in snapshots.EXAMPLES.values()}
    assert shown == set(VIEW_TYPES)


def test_the_command_reports_differences(tmp_path: Path) -> None:
    assert snapshots.main(["--update", "--dir", str(tmp_path)]) == 0
    assert snapshots.main(["--dir", str(tmp_path)]) == 0
    victim = tmp_path / ALL_SNAPSHOTS[0].filename
    Image.new("1", (128, 64), 0).save(victim)
    (tmp_path / "gone.fr.128x64.png").write_bytes(victim.read_bytes())
    problems = snapshots.check(tmp_path)
    assert any(line.startswith(victim.name) and "differ" in line for line in problems)
    assert any(line.startswith("gone.fr.128x64.png") for line in problems)
    assert snapshots.main(["--dir", str(tmp_path)]) == 1


# ---------------------------------------------------------------- pixels


@pytest.mark.parametrize("snapshot", ALL_SNAPSHOTS, ids=lambda s: s.filename)
def test_pixels_are_what_the_panel_shows_and_clear_of_the_edges(
        snapshot: snapshots.Snapshot) -> None:
    pixels = _pixels(snapshot.image())
    assert pixels.shape == (snapshot.panel.height, snapshot.panel.width)
    levels = set(np.unique(pixels).tolist())
    if snapshot.panel.mode == "1":
        assert levels <= {0, 255}
    else:
        assert all(level % 17 == 0 for level in levels), "SSD1322: 16 gray levels only"
    ring = np.concatenate([pixels[:MARGIN].ravel(), pixels[-MARGIN:].ravel(),
                           pixels[:, :MARGIN].ravel(), pixels[:, -MARGIN:].ravel()])
    assert not ring.any(), "something touches the edge of the screen"
    assert pixels.any(), "an empty screen"


@pytest.mark.parametrize("name", list(snapshots.EXAMPLES))
def test_a_128x32_panel_gets_the_body_alone_clear_of_the_edges(name: str) -> None:
    example = snapshots.EXAMPLES[name]
    pixels = _pixels(render(example.view, width=128, height=32, status=example.status))
    assert pixels.shape == (32, 128) and pixels.any()
    assert not pixels[:MARGIN].any() and not pixels[-MARGIN:].any()
    assert not pixels[:, :MARGIN].any() and not pixels[:, -MARGIN:].any()


@pytest.mark.parametrize("name", list(snapshots.EXAMPLES))
def test_french_and_english_screens_differ(name: str) -> None:
    for panel in snapshots.PANELS:
        french, english = (_pixels(snapshots.Snapshot(name, language, panel).image())
                           for language in ("fr", "en"))
        assert not np.array_equal(french, english), f"{name} is the same in both languages"


@pytest.mark.parametrize("offset", [(2, 1), (-2, 0), (0, -1), (1, 2)])
def test_offset_moves_everything(offset: tuple[int, int]) -> None:
    view = IdleView(readers=2, readers_ok=True, network="10.0.0.7", mode="counter",
                    clock_synced=False, paired_clients=1)
    for width, mode in ((128, "1"), (256, "L")):
        still = _pixels(render(view, width=width, mode=mode))
        moved = _pixels(render(view, width=width, mode=mode, offset=offset))
        dx, dy = offset
        expected = np.zeros_like(still)
        height = still.shape[0]
        expected[max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
            still[max(-dy, 0):height - max(dy, 0), max(-dx, 0):width - max(dx, 0)]
        assert np.array_equal(moved, expected)
        # The margin is as wide as the caller's shift: nothing is lost.
        assert moved.astype(bool).sum() == still.astype(bool).sum()


def test_render_image_modes_and_sizes() -> None:
    monochrome = render(VitaleView(2))
    assert (monochrome.mode, monochrome.size) == ("1", (128, 64))
    gray = render(VitaleView(2), width=256, height=64, mode="L")
    assert (gray.mode, gray.size) == ("L", (256, 64))


def test_rgb_is_the_gray_image_as_luma_grayscale_devices_take_it() -> None:
    gray = render(SessionView(600, 1, 2), width=256, mode="L", offset=(1, 1))
    rgb = render(SessionView(600, 1, 2), width=256, mode="RGB", offset=(1, 1))
    assert rgb.mode == "RGB"
    assert np.array_equal(np.asarray(rgb), np.asarray(gray.convert("RGB")))


def test_an_empty_label_takes_no_room() -> None:
    pixels = _pixels(render(ApcvPresentedView(""), width=256, mode="L"))
    rows = np.nonzero(pixels.any(axis=1))[0]
    above, below = rows[0], pixels.shape[0] - 1 - rows[-1]
    assert abs(above - below) <= 2, "the title alone is centred"


def test_render_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(ValueError, match="mode"):
        render(VitaleView(1), mode="RGBA")
    with pytest.raises(ValueError, match="language"):
        render(VitaleView(1), language="de")
    with pytest.raises(TypeError, match="no screen"):
        render(StatusStrip())  # type: ignore[arg-type]


def test_session_minutes_are_rounded_up_and_the_last_minute_counts_seconds() -> None:
    def screen(seconds: int) -> np.ndarray:
        return _pixels(render(SessionView(seconds, 1, 2)))

    assert np.array_equal(screen(841), screen(900))  # both "15 min"
    assert not np.array_equal(screen(840), screen(841))  # "14 min" / "15 min"
    assert not np.array_equal(screen(60), screen(59))  # "1 min" / "59 s"
    assert not np.array_equal(screen(45), screen(44))  # seconds are shown one by one


def test_status_marks_show_on_any_screen() -> None:
    plain = _pixels(render(PrescriptionView()))
    marked = _pixels(render(PrescriptionView(), status=StatusStrip(clock_synced=False,
                                                                   battery_percent=50)))
    assert not np.array_equal(plain, marked)
    assert marked[:12, 64:].any() and not plain[:12].any()


# ---------------------------------------------------------------- fit


@pytest.mark.parametrize("size", [12, 18])
@pytest.mark.parametrize("width", [0, 5, 9, 30, 60, 124, 252])
def test_fit_never_exceeds_the_width(size: int, width: int) -> None:
    face = font(size, bold=size > 12)
    words = "Marie-Hélène Lefèvre-Dubois de Saint-Exupéry, Pédicure-podologue"
    fitted = fit(words, face, width)
    assert fitted == "" or face.getbbox(fitted)[2] - face.getbbox(fitted)[0] <= width
    assert fitted == "" or fitted.endswith(ELLIPSIS)
    assert fitted.removesuffix(ELLIPSIS).rstrip() in words
    left, _, right, _ = face.getbbox(ELLIPSIS)
    if width < right - left:
        assert fitted == ""


def test_fit_keeps_text_that_fits_as_it_is() -> None:
    assert fit("Carte Vitale lue", font(13), 124) == "Carte Vitale lue"
    assert fit("", font(13), 10) == ""


_FRENCH = st.text(alphabet=st.sampled_from(list("aeioucCÉÀÇôèêëïœ '-…") + ["\u0301", "\u0327"]),
                  max_size=40)


@settings(max_examples=150, deadline=None)
@given(words=_FRENCH, width=st.integers(min_value=0, max_value=130))
def test_fit_cuts_between_characters(words: str, width: int) -> None:
    face = font(12)
    fitted = fit(words, face, width)
    whole = unicodedata.normalize("NFC", words)
    if fitted == whole:
        return
    if fitted:
        left, _, right, _ = face.getbbox(fitted)
        assert right - left <= width
        assert fitted.endswith(ELLIPSIS)
        head = fitted[:-1]
        assert whole.startswith(head)
        following = whole[len(head):len(head) + 1]
        # A text may start with a lone accent (no letter to cut it from): only an
        # accent that follows a kept letter must stay with it.
        assert not (head and unicodedata.combining(following or " ")), \
            "an accent cut from its letter"


# ---------------------------------------------------------------- views carry no identity


NIR_SHAPES = ["184127512345678", "1 84 12 75 123 456 78", "2 84 12 2A 123 456", "1841275123456",
              "2-84-12-2B-123-456-07", "12/05/1980", "1980-05-12", "19800512"]
NOT_IDENTITY = ["192.168.100.200", "fe80::1%wlan0", "482913", "Claire Martin", "pharmacist",
                "reader_unavailable", "10.0.0.7", "Facture 1/2"]


@pytest.mark.parametrize("value", NIR_SHAPES)
def test_no_text_field_takes_a_nir_or_a_birth_date(value: str) -> None:
    assert looks_like_identity(value)
    with pytest.raises(ValueError, match="NIR"):
        CpsView(holder=f"Jean Dupont {value}", profession="doctor")
    with pytest.raises(ValueError):
        IdleView(readers=1, readers_ok=True, network=value, mode="counter", clock_synced=True,
                 paired_clients=0)
    with pytest.raises(ValueError):
        ApcvPresentedView(channel=value)
    with pytest.raises(ValueError):
        ErrorView(code=value)


@pytest.mark.parametrize("value", NOT_IDENTITY)
def test_ordinary_values_are_not_taken_for_identity(value: str) -> None:
    assert not looks_like_identity(value)


def test_views_have_no_field_for_identity_data() -> None:
    forbidden = {"nir", "nia", "ins", "birth", "date", "surname", "name", "patient"}
    for view_type in VIEW_TYPES:
        for field in dataclasses.fields(view_type):
            assert not forbidden & set(field.name.split("_")), (view_type, field.name)
    # The carte Vitale screen gets a count, nothing else.
    assert [(f.name, f.type) for f in dataclasses.fields(VitaleView)] == [("beneficiaries", "int")]
    with pytest.raises(TypeError):
        VitaleView(beneficiaries=1, nir="184127512345678")  # type: ignore[call-arg]


def test_any_pairing_code_length_is_shown() -> None:
    for code in ("4821", "482913", "19800512"):
        assert _pixels(render(PairingView(code, 60))).any()


def test_views_check_their_values() -> None:
    with pytest.raises(ValueError):
        PairingView("48a913", 100)
    with pytest.raises(ValueError):
        ReauthView("tired")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        IdleView(readers=1, readers_ok=True, network=None, mode="kitchen",  # type: ignore[arg-type]
                 clock_synced=True, paired_clients=0)
    with pytest.raises(ValueError):
        ErrorView("Lecteur débranché")
    with pytest.raises(ValueError):
        VitaleView(-1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        VitaleView(1).beneficiaries = 2  # type: ignore[misc]


# ---------------------------------------------------------------- words


def _fields(words: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(words) if name}


def test_every_text_has_french_and_english_with_the_same_fields() -> None:
    for key, entry in texts.TEXTS.items():
        assert len(entry) == len(texts.LANGUAGES), key
        french, english = entry
        assert french.strip() and english.strip(), key
        assert _fields(french) == _fields(english), key


def test_the_domain_words_are_on_screen() -> None:
    assert texts.text("idle.insert_cps") == "Insérez votre carte CPS"
    assert texts.text("vitale.read") == "Carte Vitale lue"
    assert texts.text("apcv.read") == "Appli carte Vitale lue"
    assert texts.text("session.minutes", count=14) == "Session : 14 min"
    assert texts.text("session.invoice", used=1, allowed=2) == "Facture 1/2"
    assert texts.text("reauth.present_again") == "Représentez l'appli carte Vitale"
    assert texts.text("pairing.title") == "Code d'appairage"
    assert texts.error_texts("reader_unavailable") == ("Lecteur débranché", "Rebranchez le lecteur")
    assert texts.counted("mobile.waiting", 3) == "3 lectures en attente"
    assert texts.text("mobile.offline") == "Hors ligne"


def test_counts_agree_in_both_languages() -> None:
    assert texts.counted("vitale.beneficiaries", 1) == "1 bénéficiaire"
    assert texts.counted("vitale.beneficiaries", 3) == "3 bénéficiaires"
    assert texts.counted("vitale.beneficiaries", 3, "en") == "3 beneficiaries"
    assert texts.counted("mobile.waiting", 1, "en") == "1 read waiting"


def test_every_profession_read_from_a_cps_has_a_label() -> None:
    from borne.readers.cards.cps import PROFESSIONS

    for key, _ in PROFESSIONS.values():
        for language in texts.LANGUAGES:
            assert texts.profession_label(key, language) != key, (key, language)
    assert texts.profession_label("pharmacist") == "Pharmacien"
    assert texts.profession_label("nurse", "en") == "Nurse"
    assert texts.profession_label("chiropractor") == "chiropractor"  # unknown: as it is


SCREEN_ERROR_PREFIXES = ("card_", "capture_", "nfc_", "apcv_", "scanner_", "pcsc_", "reader_")


def test_every_device_error_has_words_on_screen() -> None:
    from borne.errors import MESSAGES

    codes = {code for code in MESSAGES if code.startswith(SCREEN_ERROR_PREFIXES)}
    codes |= {"camera_unavailable", "nfc_unavailable"}
    for code in sorted(codes):
        main, hint = texts.error_texts(code)
        assert main != texts.text("error.generic"), f"no screen words for {code}"
        assert hint, f"no hint for {code}"


def test_an_unknown_error_code_is_shown_small_under_a_generic_word() -> None:
    assert texts.error_texts("firmware_partition_readonly") == ("Erreur",
                                                                "firmware_partition_readonly")
    assert texts.error_texts("firmware_partition_readonly", "en")[0] == "Error"


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError, match="language"):
        texts.text("vitale.read", "es")


# ---------------------------------------------------------------- loading


def test_fonts_are_loaded_once() -> None:
    assert font(13) is font(13)
    assert font(13, bold=True) is not font(13)


def test_views_and_words_load_no_imaging_library() -> None:
    code = ("import sys, json, borne.display.views, borne.display.texts; "
            "print(json.dumps(sorted(sys.modules)))")
    modules = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    assert not [m for m in modules if m.split(".")[0] in ("PIL", "luma", "numpy")]
