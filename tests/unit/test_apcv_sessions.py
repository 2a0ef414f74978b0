"""The apCV session rules as a pure state machine: quota, duration, ownership, clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.apcv.errors import ApcvError
from borne.apcv.sessions import SessionBook
from borne.api.statuses import http_status  # the API answers the code with this status


def _open(book: SessionBook, quota: int, now: float = 0.0, client: str = "ws-a"):
    return book.open(client, "ap-1", profession="pharmacist", invoices_allowed=quota, now=now)


def test_pharmacist_quota_two_then_reauthentication():
    book = SessionBook(1200)
    session = _open(book, 2)
    assert book.claim(session.id, "ws-a", 1.0).invoice == 1
    second = book.claim(session.id, "ws-a", 2.0)
    assert (second.invoice, second.exhausted, second.session.state) == (2, True, "exhausted")
    with pytest.raises(ApcvError) as refused:
        book.claim(session.id, "ws-a", 3.0)
    assert (refused.value.code, http_status(refused.value.code)) == ("reauthentication_required", 409)


def test_claim_at_or_after_the_end_is_session_expired():
    book = SessionBook(1200)
    session = _open(book, 2, now=100.0)
    assert book.claim(session.id, "ws-a", 100.0 + 1199.9).invoice == 1
    with pytest.raises(ApcvError) as refused:
        book.claim(session.id, "ws-a", 100.0 + 1200.0)
    assert (refused.value.code, http_status(refused.value.code)) == ("session_expired", 410)
    assert book.get(session.id, "ws-a", 1400.0).state == "expired"


def test_expiry_wins_over_an_exhausted_quota():
    book = SessionBook(10)
    session = _open(book, 1)
    book.claim(session.id, "ws-a", 1.0)
    with pytest.raises(ApcvError) as refused:
        book.claim(session.id, "ws-a", 11.0)
    assert refused.value.code == "session_expired"


def test_another_client_does_not_see_the_session():
    book = SessionBook(1200)
    session = _open(book, 2)
    for call in (lambda: book.claim(session.id, "ws-b", 1.0),
                 lambda: book.get(session.id, "ws-b", 1.0)):
        with pytest.raises(ApcvError) as refused:
            call()
        assert refused.value.code == "session_not_found"
    assert session.invoices_used == 0


def test_tick_reports_each_expiry_once_and_forgets_later():
    book = SessionBook(10, keep_s=5)
    session = _open(book, 1)
    assert book.tick(9.9) == []
    assert book.next_deadline() == 10
    assert [s.id for s in book.tick(10.0)] == [session.id]
    assert book.tick(12.0) == []
    assert book.get(session.id, "ws-a", 12.0).view(12.0)["seconds_left"] == 0
    book.tick(15.0)
    with pytest.raises(ApcvError):
        book.get(session.id, "ws-a", 15.0)
    assert book.next_deadline() is None


def test_view_counts_down():
    book = SessionBook(1200)
    session = _open(book, 2, now=50.0)
    view = book.get(session.id, "ws-a", 50.0 + 6 * 60).view(50.0 + 6 * 60)
    assert view["seconds_left"] == 14 * 60
    assert (view["invoices_allowed"], view["invoices_used"], view["state"]) == (2, 0, "open")


# Property: whatever the sequence of claims and monotonic clock steps, no session ever
# grants more than its quota, nor anything at or after its end.
steps = st.lists(st.tuples(st.sampled_from(["claim", "tick", "claim_other"]),
                           st.floats(min_value=0, max_value=400, allow_nan=False)),
                 max_size=60)


@settings(max_examples=300, deadline=None)
@given(quota=st.integers(min_value=1, max_value=3), duration=st.floats(1, 1500), plan=steps)
def test_no_sequence_exceeds_the_quota_or_claims_after_expiry(quota, duration, plan):
    book = SessionBook(duration)
    session = _open(book, quota)
    now, granted = 0.0, []
    for action, step in plan:
        now += step
        if action == "tick":
            book.tick(now)
            continue
        client = "ws-a" if action == "claim" else "ws-b"
        try:
            claim = book.claim(session.id, client, now)
        except ApcvError as error:
            assert error.code in {"reauthentication_required", "session_expired",
                                  "session_not_found"}
            if error.code == "session_expired":
                assert now >= session.expires_mono
            continue
        assert client == "ws-a"
        assert now < session.expires_mono
        granted.append(claim.invoice)
    assert granted == list(range(1, len(granted) + 1))
    assert len(granted) <= quota
