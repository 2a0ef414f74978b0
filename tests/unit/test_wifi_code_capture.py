"""A phone's Wi-Fi QR code through the box's real capture paths: drawn with segno on a
phone in a camera picture (the ``images:`` twin's loader and the frame pipeline, each
decoder), and typed by a USB scanner (its key events, both layouts); what comes out is
recognised as a ``WIFI:`` code and parsed, escapes and UTF-8 included."""

from __future__ import annotations

import pytest

from borne.network.wifi_code import is_wifi_code, parse_wifi
from borne.readers.qr.camera_images import _load_picture
from borne.readers.qr.decoders import DECODERS, make_decoder
from borne.readers.qr.key_decoder import KeyDecoder, Payload
from borne.readers.qr.keymaps import keystrokes_for
from borne.readers.qr.pipeline import FramePipeline
from borne.sim.qr_frames import render_qr_frame
from support.machine import NEEDS_LIBZBAR

# (code as the phone encodes it, ssid, password, security, hidden)
CODES = [
    ("WIFI:S:Pharmacie du Port;T:WPA;P:motdepasse1;H:false;;",
     "Pharmacie du Port", "motdepasse1", "wpa-psk", False),
    ("WIFI:T:SAE;S:Cabinet infirmier;P:wpa3-personnel;H:true;;",
     "Cabinet infirmier", "wpa3-personnel", "sae", True),
    ("WIFI:T:WPA;S:a\\;b\\,c\\:d\\\\e;P:p\\;w\\\"d\\\\12;;", "a;b,c:d\\e", 'p;w"d\\12',
     "wpa-psk", False),
    ("WIFI:T:WPA;S:Pharmacie Économe ☕;P:ete-2026-ok;;", "Pharmacie Économe ☕", "ete-2026-ok",
     "wpa-psk", False),
    ('WIFI:S:"Salle d\'attente";T:nopass;;', "Salle d'attente", None, "open", False),
]


def _check(payload: bytes, ssid, password, security, hidden):
    assert is_wifi_code(payload)
    creds = parse_wifi(payload)
    assert (creds.ssid, creds.password, creds.security, creds.hidden) == (
        ssid, password, security, hidden)


@pytest.fixture(params=[pytest.param(name, marks=[NEEDS_LIBZBAR] if name == "pyzbar" else [])
                        for name in sorted(DECODERS)])
def pipeline(request):
    return FramePipeline(make_decoder(request.param))


@pytest.mark.parametrize(("text", "ssid", "password", "security", "hidden"), CODES)
def test_a_phone_shown_to_the_camera(tmp_path, pipeline, text, ssid, password, security,
                                     hidden):
    picture = tmp_path / "shown.png"
    render_qr_frame(text.encode()).save(picture)
    frame = _load_picture(str(picture), 1280, 720)
    payloads = pipeline.decode(frame)
    assert payloads == [text.encode()]
    _check(payloads[0], ssid, password, security, hidden)


def test_a_small_phone_far_from_the_camera(tmp_path, pipeline):
    text, *expected = CODES[2]
    picture = tmp_path / "far.png"
    render_qr_frame(text.encode(), 640, 480, module_px=3, center=(200, 150)).save(picture)
    (payload,) = pipeline.decode(_load_picture(str(picture), 640, 480))
    _check(payload, *expected)


def _scanned(text: str, layout: str) -> list:
    decoder, outcomes, t = KeyDecoder(layout), [], 10.0
    for code, value in keystrokes_for(text, layout, enter=True):
        t += 0.003
        outcomes += decoder.feed(code, value, t)
    return outcomes


@pytest.mark.parametrize("layout", ["azerty", "qwerty"])
@pytest.mark.parametrize(("text", "ssid", "password", "security", "hidden"), [
    c for c in CODES if c[0].isascii()])
def test_a_code_typed_by_the_usb_scanner(layout, text, ssid, password, security, hidden):
    (outcome,) = _scanned(text, layout)
    assert isinstance(outcome, Payload)
    _check(outcome.data, ssid, password, security, hidden)


def test_an_accented_code_typed_by_a_french_scanner():
    text = "WIFI:T:WPA;S:Pharmacie élégante;P:motdepasse;;"
    (outcome,) = _scanned(text, "azerty")
    _check(outcome.data, "Pharmacie élégante", "motdepasse", "wpa-psk", False)
