"""The API's connection budgets, without sockets: who is closed when a cap is reached."""

from __future__ import annotations

import pytest

from borne.api.admission import Admission, address_key, peer_address
from borne.errors import ConfigError
from borne.secure_channel.settings import ConnectionLimits


class Transport:
    """What the admission needs of a transport: ``abort()``."""

    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


def admission(**limits: int) -> Admission:
    return Admission(ConnectionLimits(**limits))


def test_a_stranger_address_over_its_cap_has_its_newcomer_refused_before_any_tls_work():
    gate = admission(max_unauthenticated=10, max_unauthenticated_per_address=2)
    first, second, third = Transport(), Transport(), Transport()
    other = Transport()
    gate.arrive("192.0.2.7", other)
    held = [gate.arrive("192.0.2.1", first), gate.arrive("192.0.2.1", second)]
    assert gate.arrive("192.0.2.1", third) is None  # no ticket: TlsGate does no handshake
    assert third.aborted
    assert not first.aborted and not second.aborted and not other.aborted
    assert not any(ticket.evicted for ticket in held)
    assert gate.counts == {"unauthenticated": 3, "clients": 0}


def test_an_address_a_paired_client_came_from_pushes_out_its_own_oldest():
    gate = admission(max_unauthenticated=10, max_unauthenticated_per_address=2)
    assert gate.arrive("192.0.2.1", Transport()).secured(True)  # a workstation, seen before
    first, second, third = Transport(), Transport(), Transport()
    oldest = gate.arrive("192.0.2.1", first)
    gate.arrive("192.0.2.1", second)
    newest = gate.arrive("192.0.2.1", third)  # the workstation's next handshake gets in
    assert newest is not None and not third.aborted
    assert first.aborted and oldest.evicted and not second.aborted
    assert gate.counts == {"unauthenticated": 2, "clients": 1}
    assert not oldest.secured(True)  # its handshake ends after it was closed: not let in


def test_a_full_budget_refuses_newcomers_that_would_only_swap_places_never_a_paired_client():
    gate = admission(max_unauthenticated=2, max_unauthenticated_per_address=2, max_clients=5)
    paired = Transport()
    ticket = gate.arrive("192.0.2.50", paired)
    assert ticket.secured(True) and ticket.certified
    flood = [Transport() for _ in range(6)]
    tickets = [gate.arrive(f"192.0.2.{number}", t) for number, t in enumerate(flood)]
    # One connection per address: letting a newcomer in would close another's only one.
    assert [t.aborted for t in flood] == [False] * 2 + [True] * 4
    assert tickets[2:] == [None] * 4
    assert not paired.aborted
    assert gate.counts == {"unauthenticated": 2, "clients": 1}
    ticket.leave()
    ticket.leave()  # idempotent
    assert gate.counts == {"unauthenticated": 2, "clients": 0}


def test_paired_clients_beyond_their_caps_are_refused():
    gate = admission(max_clients=3, max_clients_per_address=2)
    tickets = [gate.arrive("192.0.2.1", Transport()) for _ in range(3)]
    assert [t.secured(True) for t in tickets] == [True, True, False]
    other = gate.arrive("192.0.2.2", Transport())
    assert other.secured(True)
    late = gate.arrive("192.0.2.3", Transport())
    assert not late.secured(True)  # 3 in total
    assert late.secured(False) is False  # gone from the budgets: nothing to go on with
    assert gate.counts == {"unauthenticated": 0, "clients": 3}


def test_without_a_certificate_a_connection_stays_in_the_unauthenticated_budget():
    gate = admission(max_unauthenticated=2)
    pairing = gate.arrive("192.0.2.1", Transport())
    assert pairing.secured(False) and not pairing.certified
    assert gate.counts == {"unauthenticated": 1, "clients": 0}
    pairing.leave()
    assert gate.counts == {"unauthenticated": 0, "clients": 0}


@pytest.mark.parametrize("host, key", [
    ("192.0.2.1", "192.0.2.1"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("?", "?"),
])
def test_an_ipv6_host_counts_by_its_64(host, key):
    assert address_key(host) == key


@pytest.mark.parametrize("host, exact", [
    ("192.0.2.1", "192.0.2.1"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2:aaaa::1"),  # never its /64 (pairing's limits)
    ("fe80::1%eth0", "fe80::1"),
    ("?", "?"),
])
def test_a_peer_address_is_exact(host, exact):
    assert peer_address(host) == exact


def test_caps_must_be_positive():
    with pytest.raises(ConfigError) as refused:
        ConnectionLimits(max_unauthenticated=0)
    assert refused.value.key == "api.connections.max_unauthenticated"


def test_an_address_whose_connections_were_all_closed_is_counted_afresh():
    gate = admission(max_unauthenticated=2, max_unauthenticated_per_address=2)
    first = gate.arrive("192.0.2.1", Transport())
    second = gate.arrive("192.0.2.1", Transport())
    # A thinner address: the crowded one's oldest goes.
    third = gate.arrive("192.0.2.2", Transport())
    assert first.evicted and not second.evicted and not third.evicted
    assert gate.arrive("192.0.2.1", Transport()) is None  # 1 and 1: it would only swap places
    second.leave()
    fourth = gate.arrive("192.0.2.1", Transport())  # its address holds nothing any more
    assert fourth is not None and not third.evicted
    for ticket in (first, third, fourth):
        ticket.leave()
    assert gate.counts == {"unauthenticated": 0, "clients": 0}


def test_a_full_budget_closes_a_connection_of_the_most_crowded_address():
    gate = admission(max_unauthenticated=6, max_unauthenticated_per_address=5)
    flood = [Transport() for _ in range(6)]
    for transport in flood:
        gate.arrive("192.0.2.0", transport)  # the 6th over its cap of 5: refused
    assert [t.aborted for t in flood] == [False] * 5 + [True]
    others = [Transport() for _ in range(2)]
    for transport in others:
        gate.arrive("192.0.2.1", transport)
    workstation = Transport()
    assert gate.arrive("192.0.2.50", workstation) is not None  # alone at its address: in
    # Each newcomer of a thinner address closed the crowded address's oldest.
    assert [t.aborted for t in flood] == [True, True, False, False, False, True]
    assert not any(t.aborted for t in others) and not workstation.aborted
    # Now 3, 2 and 1: a newcomer of the 2 would only swap places with the 3.
    assert gate.arrive("192.0.2.1", Transport()) is None


def test_a_flood_from_many_addresses_spares_the_addresses_of_paired_clients():
    gate = admission(max_unauthenticated=4, max_unauthenticated_per_address=4)
    assert gate.arrive("192.0.2.50", Transport()).secured(True)  # a workstation, seen before
    handshake = Transport()
    gate.arrive("192.0.2.50", handshake)  # its next connection, in its handshake
    flood = [Transport() for _ in range(20)]
    for number, transport in enumerate(flood):  # one connection per address
        gate.arrive(f"198.51.100.{number}", transport)
    assert not handshake.aborted
    assert sum(t.aborted for t in flood) == 17
