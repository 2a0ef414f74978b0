"""Collecting the offline journal over real mutual TLS, with the real pcscd and two paired workstations."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from borne.client import BoxClient, BoxError
from borne.client.journal_reader import JournalReader

from support.box import paired, running_box, url
from support.waiting import wait_event
from support.contract import check
from support.fresh_defaults import FRESH_DEFAULTS

pytestmark = pytest.mark.pcscd

CARDS = ("vitale-family", "vitale-single", "vitale-family")
#: Names and NIRs of the simulator's cartes Vitale, which must not be in the file in clear.
CLEAR = (b"LECLERC", b"NGUYEN", b"MARTIN", b"ALICE", b"BERNARD", b"CAMILLE", b"178112B00401746",
         b"115061305532193", b"785109912604214", b"285047505612322", b"295109912611199")


@pytest.fixture
async def box(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def _three_reads(box, card_slots, client) -> None:
    """Three carte Vitale reads, one after the other, each journaled before the next."""
    events = client.events(after=(await client.status())["last_event_seq"])
    for card in CARDS:
        card_slots.insert(0, card)
        await wait_event(events, "journal.stored")
        card_slots.remove(0)
        await wait_event(events, "card.removed")
    await events.aclose()


async def test_each_workstation_collects_only_its_own_records_and_acks_them(box, tmp_path,
                                                                            card_slots):
    a = await paired(box, tmp_path / "a", "Tablette")
    b = await paired(box, tmp_path / "b", "Comptoir")
    async with BoxClient.from_directory(tmp_path / "a") as ca, \
            BoxClient.from_directory(tmp_path / "b") as cb:
        await _three_reads(box, card_slots, ca)
        ra, rb = await ca.journal(), await cb.journal()
        assert [r["client_id"] for r in ra] == [a.client_id] * 3
        assert [r["client_id"] for r in rb] == [b.client_id] * 3
        assert {r["seq"] for r in ra}.isdisjoint(r["seq"] for r in rb)
        assert [r["seq"] for r in ra] == sorted(r["seq"] for r in ra)
        # Decrypted on each workstation, in order; the other's key opens nothing.
        reader_a = JournalReader.from_directory(tmp_path / "a")
        opened = [reader_a.open(r) for r in ra]
        sizes = [len(o.body["card"]["beneficiaries"]) for o in opened]
        assert sizes == [3, 1, 3]
        assert [o.body["card"]["beneficiaries"][0]["surname"] for o in opened][0] == "LECLERC-TEST"
        assert [o.header.read_id for o in opened] == [r["read_id"] for r in rb]
        reader_b = JournalReader.from_directory(tmp_path / "b")
        with pytest.raises(Exception) as caught:
            reader_b.open(ra[0])
        assert getattr(caught.value, "code", "") == "journal_record_unreadable"
        # Resume after an interrupted collection.
        assert [r["seq"] for r in await ca.journal(after=ra[0]["seq"], limit=1)] == [ra[1]["seq"]]
        # A foreign record in the acknowledgement: refused whole, nothing deleted.
        with pytest.raises(BoxError) as refused:
            await ca.ack([ra[0]["seq"], rb[0]["seq"]])
        assert (refused.value.status, refused.value.code) == (404, "journal_record_unknown")
        assert refused.value.details["unknown"] == [rb[0]["seq"]]
        assert len(await ca.journal()) == 3 and len(await cb.journal()) == 3
        with pytest.raises(BoxError) as unknown:
            await ca.ack([999_999])
        assert unknown.value.code == "journal_record_unknown"
        assert "autre poste" in unknown.value.message  # French unless asked otherwise
        # Acknowledged: gone from the box; acknowledging again is not an error.
        assert await ca.ack([r["seq"] for r in ra]) == {"acked": 3, "already_acked": 0,
                                                        "waiting": 0}
        assert await ca.journal() == []
        assert await ca.ack([ra[0]["seq"]]) == {"acked": 0, "already_acked": 1, "waiting": 0}
        assert len(await cb.journal()) == 3
        assert (await cb.ack(up_to=rb[-1]["seq"]))["acked"] == 3
        assert await cb.journal() == [] and box.journal.waiting == 0
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("journal.db*"))
    assert raw and not [clear for clear in CLEAR if clear in raw]


async def test_requests_are_checked_and_match_the_document(box, tmp_path, card_slots):
    await paired(box, tmp_path / "a", "Tablette")
    async with BoxClient.from_directory(tmp_path / "a", language="en") as client:
        await _three_reads(box, card_slots, client)
        http = client._http
        for path in ("/v1/journal", "/v1/journal?after=1&limit=2", "/v1/journal?limit=0",
                     "/v1/journal?after=x", "/v1/journal?limit=1001"):
            check("GET", "/v1/journal", await http.get(path))
        bad = await http.get("/v1/journal?limit=0")
        assert (bad.status_code, bad.json()["error"]) == (400, "bad_request")
        for body in ({}, {"seqs": []}, {"seqs": ["1"]}, {"seqs": [0]}, {"seqs": [True]},
                     {"seqs": [1], "up_to": 1}, {"up_to": -1}, [1, 2], {"seqs": list(range(1, 1002))}):
            response = await http.post("/v1/journal/ack", json=body)
            check("POST", "/v1/journal/ack", response)
            assert response.status_code == 400, body
        response = await http.post("/v1/journal/ack", json={"seqs": [424242]})
        check("POST", "/v1/journal/ack", response)
        assert response.json()["message"].startswith("Journal record unknown")
        seqs = [r["seq"] for r in await client.journal()]
        response = await http.post("/v1/journal/ack", json={"seqs": seqs})
        check("POST", "/v1/journal/ack", response)
        assert response.json() == {"acked": 3, "already_acked": 0, "waiting": 0}


async def test_a_workstation_paired_before_the_journal_gets_records_after_its_first_collection(
        box, tmp_path, card_slots):
    a = await paired(box, tmp_path / "a", "Ancien poste")
    # As a registry made before certificates were kept: no certificate on file.
    box.api_context.clients._db.execute("UPDATE clients SET certificate = NULL")
    async with BoxClient.from_directory(tmp_path / "a") as client:
        events = client.events(after=(await client.status())["last_event_seq"])
        card_slots.insert(0, "vitale-single")
        await wait_event(events, "card.decoded")
        card_slots.remove(0)
        await asyncio.sleep(0.2)
        assert await client.journal() == []   # nothing could be sealed for it: nothing kept
        assert box.api_context.clients.certificate(a.client_id) is not None  # learnt from its TLS
        card_slots.insert(0, "vitale-single")
        await wait_event(events, "journal.stored")
        await events.aclose()
        (record,) = await client.journal()
        assert JournalReader.from_directory(tmp_path / "a").open(record).header.kind == "vitale"


async def test_borne_client_journal_prints_in_order_then_acknowledges(box, tmp_path, card_slots):
    await paired(box, tmp_path / "ws", "Tablette")
    async with BoxClient.from_directory(tmp_path / "ws") as client:
        await _three_reads(box, card_slots, client)

    async def cli(*extra: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(  # as on a workstation: no box config
            *FRESH_DEFAULTS, sys.executable, "-m", "borne.cli.main", "client", "journal", "--dir",
            str(tmp_path / "ws"), "--box", url(box), *extra,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode, out.decode(), err.decode()

    code, out, err = await cli("--no-ack", "--json")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [len(r["body"]["card"]["beneficiaries"]) for r in records] == [3, 1, 3]
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)
    assert "3 enregistrement(s) reçu(s), 0 acquitté(s)" in err
    code, out, err = await cli()
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3 and "LECLERC-TEST JEAN" in lines[0] and "NIR 178112B00401746" in lines[0]
    assert "3 enregistrement(s) reçu(s), 3 acquitté(s)" in err
    assert box.journal.waiting == 0
    code, out, err = await cli()
    assert (code, out) == (0, "") and "0 enregistrement(s)" in err
