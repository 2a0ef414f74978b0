"""The apCV service on a fake clock: quota from the CPS in the box, events, wall-clock jumps."""

from __future__ import annotations

import pytest

from borne.apcv.errors import ApcvError
from borne.apcv.service import ApcvService
from borne.runtime.clock import Clock, WallTime
from borne.config import ApcvConfig
from borne.core import Core
from borne.events import EventBus
from borne.readers.base import SlotInfo
from borne.readers.cards.model import CpsCard

TOKEN = b"T" * 80


class FakeClock(Clock):
    """A clock the test moves: the monotonic clock and, separately, the wall clock."""

    def __init__(self) -> None:
        super().__init__()
        self.mono = 1000.0
        self.wall_iso = "1970-01-01T00:00:10.000+00:00"

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> WallTime:
        return WallTime(self.wall_iso, False)


def make(profession: str | None = "nurse", *, cps: bool | None = None, **policy):
    """A service; a CPS is in the box when ``profession`` is given (or ``cps``: one that does
    not say its profession, as a real CPS)."""
    clock = FakeClock()
    bus = EventBus(clock)
    core = Core(bus, clock)
    if cps if cps is not None else profession is not None:
        core.reader_attached(SlotInfo("s1", "Reader 00 01", "contact", "sim"))
        card = CpsCard(atr=b"\x3b", generation="CPS4", serial="1", holder=None,
                       profession=profession)
        core.card_decoded("s1", card, 0)
    service = ApcvService(bus, clock, core, ApcvConfig(**policy))
    return service, clock, bus


def presented(service, bus) -> str:
    service.payload_captured("qr_camera", TOKEN, 0)
    return [e for e in bus.history() if e.type == "apcv.presented"][-1].data.presentation_id


def open_one(service, bus) -> object:
    presentation_id = presented(service, bus)
    service.fetch(presentation_id, "apcv", "ws-a")
    return service.open_session(presentation_id, "ws-a")


def test_a_wall_clock_jump_changes_nothing():
    service, clock, bus = make("pharmacist")
    session = open_one(service, bus)
    clock.wall_iso = "2026-11-22T10:00:00.000+00:00"  # NTP sets the clock of a Pi booted in 1970
    clock.mono += 60
    assert service.claim(session.id, "ws-a")[0] == 1
    assert service.session(session.id, "ws-a").view(clock.mono)["seconds_left"] == 1140


@pytest.mark.parametrize(("profession", "quota"), [
    ("pharmacist", 2), ("nurse", 2), ("doctor", 1), (None, 0), ("midwife", 1)])
def test_quota_follows_the_policy_table(profession, quota):
    service, _, bus = make(profession)
    if profession is None:  # no CPS in the box: no session
        presentation_id = presented(service, bus)
        service.fetch(presentation_id, "apcv", "ws-a")
        with pytest.raises(ApcvError) as refused:
            service.open_session(presentation_id, "ws-a")
        assert refused.value.code == "no_cps"
        return
    assert open_one(service, bus).invoices_allowed == quota


def test_policy_is_a_setting():
    service, _, bus = make("doctor", invoices_by_profession={"doctor": 3}, session_seconds=1800)
    session = open_one(service, bus)
    assert (session.invoices_allowed, session.expires_mono - session.opened_mono) == (3, 1800)


def test_events_tell_the_sessions_life_without_identity_data():
    service, clock, bus = make("doctor")
    session = open_one(service, bus)
    service.claim(session.id, "ws-a")
    clock.mono += 1200
    service._expire_due(clock.mono)
    types = [e.type for e in bus.history()]
    assert types[-5:] == ["apcv.presented", "apcv.session.opened", "apcv.invoice.claimed",
                          "apcv.session.exhausted", "apcv.session.expired"]
    for event in bus.history():
        assert TOKEN.decode() not in str(event.to_dict())


def test_a_medicine_box_is_counted_and_nothing_else(caplog):
    service, _, bus = make()
    before = bus.last_seq
    medicine = b"]d201034009300000141727123110BATCH2024061700A1\x1d21SN7QK2ZD9R4HXW1CLM42"
    with caplog.at_level("DEBUG", logger="borne.apcv"):
        service.payload_captured("qr_scanner", medicine, 0)
        service.payload_captured("qr_camera", medicine[3:], 0)
    assert bus.last_seq == before  # no event: no capture.error, no apcv.presented
    assert service.presentations.waiting() == 0
    assert service.describe()["gs1_ignored"] == 2
    assert "GS1 code from qr_scanner ignored (1 so far)" in caplog.text
    assert "SN7QK2ZD9R4HXW1CLM42" not in caplog.text and "0340093" not in caplog.text
    # A code that only looks like GS1 (wrong check digit) is recognised as usual.
    service.payload_captured("qr_scanner", medicine.replace(b"0014", b"0015"), 0)
    assert [e.type for e in bus.history(before)] == ["apcv.presented"]
    assert service.describe()["gs1_ignored"] == 2


@pytest.mark.parametrize(("card", "site", "quota", "source", "used"), [
    (None, "21", 2, "site", "pharmacist"),     # a real CPS at a pharmacy's box
    (None, "60", 2, "site", "nurse"),
    (None, "10", 1, "site", "doctor"),
    (None, None, 1, "default", None),          # nobody says: 1 invoice
    ("doctor", "21", 1, "card", "doctor"),     # the card's own profession wins
    ("nurse", None, 2, "card", "nurse"),
])
def test_quota_from_the_card_else_the_site_else_one(card, site, quota, source, used):
    service, clock, bus = make(card, cps=True, site_profession=site)
    session = open_one(service, bus)
    view = service.session(session.id, "ws-a").view(clock.mono)
    assert (view["invoices_allowed"], view["quota_source"], view["profession"]) == (
        quota, source, used)
    (opened,) = [e.data for e in bus.history() if e.type == "apcv.session.opened"]
    assert (opened.quota_source, opened.profession) == (source, used)


def test_no_cps_no_session_even_with_a_site_profession():
    service, _, bus = make(None, site_profession="21")
    presentation_id = presented(service, bus)
    service.fetch(presentation_id, "apcv", "ws-a")
    with pytest.raises(ApcvError) as refused:
        service.open_session(presentation_id, "ws-a")
    assert refused.value.code == "no_cps"


def test_a_release_is_announced_and_a_late_one_announces_the_expiry():
    service, clock, bus = make("pharmacist")
    session = open_one(service, bus)
    service.claim(session.id, "ws-a")
    service.claim(session.id, "ws-a")
    change = service.release(session.id, "ws-a", 2, "transmission_failed")
    assert change.reopened and change.session.state == "open"
    released = [e.data for e in bus.history() if e.type == "apcv.invoice.released"]
    assert [(r.invoice, r.reason, r.invoices_used, r.invoices_allowed) for r in released] == [
        (2, "transmission_failed", 1, 2)]
    assert service.confirm(session.id, "ws-a", 1).invoice.state == "confirmed"
    clock.mono += 1200  # the very end, before the timer: the request sees it first
    with pytest.raises(ApcvError) as refused:
        service.release(session.id, "ws-a", 1, "other")
    assert refused.value.code == "session_expired"
    assert [e.data.session_id for e in bus.history() if e.type == "apcv.session.expired"] == [
        session.id]
