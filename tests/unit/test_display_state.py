"""Which screen the box shows, folded from events: priorities, timers, dismissal."""

from __future__ import annotations

from borne.display import views as v
from borne.display.state import FLASH_SECONDS, ScreenState


def state_with_reader() -> ScreenState:
    state = ScreenState()
    state.apply("reader.attached", {"slot": "s0"}, 0.0)
    return state


def test_idle_asks_for_the_cps_then_shows_the_profession():
    state = state_with_reader()
    idle = state.view(1.0)
    assert isinstance(idle, v.IdleView) and idle.cps_profession is None
    state.apply("card.decoded", {"slot": "s0", "type": "cps", "profession": "nurse"}, 2.0,
                cps_lookup=lambda slot: ("Anne TEST", "nurse"))
    assert state.view(3.0) == v.CpsView("Anne TEST", "nurse")
    after = state.view(2.0 + FLASH_SECONDS["cps"])
    assert isinstance(after, v.IdleView) and after.cps_profession == "nurse"
    state.apply("card.removed", {"slot": "s0"}, 20.0)
    assert state.view(21.0).cps_profession is None


def test_a_vitale_read_shows_only_the_count_then_goes_away():
    state = state_with_reader()
    state.apply("card.decoded", {"slot": "s0", "type": "vitale", "beneficiaries": 3}, 5.0)
    assert state.view(6.0) == v.VitaleView(3)
    assert isinstance(state.view(5.0 + FLASH_SECONDS["vitale"]), v.IdleView)


def test_session_countdown_invoices_and_reauthentication():
    state = state_with_reader()
    state.apply("apcv.presented", {"presentation_id": "ap-1", "channel": "qr_camera"}, 0.0)
    assert state.view(0.5) == v.ApcvPresentedView("qr_camera")
    state.apply("apcv.session.opened", {"session_id": "se-1", "invoices_allowed": 2,
                                        "expires_in_s": 1200}, 1.0)
    assert state.view(1.0 + 6 * 60) == v.SessionView(14 * 60, 0, 2)
    state.apply("apcv.invoice.claimed", {"session_id": "se-1", "invoice": 1}, 400.0)
    assert state.view(401.0).invoices_used == 1
    state.apply("apcv.session.exhausted", {"session_id": "se-1"}, 500.0)
    assert state.view(501.0) == v.ReauthView("quota")
    assert isinstance(state.view(500.0 + FLASH_SECONDS["reauth"]), v.IdleView)


def test_expiry_says_present_the_app_again():
    state = state_with_reader()
    state.apply("apcv.session.opened", {"session_id": "se-1", "invoices_allowed": 1,
                                        "expires_in_s": 1200}, 0.0)
    state.apply("apcv.session.expired", {"session_id": "se-1"}, 1200.0)
    assert state.view(1201.0) == v.ReauthView("expired")


def test_pairing_code_wins_over_everything_and_counts_down():
    state = state_with_reader()
    state.apply("card.error", {"slot": "s0", "code": "card_removed"}, 0.0)
    state.apply("device.state", {"device": "pcsc", "state": "unavailable"}, 0.0)
    state.show_pairing("482913", 120.0, 0.0)
    assert state.view(15.0) == v.PairingView("482913", 105)
    assert state.view(1.0 + 120.0) == v.ErrorView("pcsc_unavailable")
    state.show_pairing("111111", 300.0, 200.0)
    state.apply("pairing.completed", {"client_id": "ws-1"}, 210.0)
    assert not isinstance(state.view(211.0), v.PairingView)


def test_ok_button_dismisses_a_message():
    state = state_with_reader()
    state.apply("capture.error", {"channel": "qr_camera", "code": "capture_unrecognised"}, 0.0)
    assert state.view(1.0) == v.ErrorView("capture_unrecognised")
    assert state.dismiss(1.5) is True
    assert isinstance(state.view(2.0), v.IdleView)
    assert state.dismiss(2.5) is False


def test_device_down_is_shown_until_it_comes_back():
    state = state_with_reader()
    state.apply("device.state", {"device": "camera", "state": "unavailable"}, 0.0)
    assert state.view(1.0) == v.ErrorView("camera_unavailable")
    state.apply("device.state", {"device": "camera", "state": "available"}, 2.0)
    assert isinstance(state.view(3.0), v.IdleView)


def test_config_fallback_and_full_storage_are_on_screen_with_their_own_words():
    state = state_with_reader()
    state.apply("device.state", {"device": "config", "state": "error"}, 0.0)
    assert state.view(1.0) == v.ErrorView("config_invalid")
    state.apply("device.state", {"device": "storage", "state": "full"}, 2.0)
    assert state.view(3.0) == v.ErrorView("storage_full")  # refused reads matter more
    state.apply("device.state", {"device": "storage", "state": "error"}, 4.0)
    assert state.view(5.0) == v.ErrorView("storage_unavailable")
    state.apply("device.state", {"device": "storage", "state": "available"}, 6.0)
    assert state.view(7.0) == v.ErrorView("config_invalid")


def test_mobile_screen_follows_mode_journal_and_its_warnings():
    state = state_with_reader()
    state.apply("mode.changed", {"mode": "mobile"}, 0.0)
    state.apply("journal.stored", {"seq": 4, "kind": "vitale", "waiting": 2}, 1.0)
    assert state.view(2.0) == v.MobileView(None, False, 2)
    state.apply("journal.retention_warning", {"records": 2, "purge_in_s": 3600}, 3.0)
    assert state.view(4.0) == v.ErrorView("journal_retention")
    state.apply("journal.collected", {"client_id": "ws", "acked": 2, "waiting": 0}, 20.0)
    assert state.view(21.0) == v.MobileView(None, False, 0)
    state.apply("journal.stored", {"seq": 9, "kind": "vitale", "waiting": 1}, 22.0)
    state.apply("journal.purged", {"records": 1, "waiting": 0}, 23.0)  # a revoked tablet's
    assert state.view(24.0) == v.MobileView(None, False, 0)
    state.apply("journal.recovered", {"set_aside": "journal.db.corrupt-1"}, 30.0)
    assert state.view(31.0) == v.ErrorView("journal_recovered")
    state.apply("mode.changed", {"mode": "counter"}, 40.0)
    assert isinstance(state.view(50.0), v.IdleView)


def test_next_change_drives_the_countdown_ticks():
    state = state_with_reader()
    assert state.next_change(0.0) is None
    state.apply("apcv.session.opened", {"session_id": "se-1", "invoices_allowed": 1,
                                        "expires_in_s": 10}, 0.0)
    assert state.next_change(0.0) == 1.0
    assert state.next_change(9.5) == 10.0


def test_capture_channels_have_screen_labels():
    from borne.display.texts import channel_label
    from borne.readers.capture import CHANNELS

    labels = {channel: channel_label(channel) for channel in CHANNELS}
    assert labels == {"qr_camera": "QR code", "qr_scanner": "Douchette", "nfc": "NFC",
                      "pcsc_contactless": "Sans contact"}
