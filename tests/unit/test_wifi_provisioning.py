"""The box joins a shown network only when the person at the box confirms it: a button
press within 30 s of the offer, or a provisioning window opened at the box."""

from __future__ import annotations

import pytest

from borne.network.provisioning import Offer, Provisioning
from borne.network.wifi_code import WifiCredentials

PHARMACY = WifiCredentials(ssid="Pharmacie", password="motdepasse1", security="wpa-psk",
                           hidden=False)
PATIENT = WifiCredentials(ssid="Patient", password="autrechose", security="wpa-psk",
                          hidden=False)


def test_a_press_within_30_s_confirms():
    box = Provisioning()
    offer = box.offer(PHARMACY, now=100.0)
    assert offer == Offer(ssid="Pharmacie", deadline=130.0, replaced=None, confirmed=None)
    assert box.pending == "Pharmacie"
    assert box.press(now=129.5) == PHARMACY
    assert box.pending is None
    assert box.press(now=129.6) is None  # taken once


def test_no_press_does_nothing_and_expires():
    box = Provisioning()
    box.offer(PHARMACY, now=0.0)
    assert box.expire(now=29.0) is None
    assert box.pending == "Pharmacie"
    assert box.expire(now=30.5) == "Pharmacie"
    assert box.pending is None
    assert box.expire(now=31.0) is None


def test_a_late_press_does_nothing():
    box = Provisioning()
    box.offer(PHARMACY, now=0.0)
    assert box.press(now=30.01) is None
    assert box.pending is None  # the stale offer is gone: a later press cannot revive it
    assert box.press(now=31.0) is None


def test_a_press_with_nothing_shown_is_not_ours():
    assert Provisioning().press(now=5.0) is None


def test_the_confirmation_time_is_a_setting():
    box = Provisioning(confirm_s=10)
    assert box.offer(PHARMACY, now=0.0).deadline == 10.0
    assert box.press(now=10.5) is None
    with pytest.raises(ValueError):
        Provisioning(confirm_s=0)


def test_a_second_code_replaces_the_first():
    box = Provisioning()
    box.offer(PHARMACY, now=0.0)
    second = box.offer(PATIENT, now=10.0)
    assert (second.ssid, second.replaced, second.deadline) == ("Patient", "Pharmacie", 40.0)
    assert box.pending == "Patient"
    # The press confirms what the screen shows now, never the first code.
    assert box.press(now=11.0) == PATIENT


def test_the_same_code_seen_again_keeps_its_offer():
    # The camera sees the phone on every frame: the prompt and its deadline do not move.
    box = Provisioning()
    first = box.offer(PHARMACY, now=0.0)
    assert box.offer(PHARMACY, now=20.0) == first
    assert box.press(now=29.0) == PHARMACY


def test_the_same_code_after_its_offer_expired_is_a_new_offer():
    box = Provisioning()
    box.offer(PHARMACY, now=0.0)
    again = box.offer(PHARMACY, now=45.0)
    assert (again.deadline, again.replaced) == (75.0, None)


def test_a_window_opened_at_the_box_confirms_the_next_code():
    box = Provisioning()
    box.open_window(now=0.0, seconds=120)
    assert box.window_open(now=119.0)
    offer = box.offer(PHARMACY, now=60.0)
    assert offer.confirmed == PHARMACY and offer.ssid == "Pharmacie"
    assert box.pending is None
    # One network per window: a patient's code shown afterwards waits for a press.
    assert not box.window_open(now=61.0)
    assert box.offer(PATIENT, now=62.0).confirmed is None
    assert box.pending == "Patient"


def test_a_window_confirms_a_code_already_waiting():
    box = Provisioning()
    box.offer(PHARMACY, now=0.0)
    box.open_window(now=5.0, seconds=60)
    # While the window is open a press confirms even past the 30 s.
    assert box.press(now=50.0) == PHARMACY


def test_a_closed_window_confirms_nothing():
    box = Provisioning()
    box.open_window(now=0.0, seconds=60)
    assert not box.window_open(now=60.5)
    assert box.offer(PHARMACY, now=61.0).confirmed is None
    box.open_window(now=100.0, seconds=60)
    box.close_window()
    assert box.offer(PATIENT, now=101.0).confirmed is None


def test_expire_closes_a_past_window():
    box = Provisioning()
    box.open_window(now=0.0, seconds=10)
    box.expire(now=11.0)
    assert not box.window_open(now=5.0)  # closed for good, even for an earlier clock


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf")])
def test_a_window_needs_a_positive_finite_length(seconds):
    with pytest.raises(ValueError):
        Provisioning().open_window(now=0.0, seconds=seconds)


def test_nothing_shows_the_password():
    box = Provisioning()
    offer = box.offer(PHARMACY, now=0.0)
    assert "motdepasse1" not in repr(offer) + repr(box) + str(box.pending)
    box.open_window(now=1.0, seconds=30)
    assert "autrechose" not in repr(box.offer(PATIENT, now=2.0))
