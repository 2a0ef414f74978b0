"""The screen follows the daemon: real events, real rendering, luma's dummy panel, mock pins.

The daemon runs on the real PC/SC stack (private pcscd, virtual cards); what the
panel shows is compared with the view the situation calls for, rendered the same way.
"""

from __future__ import annotations

import asyncio

import pytest

from borne.config import parse_config
from borne.display import views as v
from borne.display.render import render

from support.box import running_box

pytestmark = pytest.mark.pcscd


async def until(predicate, what: str, timeout: float = 8.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def screen(**display: float) -> dict[str, dict]:
    """The box's screen and buttons: luma's dummy panel, mock pins, short retries and presses."""
    return {"display": {"device": "dummy:128x64", "retry_s": 0.2, **display},
            "panel": {"pins": "mock", "long_press_s": 0.3}}


def shows(box, view) -> bool:
    """Whether the panel shows ``view`` (drawn as the service draws it)."""
    shown = box.display.last_image
    if shown is None:
        return False
    from borne.display.views import StatusStrip

    expected = render(view, width=128, height=64, mode="1",
                      status=StatusStrip(clock_synced=box.clock.wall().synchronised))
    return shown.tobytes() == expected.tobytes()


@pytest.fixture
async def box(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path, **screen()) as daemon:
        yield daemon


async def test_the_screen_follows_cards_and_the_apcv(box, card_slots):
    display = box.display
    await until(lambda: isinstance(display.state.view(box.clock.monotonic()), v.IdleView)
                and display.last_image is not None, "the idle screen")
    card_slots.insert(0, "vitale-family")
    await until(lambda: shows(box, v.VitaleView(3)), "Carte Vitale lue, 3 bénéficiaires")
    card_slots.insert(1, "cps-pharmacist")
    await until(lambda: isinstance(display.state.view(box.clock.monotonic()), v.CpsView),
                "the CPS screen")
    cps = display.state.view(box.clock.monotonic())
    assert cps.profession == "pharmacist" and cps.holder  # the professional's own name
    assert box.core.devices["display"]["state"] == "available"
    # An apCV presented, then its session: the countdown and the invoices.
    box.apcv.payload_captured("qr_camera", b"T" * 80, 0)
    await until(lambda: shows(box, v.ApcvPresentedView("qr_camera")), "Appli carte Vitale lue")
    presentation = [e for e in box.bus.history() if e.type == "apcv.presented"][-1]
    pid = presentation.data.presentation_id
    box.apcv.fetch(pid, "apcv", "ws-a")
    session = box.apcv.open_session(pid, "ws-a")
    box.apcv.claim(session.id, "ws-a")
    await until(lambda: isinstance(display.state.view(box.clock.monotonic()), v.SessionView)
                and display.state.view(box.clock.monotonic()).invoices_used == 1,
                "Session : 20 min, Facture 1/2")
    box.apcv.claim(session.id, "ws-a")
    await until(lambda: shows(box, v.ReauthView("quota")), "Représentez l'appli carte Vitale")


async def test_long_press_opens_pairing_and_the_code_is_on_screen(box):
    panel = box.display.panel
    await asyncio.to_thread(panel.press_for_test, 0.6)
    window = box.api_context.pairing.current()
    assert window is not None  # opened by the button
    await until(lambda: isinstance(box.display.state.view(box.clock.monotonic()), v.PairingView),
                "the pairing code")
    assert box.display.state.view(box.clock.monotonic()).code == window.code
    assert window.code not in str([e.data for e in box.bus.history()])  # never in an event
    box.api_context.pairing.close()  # closed early (e.g. too many wrong codes)
    await until(lambda: not isinstance(box.display.state.view(box.clock.monotonic()),
                                       v.PairingView), "the code leaving the screen", 3)


async def test_short_press_dismisses_a_message(box, card_slots):
    card_slots.insert(0, "vitale-single")
    await until(lambda: shows(box, v.VitaleView(1)), "the Vitale message")
    await asyncio.to_thread(box.display.panel.press_for_test, 0.05)
    await until(lambda: isinstance(box.display.state.view(box.clock.monotonic()), v.IdleView),
                "back to idle")
    assert box.api_context.pairing.current() is None  # a short press never opens pairing


async def test_a_failing_panel_is_reported_and_retried_without_stopping_the_daemon(box,
                                                                                   card_slots):
    box.display._device.i2c_bus.fail_next(3)
    card_slots.insert(0, "vitale-single")  # something to draw: the panel fails
    await until(lambda: box.core.devices.get("display", {}).get("state") == "error",
                "display: error")
    await until(lambda: box.core.devices["display"]["state"] == "available", "the panel back")
    await until(lambda: shows(box, v.VitaleView(1)) or isinstance(
        box.display.state.view(box.clock.monotonic()), v.IdleView), "a frame on the panel")
    assert box.core.slots  # the readers ran on throughout


async def test_idle_dims_and_shifts_against_burn_in(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path, **screen(dim_after_s=0.3, shift_every_s=1.0)) as daemon:
        display = daemon.display
        await until(lambda: display._shown is not None and display._shown[1] == 16,
                    "the dimmed contrast")
        first = display.last_image.tobytes()
        await until(lambda: display.last_image.tobytes() != first, "a shifted frame", 4)
        card_slots.insert(0, "vitale-single")  # activity: full brightness again
        await until(lambda: display._shown[1] == 200, "full brightness")


def test_night_off_hours():
    from borne.display.service import in_night_off

    assert in_night_off("22:00-07:00", 23, 30) and in_night_off("22:00-07:00", 6, 59)
    assert not in_night_off("22:00-07:00", 7, 0) and not in_night_off("", 3, 0)
    assert in_night_off("12:00-14:00", 13, 0) and not in_night_off("12:00-14:00", 14, 0)


def test_a_bad_display_path_fails_the_config_naming_the_key():
    from borne.errors import ConfigError

    with pytest.raises(ConfigError, match="display.device"):
        parse_config({"display": {"device": "luma:ssd1306:i2c:1:zz"}})
    with pytest.raises(ConfigError, match="display.shift_px"):
        parse_config({"display": {"shift_px": 5}})
