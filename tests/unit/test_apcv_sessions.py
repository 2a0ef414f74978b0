"""The apCV session rules as a pure state machine: quota, duration, ownership, clock,
and invoices given back (released) or kept for good (confirmed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.apcv.errors import ApcvError
from borne.apcv.sessions import MAX_INVOICES, SessionBook
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


@pytest.mark.parametrize("first", ["claim", "release", "get"])
def test_an_expiry_a_request_saw_first_is_still_reported_once(first):
    book = SessionBook(10)
    session = _open(book, 2)
    book.claim(session.id, "ws-a", 1.0)
    calls = {"claim": lambda: book.claim(session.id, "ws-a", 10.0),
             "release": lambda: book.release(session.id, "ws-a", 1, "other", 10.0),
             "get": lambda: book.get(session.id, "ws-a", 10.0)}
    try:
        calls[first]()  # the request reaches the session at its end, before the timer
    except ApcvError as error:
        assert error.code == "session_expired"
    assert [s.id for s in book.tick(10.0)] == [session.id]
    assert book.tick(11.0) == []


def test_view_counts_down():
    book = SessionBook(1200)
    session = _open(book, 2, now=50.0)
    view = book.get(session.id, "ws-a", 50.0 + 6 * 60).view(50.0 + 6 * 60)
    assert view["seconds_left"] == 14 * 60
    assert (view["invoices_allowed"], view["invoices_used"], view["state"]) == (2, 0, "open")


def _refused(call) -> tuple[str, int]:
    with pytest.raises(ApcvError) as refused:
        call()
    return refused.value.code, http_status(refused.value.code)


def test_a_released_invoice_gives_its_place_back_and_reopens_the_session():
    book = SessionBook(1200)
    session = _open(book, 2)
    book.claim(session.id, "ws-a", 1.0)
    assert book.claim(session.id, "ws-a", 2.0).exhausted
    change = book.release(session.id, "ws-a", 2, "signature_failed", 3.0)
    assert (change.reopened, change.session.state, change.session.invoices_used) == (
        True, "open", 1)
    assert change.invoice.view() == {"invoice": 2, "state": "released",
                                     "reason": "signature_failed"}
    retry = book.claim(session.id, "ws-a", 4.0)  # the retry of the failed invoice
    assert (retry.invoice, retry.exhausted) == (3, True)  # numbers are never reused
    assert _refused(lambda: book.claim(session.id, "ws-a", 5.0))[0] == "reauthentication_required"
    assert [i["state"] for i in book.get(session.id, "ws-a", 5.0).view(5.0)["invoices"]] == [
        "claimed", "released", "claimed"]


def test_the_quota_counts_confirmed_and_unreleased_claims():
    book = SessionBook(1200)
    session = _open(book, 2)
    book.claim(session.id, "ws-a", 1.0)
    book.claim(session.id, "ws-a", 1.0)
    book.confirm(session.id, "ws-a", 1, 2.0)
    book.release(session.id, "ws-a", 2, "transmission_failed", 2.0)
    assert session.invoices_used == 1
    book.claim(session.id, "ws-a", 3.0)
    assert session.invoices_used == 2 and session.state == "exhausted"


def test_double_release_release_after_confirm_and_confirm_after_release_are_refused():
    book = SessionBook(1200)
    session = _open(book, 2)
    book.claim(session.id, "ws-a", 1.0)
    book.claim(session.id, "ws-a", 1.0)
    book.release(session.id, "ws-a", 1, "cancelled", 2.0)
    assert _refused(lambda: book.release(session.id, "ws-a", 1, "cancelled", 3.0)) == (
        "invoice_released", 409)
    assert _refused(lambda: book.confirm(session.id, "ws-a", 1, 3.0)) == ("invoice_released", 409)
    book.confirm(session.id, "ws-a", 2, 3.0)
    assert book.confirm(session.id, "ws-a", 2, 4.0).invoice.state == "confirmed"  # again: same
    assert _refused(lambda: book.release(session.id, "ws-a", 2, "other", 4.0)) == (
        "invoice_confirmed", 409)
    assert session.invoices_used == 1


@pytest.mark.parametrize("number", [0, 3, -1])
def test_an_invoice_never_claimed_is_not_found(number):
    book = SessionBook(1200)
    session = _open(book, 2)
    book.claim(session.id, "ws-a", 1.0)
    book.claim(session.id, "ws-a", 1.0)
    for call in (lambda: book.release(session.id, "ws-a", number, "other", 2.0),
                 lambda: book.confirm(session.id, "ws-a", number, 2.0)):
        assert _refused(call) == ("invoice_not_found", 404)


def test_release_at_the_moment_of_expiry_is_refused_and_changes_nothing():
    book = SessionBook(10)
    session = _open(book, 1, now=100.0)
    book.claim(session.id, "ws-a", 101.0)
    assert book.release(session.id, "ws-a", 1, "signature_failed", 109.999).reopened
    book.claim(session.id, "ws-a", 109.999)
    assert _refused(lambda: book.release(session.id, "ws-a", 2, "signature_failed", 110.0)) == (
        "session_expired", 410)
    assert (session.state, session.invoices_used) == ("expired", 1)
    # Confirming after the end still records what was sent; no count changes.
    assert book.confirm(session.id, "ws-a", 2, 111.0).invoice.state == "confirmed"
    assert session.state == "expired"


def test_another_client_can_neither_release_nor_confirm():
    book = SessionBook(1200)
    session = _open(book, 1)
    book.claim(session.id, "ws-a", 1.0)
    for call in (lambda: book.release(session.id, "ws-b", 1, "other", 2.0),
                 lambda: book.confirm(session.id, "ws-b", 1, 2.0)):
        assert _refused(call) == ("session_not_found", 404)
    assert (session.invoices[0].state, session.state) == ("claimed", "exhausted")


def test_a_release_reason_is_one_of_a_closed_list():
    book = SessionBook(1200)
    session = _open(book, 1)
    book.claim(session.id, "ws-a", 1.0)
    with pytest.raises(ValueError):
        book.release(session.id, "ws-a", 1, "Mme MARTIN a refusé", 2.0)
    assert session.invoices[0].state == "claimed"


def test_claims_and_releases_in_a_loop_end_with_reauthentication():
    book = SessionBook(1200)
    session = _open(book, 1)
    for number in range(1, MAX_INVOICES + 1):
        assert book.claim(session.id, "ws-a", 1.0).invoice == number
        book.release(session.id, "ws-a", number, "cancelled", 1.0)
    assert _refused(lambda: book.claim(session.id, "ws-a", 1.0))[0] == "reauthentication_required"
    assert len(session.view(1.0)["invoices"]) == MAX_INVOICES


def test_the_session_says_where_its_quota_came_from():
    book = SessionBook(1200)
    session = book.open("ws-a", "ap-1", profession="pharmacist", invoices_allowed=2, now=0.0,
                        quota_source="site")
    assert book.get(session.id, "ws-a", 1.0).view(1.0)["quota_source"] == "site"


# Property: whatever the sequence of claims, releases, confirmations and monotonic clock
# steps, no session ever counts more than its quota, grants anything at or after its end,
# nor gives back a confirmed invoice or the same invoice twice.
steps = st.lists(st.tuples(st.sampled_from(["claim", "tick", "claim_other", "release",
                                            "confirm", "release_other"]),
                           st.floats(min_value=0, max_value=400, allow_nan=False),
                           st.integers(min_value=0, max_value=5)),
                 max_size=60)


@settings(max_examples=300, deadline=None)
@given(quota=st.integers(min_value=1, max_value=3), duration=st.floats(1, 1500), plan=steps)
def test_no_sequence_exceeds_the_quota_or_claims_after_expiry(quota, duration, plan):
    book = SessionBook(duration, keep_s=1e9)  # forgetting ended sessions is tested above
    session = _open(book, quota)
    now, granted, released, confirmed = 0.0, [], set(), set()
    for action, step, number in plan:
        now += step
        client = "ws-b" if action.endswith("_other") else "ws-a"
        try:
            if action == "tick":
                book.tick(now)
            elif action.startswith("claim"):
                granted.append(book.claim(session.id, client, now).invoice)
                assert now < session.expires_mono
            elif action.startswith("release"):
                book.release(session.id, client, number, "other", now)
                assert now < session.expires_mono and number not in released | confirmed
                released.add(number)
            else:
                book.confirm(session.id, client, number, now)
                assert number not in released
                confirmed.add(number)
        except ApcvError as error:
            assert error.code in {"reauthentication_required", "session_expired",
                                  "session_not_found", "invoice_not_found", "invoice_released",
                                  "invoice_confirmed"}
            if error.code == "session_expired":
                assert now >= session.expires_mono
            if error.code == "session_not_found":
                assert client == "ws-b"
            continue
        assert client == "ws-a"
        assert session.invoices_used <= quota
        assert session.invoices_used == len(granted) - len(released)
    assert granted == list(range(1, len(granted) + 1))
