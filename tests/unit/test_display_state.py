"""Which screen the box shows, folded from events: priorities, timers, dismissal."""

from __future__ import annotations

from borne import events as ev
from borne.display import views as v
from borne.display.state import FLASH_SECONDS, ScreenState


def device(name: str, state: str) -> ev.DeviceState:
    return ev.DeviceState(device=name, state=state, detail=None)


def opened(session_id: str, allowed: int, expires_in_s: int) -> ev.SessionOpened:
    return ev.SessionOpened(session_id=session_id, presentation_id="ap-1", profession="nurse",
                            invoices_allowed=allowed, expires_in_s=expires_in_s,
                            quota_source="card")


def stored(seq: int, waiting: int) -> ev.JournalStored:
    return ev.JournalStored(seq=seq, kind="vitale", waiting=waiting)


def state_with_reader() -> ScreenState:
    state = ScreenState()
    state.apply(ev.ReaderAttached(slot="s0", id="s0", name="Reader 0", kind="contact",
                                  backend="pcsc"), 0.0)
    return state


def test_idle_asks_for_the_cps_then_shows_the_profession():
    state = state_with_reader()
    idle = state.view(1.0)
    assert isinstance(idle, v.IdleView) and idle.cps_profession is None
    state.apply(ev.CardDecoded(slot="s0", card_type="cps", generation="CPS3", profession="nurse",
                               detected_ns=1), 2.0, cps_lookup=lambda slot: ("Anne TEST", "nurse"))
    assert state.view(3.0) == v.CpsView("Anne TEST", "nurse")
    after = state.view(2.0 + FLASH_SECONDS["cps"])
    assert isinstance(after, v.IdleView) and after.cps_profession == "nurse"
    state.apply(ev.CardRemoved(slot="s0", detected_ns=2), 20.0)
    assert state.view(21.0).cps_profession is None


def test_a_vitale_read_shows_only_the_count_then_goes_away():
    state = state_with_reader()
    state.apply(ev.CardDecoded(slot="s0", card_type="vitale", beneficiaries=3, detected_ns=1),
                5.0)
    assert state.view(6.0) == v.VitaleView(3)
    assert isinstance(state.view(5.0 + FLASH_SECONDS["vitale"]), v.IdleView)


def test_session_countdown_invoices_and_reauthentication():
    state = state_with_reader()
    state.apply(ev.ApcvPresented(presentation_id="ap-1", channel="qr_camera", expires_in_s=120,
                                 detected_ns=1), 0.0)
    assert state.view(0.5) == v.ApcvPresentedView("qr_camera")
    state.apply(opened("se-1", 2, 1200), 1.0)
    assert state.view(1.0 + 6 * 60) == v.SessionView(14 * 60, 0, 2)
    state.apply(ev.InvoiceClaimed(session_id="se-1", invoice=1, invoices_allowed=2,
                                  seconds_left=800, invoices_used=1), 400.0)
    assert state.view(401.0).invoices_used == 1
    state.apply(ev.SessionExhausted(session_id="se-1", invoices_used=2), 500.0)
    assert state.view(501.0) == v.ReauthView("quota")
    assert isinstance(state.view(500.0 + FLASH_SECONDS["reauth"]), v.IdleView)


def test_a_released_invoice_brings_the_session_back_on_screen():
    state = state_with_reader()
    state.apply(opened("se-1", 2, 1200), 0.0)
    for number in (1, 2):
        state.apply(ev.InvoiceClaimed(session_id="se-1", invoice=number, invoices_allowed=2,
                                      seconds_left=1100, invoices_used=number), 100.0)
    state.apply(ev.SessionExhausted(session_id="se-1", invoices_used=2), 100.0)
    assert state.view(101.0) == v.ReauthView("quota")
    state.apply(ev.InvoiceReleased(session_id="se-1", invoice=2, reason="signature_failed",
                                   invoices_used=1, invoices_allowed=2, seconds_left=1000), 200.0)
    assert state.view(201.0) == v.SessionView(999, 1, 2)  # "Facture 1/2", the countdown on
    state.apply(ev.InvoiceClaimed(session_id="se-1", invoice=3, invoices_allowed=2,
                                  seconds_left=900, invoices_used=2), 300.0)
    assert state.view(301.0) == v.SessionView(899, 2, 2)  # the number is 3, the count 2


def test_expiry_says_present_the_app_again():
    state = state_with_reader()
    state.apply(opened("se-1", 1, 1200), 0.0)
    state.apply(ev.SessionExpired(session_id="se-1", invoices_used=0), 1200.0)
    assert state.view(1201.0) == v.ReauthView("expired")


def test_pairing_code_wins_over_everything_and_counts_down():
    state = state_with_reader()
    state.apply(ev.CardFailed(slot="s0", code="card_removed", message="Card removed",
                              detected_ns=1), 0.0)
    state.apply(device("pcsc", "unavailable"), 0.0)
    state.show_pairing("482913", 120.0, 0.0)
    assert state.view(15.0) == v.PairingView("482913", 105)
    assert state.view(1.0 + 120.0) == v.ErrorView("pcsc_unavailable")
    state.show_pairing("111111", 300.0, 200.0)
    state.apply(ev.PairingCompleted(client_id="ws-1"), 210.0)
    assert not isinstance(state.view(211.0), v.PairingView)


def test_ok_button_dismisses_a_message():
    state = state_with_reader()
    state.apply(ev.CaptureFailed(channel="qr_camera", code="capture_unrecognised",
                                 message="Unrecognised code", detected_ns=1), 0.0)
    assert state.view(1.0) == v.ErrorView("capture_unrecognised")
    assert state.dismiss(1.5) is True
    assert isinstance(state.view(2.0), v.IdleView)
    assert state.dismiss(2.5) is False


def test_device_down_is_shown_until_it_comes_back():
    state = state_with_reader()
    state.apply(device("camera", "unavailable"), 0.0)
    assert state.view(1.0) == v.ErrorView("camera_unavailable")
    state.apply(device("camera", "available"), 2.0)
    assert isinstance(state.view(3.0), v.IdleView)


def test_config_fallback_and_full_storage_are_on_screen_with_their_own_words():
    state = state_with_reader()
    state.apply(device("config", "error"), 0.0)
    assert state.view(1.0) == v.ErrorView("config_invalid")
    state.apply(device("storage", "full"), 2.0)
    assert state.view(3.0) == v.ErrorView("storage_full")  # refused reads matter more
    state.apply(device("storage", "error"), 4.0)
    assert state.view(5.0) == v.ErrorView("storage_unavailable")
    state.apply(device("storage", "available"), 6.0)
    assert state.view(7.0) == v.ErrorView("config_invalid")


def test_mobile_screen_follows_mode_journal_and_its_warnings():
    state = state_with_reader()
    state.apply(ev.ModeChanged(mode="mobile"), 0.0)
    state.apply(stored(4, 2), 1.0)
    assert state.view(2.0) == v.MobileView(None, False, 2)
    state.apply(ev.JournalRetentionWarning(records=2, purge_in_s=3600), 3.0)
    assert state.view(4.0) == v.ErrorView("journal_retention")
    state.apply(ev.JournalCollected(client_id="ws", acked=2, waiting=0), 20.0)
    assert state.view(21.0) == v.MobileView(None, False, 0)
    state.apply(stored(9, 1), 22.0)
    state.apply(ev.JournalPurged(records=1, waiting=0), 23.0)  # a revoked tablet's
    assert state.view(24.0) == v.MobileView(None, False, 0)
    state.apply(ev.JournalRecovered(set_aside="journal.db.corrupt-1"), 30.0)
    assert state.view(31.0) == v.ErrorView("journal_recovered")
    state.apply(ev.ModeChanged(mode="counter"), 40.0)
    assert isinstance(state.view(50.0), v.IdleView)


def test_next_change_drives_the_countdown_ticks():
    state = state_with_reader()
    assert state.next_change(0.0) is None
    state.apply(opened("se-1", 1, 10), 0.0)
    assert state.next_change(0.0) == 1.0
    assert state.next_change(9.5) == 10.0


def test_events_the_screen_does_not_show_change_nothing():
    state = state_with_reader()
    for data in (ev.CardInserted(slot="s0", atr=b"\x3b", detected_ns=1),
                 ev.DaemonStarted(ready_after_s=0.1), ev.PairingOpened(expires_in_s=120),
                 ev.ClientRevoked(client_id="ws"), ev.DaemonStopping(),
                 ev.PresentationExpired(presentation_id="ap-1", kind="apcv")):
        assert state.apply(data, 5.0) is False, data
    assert state.last_activity == 0.0 and isinstance(state.view(6.0), v.IdleView)
    assert state.apply(device("pcsc", "available"), 7.0) is True and state.last_activity == 7.0


def test_capture_channels_have_screen_labels():
    from borne.display.texts import channel_label
    from borne.readers.capture import CHANNELS

    labels = {channel: channel_label(channel) for channel in CHANNELS}
    assert labels == {"qr_camera": "QR code", "qr_scanner": "Douchette", "nfc": "NFC",
                      "pcsc_contactless": "Sans contact"}


def test_a_cps_without_its_profession_shows_the_sites_or_asks_for_the_setting():
    def cps_in(state: ScreenState, profession: str | None) -> v.IdleView:
        state.apply(ev.CardDecoded(slot="s0", card_type="cps", generation="CPS4",
                                   profession=profession, detected_ns=1), 2.0,
                    cps_lookup=lambda slot: (None, profession))
        return state.view(2.0 + FLASH_SECONDS["cps"])

    unset = cps_in(state_with_reader(), None)  # a real CPS, no site_profession
    assert (unset.cps_profession, unset.profession_unset) == (None, True)
    site = state_with_reader()
    site.site_profession = "pharmacist"
    assert (cps_in(site, None).cps_profession, cps_in(site, None).profession_unset) == (
        "pharmacist", False)
    assert cps_in(site, "nurse").cps_profession == "nurse"  # the card's own wins
    empty = state_with_reader()
    empty.site_profession = "pharmacist"
    idle = empty.view(1.0)  # no CPS: insert it, whatever the site
    assert (idle.cps_profession, idle.profession_unset) == (None, False)
