"""QR decoders, the frame pipeline and the seen-codes tracker, on real generated frames."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageFilter

from borne.readers.qr.camera_images import _load_picture
from borne.readers.qr.decoders import DECODERS, make_decoder
from borne.readers.qr.pipeline import DEFAULT_STEPS, FramePipeline, SeenCodes
from borne.sim.qr_frames import paste_phone, phone_image, qr_modules, render_qr_frame
from support.machine import NEEDS_LIBZBAR

PRESCRIPTION = b"01S2TBPZ2JCNZZYGHZ"
#: Every byte value, NULs and invalid UTF-8 included: what zbar's text conversion would mangle.
BINARY = bytes(range(256)) + b"\x00\xff\x00" + "héllo".encode()


def gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image)


@pytest.fixture(params=[pytest.param(name, marks=[NEEDS_LIBZBAR] if name == "pyzbar" else [])
                        for name in sorted(DECODERS)])
def decoder(request):
    return make_decoder(request.param)


def test_decodes_a_clean_frame(decoder):
    assert decoder.decode(gray(render_qr_frame(PRESCRIPTION))) == [PRESCRIPTION]


def test_binary_payload_comes_back_byte_for_byte(decoder):
    assert decoder.decode(gray(render_qr_frame(BINARY, 1280, 720))) == [BINARY]
    if decoder.name == "pyzbar":
        assert decoder.exact  # libzbar0 >= 0.23 accepts ZBAR_CFG_BINARY


def test_two_codes_in_one_frame_are_both_found(decoder):
    second = b"https://example.org/" + b"x" * 40
    frame = Image.new("L", (1280, 720), 128)
    for payload, x in ((PRESCRIPTION, 100), (second, 700)):
        phone = phone_image(qr_modules(payload), 4)
        paste_phone(frame, phone.image, phone.mask, (x, 40))
    assert sorted(decoder.decode(gray(frame))) == sorted([PRESCRIPTION, second])


def test_noise_and_flat_frames_give_nothing(decoder):
    noise = np.random.default_rng(7).integers(0, 256, (480, 640), dtype=np.uint8)
    assert decoder.decode(noise) == []
    assert FramePipeline(decoder).decode(noise) == []
    assert FramePipeline(decoder).decode(np.full((480, 640), 128, np.uint8)) == []


def _low_contrast(levels: int) -> np.ndarray:
    frame = gray(render_qr_frame(PRESCRIPTION, 640, 480, module_px=5)).astype(float)
    return (100 + frame * levels / 255).round().astype(np.uint8)


def _blurred(sigma: float) -> np.ndarray:
    return gray(render_qr_frame(PRESCRIPTION, 640, 480, module_px=5)
                .filter(ImageFilter.GaussianBlur(sigma)))


@pytest.mark.parametrize(("name", "degraded"), [
    ("zxing", lambda: _low_contrast(16)),   # 16 gray levels: under zxing's contrast floor
    ("zxing", lambda: _blurred(3.0)),       # blur sigma 0.6 module
    pytest.param("pyzbar", lambda: _blurred(2.5), marks=NEEDS_LIBZBAR),
])
def test_pipeline_decodes_what_the_plain_decoder_misses(name, degraded):
    frame = degraded()
    decoder = make_decoder(name)
    assert decoder.decode(frame) == []
    pipeline = FramePipeline(decoder)
    assert pipeline.decode(frame) == [PRESCRIPTION]
    assert pipeline.last_step in DEFAULT_STEPS


class ScriptedDecoder:
    """Finds ``b"code"`` only at the calls whose number (from 0) is in ``hits``."""

    name = "scripted"

    def __init__(self, hits: set[int]) -> None:
        self.hits, self.calls = hits, 0

    def decode(self, frame: np.ndarray) -> list[bytes]:
        self.calls += 1
        return [b"code", b"code"] if self.calls - 1 in self.hits else []


FRAME = np.zeros((64, 64), np.uint8)


def test_pipeline_tries_the_plain_frame_first_and_stops_at_the_first_hit():
    decoder = ScriptedDecoder({0})
    pipeline = FramePipeline(decoder)
    assert pipeline.decode(FRAME) == [b"code"]  # duplicates within a frame collapse
    assert (decoder.calls, pipeline.last_step) == (1, "plain")

    decoder = ScriptedDecoder({2})
    pipeline = FramePipeline(decoder, ("half", "stretch", "sharpen"))
    assert pipeline.decode(FRAME) == [b"code"]
    assert (decoder.calls, pipeline.last_step) == (3, "stretch")


def test_pipeline_on_an_empty_frame_tries_every_step_once():
    decoder = ScriptedDecoder(set())
    assert FramePipeline(decoder).decode(FRAME) == []
    assert decoder.calls == 1 + len(DEFAULT_STEPS)


def test_one_transform_per_frame_cycles_and_sticks_to_the_step_that_worked():
    steps = ("half", "stretch", "sharpen")
    decoder = ScriptedDecoder(set())
    pipeline = FramePipeline(decoder, steps, transforms_per_frame=1)
    pipeline.decode(FRAME)
    pipeline.decode(FRAME)
    assert decoder.calls == 4  # plain + one transform, twice
    decoder.hits = {5}  # third frame: its transform ("sharpen") finds the code
    assert pipeline.decode(FRAME) == [b"code"]
    assert pipeline.last_step == "sharpen"
    decoder.hits = {7}
    pipeline.decode(FRAME)
    assert pipeline.last_step == "sharpen"  # tried first again on the next frame


def test_unknown_step_is_refused():
    with pytest.raises(ValueError, match="blurify"):
        FramePipeline(ScriptedDecoder(set()), ("half", "blurify"))


def test_make_decoder_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="quagga"):
        make_decoder("quagga")


# -- seen codes ------------------------------------------------------------------------------

def test_a_code_held_in_view_is_one_presentation():
    seen = SeenCodes(forget_after_s=2.0)
    assert seen.update([b"a"], now=10.0) == [b"a"]
    for tick in range(1, 100):
        assert seen.update([b"a"], now=10.0 + tick * 0.1) == []


def test_a_code_counts_again_only_after_being_out_of_view_long_enough():
    seen = SeenCodes(forget_after_s=2.0)
    seen.update([b"a"], now=0.0)
    assert seen.update([], now=1.0) == []
    assert seen.update([b"a"], now=1.9) == []  # out of view 1.9 s < 2 s: the same presentation
    assert seen.update([], now=3.0) == []
    assert seen.update([b"a"], now=4.0) == [b"a"]  # out of view 2.1 s (since 1.9): a new one


def test_missed_frames_do_not_end_a_presentation():
    seen = SeenCodes(forget_after_s=0.5)
    seen.update([b"a"], now=0.0)
    for tick in range(1, 30):  # decoded only every 4th frame (blur, a hand)
        assert seen.update([b"a"] if tick % 4 == 0 else [], now=tick * 0.1) == []


def test_two_codes_in_one_frame_are_two_presentations():
    seen = SeenCodes(forget_after_s=2.0)
    assert seen.update([b"a", b"b", b"a"], now=0.0) == [b"a", b"b"]
    assert seen.update([b"b", b"c"], now=0.1) == [b"c"]


def test_tracker_keeps_no_payload():
    seen = SeenCodes(forget_after_s=2.0)
    seen.update([PRESCRIPTION], now=0.0)
    assert len(seen) == 1
    assert PRESCRIPTION not in repr(vars(seen)).encode()


# -- pictures ----------------------------------------------------------------------------------

def test_garbage_picture_gives_no_frame(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really a picture")
    assert _load_picture(str(bad), 640, 480) is None
    truncated = tmp_path / "cut.png"
    render_qr_frame(PRESCRIPTION, 640, 480).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:500])
    assert _load_picture(str(truncated), 640, 480) is None


def test_picture_of_another_size_is_scaled_to_the_frame(tmp_path):
    path = tmp_path / "small.png"
    render_qr_frame(PRESCRIPTION, 400, 400).convert("RGB").save(path)
    frame = _load_picture(str(path), 640, 480)
    assert frame.shape == (480, 640) and frame.dtype == np.uint8
    assert make_decoder("zxing").decode(frame) == [PRESCRIPTION]


def test_qr_modules_keep_prescriptions_alphanumeric():
    # An 18-character prescription number fits a version 1 code in alphanumeric mode.
    assert qr_modules(PRESCRIPTION).shape == (21, 21)


def test_camera_modules_load_no_decoder_or_camera_library():
    code = ("import sys, json, borne.readers.qr.camera_images, borne.readers.qr.camera_picamera2, "
            "borne.readers.qr.pipeline, borne.readers.qr.decoders; "
            "print(json.dumps(sorted(sys.modules)))")
    modules = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    heavy = ("zxingcpp", "pyzbar", "picamera2", "libcamera", "PIL", "numpy", "segno")
    assert [m for m in modules if m.split(".")[0] in heavy] == []
