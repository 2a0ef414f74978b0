"""Presentations: fetched once by one client, forgotten after their time, payload dropped."""

from __future__ import annotations

import pytest

from borne.apcv.errors import ApcvError
from borne.apcv.presentations import PresentationStore
from borne.api.statuses import http_status  # the API answers the code with this status


def test_fetched_once_then_the_payload_is_gone():
    store = PresentationStore(120)
    item, dropped = store.add("apcv", "qr_camera", b"token", 0.0, "2026-11-22T00:00:00Z")
    assert dropped == [] and store.waiting() == 1
    given = store.fetch(item.id, "apcv", "ws-a", 1.0)
    assert given.payload == b"token"
    assert item.payload is None and store.waiting() == 0
    for client, code in (("ws-a", "presentation_already_fetched"),
                         ("ws-b", "presentation_taken")):
        with pytest.raises(ApcvError) as refused:
            store.fetch(item.id, "apcv", client, 2.0)
        assert (refused.value.code, http_status(refused.value.code)) == (code, 409)
        assert refused.value.details == {}  # never who took it


def test_unfetched_presentation_is_forgotten_after_its_ttl():
    store = PresentationStore(120)
    item, _ = store.add("apcv", "nfc", b"x" * 20, 10.0, "w")
    assert store.next_deadline() == 130.0
    assert store.expire(129.9) == []
    with pytest.raises(ApcvError) as refused:
        store.fetch(item.id, "apcv", "ws-a", 130.0)
    assert refused.value.code == "presentation_not_found"
    assert [p.id for p in store.expire(130.0)] == [item.id]
    assert len(store) == 0


def test_session_needs_the_same_client_to_have_fetched_it():
    store = PresentationStore(120)
    item, _ = store.add("apcv", "qr_camera", b"token", 0.0, "w")
    with pytest.raises(ApcvError) as refused:
        store.take_for_session(item.id, "ws-a", 1.0)
    assert refused.value.code == "presentation_not_fetched"
    store.fetch(item.id, "apcv", "ws-a", 1.0)
    with pytest.raises(ApcvError) as refused:
        store.take_for_session(item.id, "ws-b", 2.0)
    assert (refused.value.code, http_status(refused.value.code)) == ("presentation_taken", 409)
    taken = store.take_for_session(item.id, "ws-a", 2.0)
    taken.session_id = "se-1"
    with pytest.raises(ApcvError) as refused:
        store.take_for_session(item.id, "ws-a", 3.0)
    assert refused.value.code == "presentation_used"
    # After the fetch, the presentation stays known for another ttl (to open the session).
    assert store.next_deadline() == 121.0


def test_prescription_is_not_a_session_and_kinds_do_not_mix():
    store = PresentationStore(120)
    item, _ = store.add("prescription", "qr_scanner", b"01S2TBPZ2JCNZZYGHZ", 0.0, "w",
                        number="01S2TBPZ2JCNZZYGHZ")
    with pytest.raises(ApcvError) as refused:
        store.fetch(item.id, "apcv", "ws-a", 1.0)
    assert refused.value.code == "presentation_not_found"
    given = store.fetch(item.id, "prescription", "ws-a", 1.0)
    assert given.number == "01S2TBPZ2JCNZZYGHZ" and item.number is None
    with pytest.raises(ApcvError) as refused:
        store.take_for_session(item.id, "ws-a", 2.0)
    assert refused.value.code == "presentation_not_apcv"


def test_store_is_bounded_oldest_dropped():
    store = PresentationStore(120, limit=3)
    ids = [store.add("apcv", "qr_camera", b"t%d" % i, float(i), "w")[0].id for i in range(3)]
    newest, dropped = store.add("apcv", "qr_camera", b"t3", 3.0, "w")
    assert [p.id for p in dropped] == ids[:1]
    assert len(store) == 3
