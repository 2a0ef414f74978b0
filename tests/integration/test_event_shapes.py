"""Every event type's JSON, as a vendor sees it, compared with the shapes recorded in
``tests/data/event_shapes.json``: names, data keys in order, JSON types, stable values.

One scenario drives the real daemon (private pcscd, virtual cards, the battery twin, the
journal, the API over mutual TLS) until it has published every type of
:data:`borne.events.EVENT_TYPES`. The events are then read back the way a vendor reads
them: the raw ``GET /v1/events`` stream of a paired workstation (resumed from the start
of the bus's history), and the control socket's ``events`` command for the envelope
(``seq``, ``type``, ``mono``, ``wall``, ``wall_synced``, ``data``).

The test fails if a key is renamed, added, removed, moves, or changes JSON type, or if a
stable value (a code, a state, a kind, a message) changes. To record the file again
after a *deliberate* change of the contract:
``BORNE_RECORD_EVENT_SHAPES=1 pytest tests/integration/test_event_shapes.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from borne.client import BoxClient, pair
from borne.control.client import call
from borne.daemon import Daemon
from borne.events import (EVENT_TYPES, NetworkFailed, NetworkJoined, NetworkLost,
                          NetworkOffered, UpdateAvailable, UpdateCommitted, UpdateInstalled,
                          UpdateProgress, UpdateRefusedEvent, UpdateRolledBack)
from borne.runtime.clock import Clock
from borne.sim.pcscd import DEFAULT_SIM_READERS, SimReader

from support.box import paired, running_box, url

pytestmark = pytest.mark.pcscd

RECORDED = Path(__file__).parent.parent / "data" / "event_shapes.json"
SLOT0, SLOT1 = "borne-sim-00-00", "borne-sim-00-01"
TOKEN = b"BORNE-SIM-APCV/1 " + bytes(range(80))  # the simulator's apCV token, binary inside
PRESCRIPTION = b"01S2TBPZ2JCNZZYGHZ"

#: Types whose data keys depend on a value: recorded once per value of that key.
VARIANTS = {"card.decoded": "type"}
#: Keys whose values the scenario makes stable: recorded (the set of values seen).
STABLE = {
    "device.state": ("device",),
    "reader.attached": ("kind", "backend"),
    "card.inserted": ("atr",),  # each card's ATR, as spaced upper-case hex
    "card.decoded": ("type", "beneficiaries", "generation", "profession"),
    "card.error": ("code", "message"),
    "capture.error": ("channel", "code", "message"),
    "apcv.presented": ("channel", "expires_in_s"),
    "prescription.scanned": ("channel", "expires_in_s"),
    "apcv.presentation.expired": ("kind",),
    "apcv.session.opened": ("profession", "invoices_allowed", "quota_source"),
    "apcv.invoice.claimed": ("invoice", "invoices_allowed", "invoices_used"),
    "apcv.invoice.released": ("invoice", "reason", "invoices_used", "invoices_allowed"),
    "apcv.session.exhausted": ("invoices_used",),
    "clock.set": ("source",),
    "mode.changed": ("mode",),
    "battery.state": ("charging", "state", "percent"),
    "journal.stored": ("kind",),
    "journal.collected": ("acked", "waiting"),
    "journal.purged": ("waiting",),
    "update.available": ("origin",),
    "update.progress": ("step",),
    "update.refused": ("code", "origin"),
    "network.failed": ("code",),
}


def json_type(value: Any) -> str:
    """The JSON type of a decoded value."""
    if value is None:
        return "null"
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                       (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    raise AssertionError(f"not a JSON value: {value!r}")


def shapes_of(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per type (or type:variant): keys in order, JSON types seen, stable values seen."""
    shapes: dict[str, Any] = {}
    for type_, data in events:
        name = type_ if type_ not in VARIANTS else f"{type_}:{data[VARIANTS[type_]]}"
        shape = shapes.setdefault(name, {"keys": list(data), "types": {}, "values": {}})
        assert list(data) == shape["keys"], f"{name}: keys {list(data)} vs {shape['keys']}"
        for key, value in data.items():
            seen = shape["types"].setdefault(key, [])
            if json_type(value) not in seen:
                seen.append(json_type(value))
                seen.sort()
            if key in STABLE.get(type_, ()):
                values = shape["values"].setdefault(key, [])
                if value not in values:
                    values.append(value)
                    values.sort(key=json.dumps)
    return dict(sorted(shapes.items()))


def render(observed: dict[str, Any]) -> str:
    """The recorded file: one line per shape's keys, types and values, for reviewable diffs."""
    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    out = ['{', f' "envelope": {line(observed["envelope"])},', ' "events": {']
    names = list(observed["events"])
    for name in names:
        shape = observed["events"][name]
        out += [f'  {line(name)}: {{', f'   "keys": {line(shape["keys"])},',
                f'   "types": {line(shape["types"])},', f'   "values": {line(shape["values"])}',
                '  }' + ("," if name != names[-1] else "")]
    return "\n".join(out + [' }', '}', ''])


def envelope_of(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """The envelope's keys in order and the JSON type of each (the same for every event)."""
    shape = {"keys": list(envelopes[0]), "types": {k: json_type(v) for k, v in envelopes[0].items()}}
    for envelope in envelopes:
        assert {"keys": list(envelope),
                "types": {k: json_type(v) for k, v in envelope.items()}} == shape, envelope
    return shape


async def read_stream(client: BoxClient, until_seq: int) -> list[tuple[int, str, str]]:
    """The raw ``/v1/events`` stream from the start of the history: (id, event, data line).

    Asked in English, the language of the bus and the control socket: a message is the one
    value a stream's language changes (tests/integration/test_event_language.py)."""
    frames: list[tuple[int, str, str]] = []
    fields: dict[str, str] = {}
    async with client._http.stream("GET", "/v1/events", headers={"Last-Event-ID": "0",
                                                                 "Accept-Language": "en"}) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                assert name not in fields, f"one {name} line per frame: {line!r}"
                fields[name] = value
                continue
            frames.append((int(fields["id"]), fields["event"], fields["data"]))
            fields = {}
            if frames[-1][0] >= until_seq:
                return frames
    raise AssertionError("the stream ended early")


async def seen(box: Daemon, type_: str, where=lambda data: True, *, after: int = 0,
               timeout: float = 20.0):
    """The first event of ``type_`` after seq ``after`` whose JSON data satisfies ``where``."""
    deadline = time.monotonic() + timeout
    while True:
        for event in box.bus.history(after):
            if event.type == type_ and where(event.to_dict()["data"]):
                return event
        assert time.monotonic() < deadline, f"no {type_} after seq {after}"
        await asyncio.sleep(0.02)


#: The scenario's box, beyond the tests' usual one.
SCENARIO = {
    "display": {"device": "dummy:128x64"},  # the screen follows every event too
    "battery": {"device": "sim", "poll_s": 0.05, "confirm_readings": 2},
    # Short enough for a session and an unfetched presentation to expire in the test.
    "apcv": {"session_seconds": 3.0, "presentation_ttl_s": 3.0},
    # Records older than one second are within the warning's reach.
    "journal": {"retention_days": 1.0, "warn_before_s": 86399.0},
}


async def test_every_event_type_keeps_its_recorded_json_shape(tmp_path, sim_pcscd, card_slots):
    if not sim_pcscd.running:
        await asyncio.to_thread(sim_pcscd.restart, list(DEFAULT_SIM_READERS))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "journal.db").write_bytes(b"not a database at all" * 300)  # journal.recovered
    # The kernel says "not synchronised", so a workstation may set the clock (clock.set).
    async with running_box(tmp_path, clock=Clock(recheck_s=0.0, kernel_synced=lambda: False),
                           **SCENARIO) as box:
        assert box.api is not None and box.journal is not None and box.battery is not None

        def mark() -> int:
            return box.bus.last_seq

        # reader.attached / reader.detached: a reader plugged in, then unplugged.
        extra = SimReader("Borne Sim Extra", 0x9C81)
        await asyncio.to_thread(sim_pcscd.restart, [*DEFAULT_SIM_READERS, extra])
        await seen(box, "reader.attached", lambda d: d["slot"].startswith("borne-sim-extra"))
        await asyncio.to_thread(sim_pcscd.restart, list(DEFAULT_SIM_READERS))
        await seen(box, "reader.detached", lambda d: d["slot"].startswith("borne-sim-extra"))
        deadline = time.monotonic() + 20
        while not {SLOT0, SLOT1} <= set(box.core.slots):
            assert time.monotonic() < deadline, "the readers never came back"
            await asyncio.sleep(0.05)

        # pairing.opened / pairing.completed: the daemon's own window (as `borne pair open`).
        window = box.open_pairing()
        await pair(url(box), code=window.code, name="Comptoir A", directory=tmp_path / "a")
        other = await paired(box, tmp_path / "b", "Comptoir B")

        # battery.state: unknown, ok, then low.
        await seen(box, "battery.state", lambda d: d["state"] == "ok")
        box.battery.twin.set_level(15, charging=False)
        await seen(box, "battery.state", lambda d: d["state"] == "low")

        # card.inserted / card.decoded (each kind of card) / card.removed / card.error,
        # and journal.stored for the reads.
        for card in ("vitale-family", "vitale1", "unknown"):
            before = mark()
            await asyncio.to_thread(card_slots.insert, 0, card)
            await seen(box, "card.decoded", lambda d: d["slot"] == SLOT0, after=before)
            await asyncio.to_thread(card_slots.remove, 0, wait=True)
            await seen(box, "card.removed", lambda d: d["slot"] == SLOT0, after=before)
        before = mark()
        await asyncio.to_thread(card_slots.insert_factory, 0, "support.faulty_cards:truncated_tlv")
        await seen(box, "card.error", lambda d: d["slot"] == SLOT0, after=before)
        await asyncio.to_thread(card_slots.remove, 0, wait=True)
        await seen(box, "card.removed", lambda d: d["slot"] == SLOT0, after=before)
        await asyncio.to_thread(card_slots.insert, 1, "cps-doctor")  # stays: apCV sessions
        await seen(box, "card.decoded", lambda d: d["slot"] == SLOT1)
        await seen(box, "journal.stored", lambda d: d["kind"] == "cps")

        async with BoxClient.from_directory(tmp_path / "a") as client:
            # The apCV: presented, fetched, a session used up; another left to expire;
            # a presentation nobody fetches; a prescription; a payload nobody knows.
            async def present(payload: bytes, type_: str = "apcv.presented") -> str:
                before = mark()
                box.apcv.payload_captured("qr_camera", payload, time.monotonic_ns())
                event = await seen(box, type_, after=before)
                return event.to_dict()["data"].get("presentation_id")

            first = await present(TOKEN)
            await client.presentation(first)
            session = await client.open_session(first)
            assert await client.claim_invoice(session["id"]) == 1  # the doctor's only one
            await seen(box, "apcv.session.exhausted")
            await client.release_invoice(session["id"], 1, "signature_failed")  # given back
            await seen(box, "apcv.invoice.released")
            assert await client.claim_invoice(session["id"]) == 2  # the retry
            await client.confirm_invoice(session["id"], 2)
            second = await present(TOKEN + b"2")
            await client.presentation(second)
            await client.open_session(second)
            await present(TOKEN + b"3")  # never fetched: apcv.presentation.expired
            await client.prescription(await present(PRESCRIPTION, "prescription.scanned"))
            await present(b"https://example.org/not-an-apcv", "capture.error")
            await seen(box, "apcv.presentation.expired")
            await seen(box, "apcv.session.expired")

            await client.set_clock()                                       # clock.set
            box.set_mode("mobile")                                         # mode.changed
            # journal.retention_warning: the service checks retention at most hourly, so
            # its check is run now (the records are more than a second old).
            await asyncio.sleep(1.1)
            await box.journal.retention_tick()
            await seen(box, "journal.retention_warning")
            records = await client.journal()
            await client.ack(up_to=records[-1]["seq"])                     # journal.collected
            await seen(box, "journal.collected")
            assert box.api_context.revoke(other.client_id) == 0            # client.revoked
            await seen(box, "journal.purged")                              # its records go

            # update.*: what the update service publishes (it runs against a real RAUC in
            # test_update_service.py and test_update_box.py), once each for its JSON shape.
            for event in (UpdateAvailable(version="1.1.0", origin="file"),
                          UpdateProgress(percent=40, step="installing"),
                          UpdateInstalled(version="1.1.0"),
                          UpdateProgress(percent=100, step="rebooting"),
                          UpdateCommitted(version="1.1.0"),
                          UpdateRolledBack(version="1.2.0", back_to="1.1.0"),
                          UpdateRefusedEvent(code="update_downgrade_refused", origin="api",
                                             version="0.9.0"),
                          # network.*: what the network service publishes (against
                          # python-dbusmock's NetworkManager in test_network_service.py)
                          NetworkOffered(ssid="Pharmacie du Port", expires_in_s=30),
                          NetworkJoined(ssid="Pharmacie du Port", address="192.168.1.23",
                                        interface="wifi"),
                          NetworkFailed(ssid="Pharmacie du Port", code="network_wrong_password",
                                        message="Wi-Fi password refused"),
                          NetworkLost(ssid="Pharmacie du Port")):
                box.bus.publish(event)

            last = mark()
            frames = await read_stream(client, last)
        envelopes = await asyncio.to_thread(call, box.config.control_socket, "events",
                                            {"after": 0})
    # daemon.stopping is published as the daemon stops, while its API closes: no stream
    # can be relied on to carry it, so it is taken from the bus through the same edge
    # serialiser the control socket's ``events`` command uses.
    (stopping,) = [e.to_dict() for e in box.bus.history() if e.type == "daemon.stopping"]

    for _seq, _type, raw in frames:  # the bytes a vendor reads: compact UTF-8 JSON
        assert raw == json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    streamed = [(type_, json.loads(raw)) for _seq, type_, raw in frames]
    assert [seq for seq, _t, _d in frames] == list(range(1, last + 1))
    envelopes = [e for e in envelopes if e["seq"] <= last] + [stopping]
    assert [(e["type"], e["data"]) for e in envelopes[:-1]] == streamed  # one serialiser
    observed = {"envelope": envelope_of(envelopes),
                "events": shapes_of(streamed + [(stopping["type"], stopping["data"])])}
    assert {name.partition(":")[0] for name in observed["events"]} == set(EVENT_TYPES)

    if os.environ.get("BORNE_RECORD_EVENT_SHAPES") == "1":
        RECORDED.write_text(render(observed))
    recorded = json.loads(RECORDED.read_text())
    assert observed["envelope"] == recorded["envelope"]
    assert set(observed["events"]) == set(recorded["events"])
    for name, shape in recorded["events"].items():
        assert observed["events"][name] == shape, name
