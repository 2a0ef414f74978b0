"""The lease book on a fake monotonic clock: exclusive per slot, expiring, owned."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.apdu.leases import LeaseBook, LeaseError
from borne.api.statuses import http_status  # the API answers the code with this status


def book() -> LeaseBook:
    return LeaseBook(max_s=300, default_s=60)


def refused(code: str, call, *args):
    with pytest.raises(LeaseError) as error:
        call(*args)
    assert error.value.code == code
    return error.value


def test_take_is_exclusive_and_says_who_holds_until_when():
    leases = book()
    lease = leases.take("s0", "c1", "Comptoir 1", None, now=100.0)
    assert lease.deadline == 160.0
    assert lease.view(110.0) == {"lease_id": lease.id, "slot": "s0", "expires_in_s": 50.0,
                                 "holder": {"client_id": "c1", "name": "Comptoir 1"}}
    busy = refused("slot_busy", leases.take, "s0", "c2", "Comptoir 2", 10, 130.0)
    assert http_status(busy.code) == 409
    # Who holds it: for an admin only (the reason is in LeaseBook.take).
    assert busy.details == {"slot": "s0", "until_s": 30.0}
    told = refused("slot_busy", lambda: leases.take("s0", "c3", "Admin", 10, 130.0, admin=True))
    assert told.details == {"slot": "s0", "holder": "Comptoir 1", "client_id": "c1", "until_s": 30.0}
    # The holder itself cannot take a second lease on the slot either, and is told it is its own.
    own = refused("slot_leased_by_you", leases.take, "s0", "c1", "Comptoir 1", 10, 130.0)
    assert http_status(own.code) == 409
    assert own.details == {"slot": "s0", "lease_id": lease.id, "until_s": 30.0}
    # Another slot is free.
    assert leases.take("s1", "c2", "Comptoir 2", 10, 130.0).slot == "s1"


@pytest.mark.parametrize("seconds", [0, -1, 301, 1.0e9, "60", True, [60]])
def test_seconds_out_of_range(seconds):
    error = refused("bad_request", book().take, "s0", "c1", "n", seconds, 0.0)
    assert http_status(error.code) == 400


def test_expiry_frees_the_slot_even_before_the_sweep():
    leases = book()
    old = leases.take("s0", "c1", "n1", 5, now=0.0)
    assert leases.for_slot("s0", 4.9) is old
    assert leases.for_slot("s0", 5.0) is None
    refused("lease_not_found", leases.get, old.id, "c1", 5.0)
    new = leases.take("s0", "c2", "n2", 5, now=5.0)
    assert leases.for_slot("s0", 6.0) is new
    assert leases.all() == [new]  # the old one was swept by take()
    assert leases.next_deadline() == 10.0
    assert leases.expire(10.0) == [new] and leases.all() == []


def test_renew_release_and_ownership():
    leases = book()
    lease = leases.take("s0", "c1", "n1", 10, now=0.0)
    refused("lease_not_found", leases.renew, lease.id, "c2", 10, 1.0)
    refused("lease_not_found", leases.release, lease.id, "c2", 1.0)
    assert leases.renew(lease.id, "c1", 100, 5.0).deadline == 105.0
    assert leases.for_slot("s0", 50.0) is lease
    assert leases.of_client("c1", 50.0) == [lease] and leases.of_client("c2", 50.0) == []
    assert leases.release(lease.id, "c1", 50.0) is lease
    refused("lease_not_found", leases.release, lease.id, "c1", 50.0)
    assert leases.for_slot("s0", 50.0) is None
    assert leases.drop("unknown") is None


def test_an_expired_lease_cannot_be_renewed():
    leases = book()
    lease = leases.take("s0", "c1", "n1", 1, now=0.0)
    refused("lease_not_found", leases.renew, lease.id, "c1", 60, 1.0)


def test_drop_ends_anyones_lease():
    leases = book()
    lease = leases.take("s0", "c1", "n1", 10, now=0.0)
    assert leases.drop(lease.id) is lease
    assert leases.take("s0", "c2", "n2", 10, now=1.0).client_id == "c2"


operations = st.lists(st.tuples(st.sampled_from(["take", "renew", "release", "tick"]),
                                st.sampled_from(["s0", "s1"]), st.sampled_from(["c1", "c2"]),
                                st.integers(1, 20)), max_size=60)


@settings(max_examples=200)
@given(operations)
def test_never_two_live_leases_on_a_slot(ops):
    leases, now = book(), 0.0
    for op, slot, client, amount in ops:
        try:
            if op == "take":
                leases.take(slot, client, client, amount, now)
            elif op == "tick":
                now += amount / 4
            else:
                mine = [lease for lease in leases.of_client(client, now) if lease.slot == slot]
                if mine:
                    if op == "renew":
                        leases.renew(mine[0].id, client, amount, now)
                    else:
                        leases.release(mine[0].id, client, now)
        except LeaseError as error:
            assert error.code in ("slot_busy", "slot_leased_by_you")
        for s in ("s0", "s1"):
            live = [lease for lease in leases.all() if lease.slot == s and lease.deadline > now]
            assert len(live) <= 1
            assert leases.for_slot(s, now) is (live[0] if live else None)
