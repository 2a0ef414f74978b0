"""The screen and the Wi-Fi: the question before joining, its answer, the signal bars."""

from __future__ import annotations

from borne.display import views as v
from borne.display.render import render
from borne.display.state import ScreenState
from borne.events import NetworkFailed, NetworkJoined, NetworkOffered


def test_a_code_shown_asks_until_pressed_or_late():
    state = ScreenState()
    state.apply(NetworkOffered(ssid="Pharmacie du Port", expires_in_s=30), 10.0)
    assert state.view(11.0) == v.WifiOfferView("Pharmacie du Port", 29)
    assert not state.take_wifi_press(41.0)  # too late: nothing to confirm
    state.apply(NetworkOffered(ssid="Pharmacie du Port", expires_in_s=30), 50.0)
    assert state.take_wifi_press(51.0) and not state.take_wifi_press(51.5)  # one press, one join


def test_joined_and_failed_are_shown():
    state = ScreenState()
    state.apply(NetworkOffered(ssid="Maison", expires_in_s=30), 0.0)
    state.apply(NetworkJoined(ssid="Maison", address="10.0.0.7", interface="wifi"), 1.0)
    assert state.view(2.0) == v.WifiJoinedView("Maison", "10.0.0.7")
    state.apply(NetworkFailed(ssid="Maison", code="network_wrong_password", message="x"), 3.0)
    assert state.view(4.0) == v.ErrorView("network_wrong_password")


def ink(signal: int | None) -> int:
    """Lit pixels of the status line's top-right corner."""
    image = render(v.PrescriptionView(), width=128, height=64, mode="1", language="fr",
                   offset=(0, 0), status=v.StatusStrip(wifi_signal=signal)).convert("L")
    corner = image.crop((96, 0, 128, 12))
    return sum(1 for x in range(corner.width) for y in range(corner.height) if corner.getpixel((x, y)))


def test_the_signal_bars_fill_with_the_signal():
    assert ink(None) == 0
    assert 0 < ink(0) < ink(20) < ink(60) < ink(100)


def test_the_question_and_the_answer_render_in_french_and_english():
    for language in ("fr", "en"):
        for view in (v.WifiOfferView("Pharmacie du Port", 12), v.WifiJoinedView("Maison", None)):
            assert render(view, width=128, height=64, mode="1", language=language,
                          offset=(0, 0)).getbbox() is not None
