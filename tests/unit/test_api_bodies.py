"""The API's structs carry every key the box's objects give, in their order, with their values.

The routes turn the domain's JSON-ready dicts (``Slot.to_dict``, ``Session.view``,
``Core.snapshot``...) into the structs of ``borne.api.bodies`` with ``msgspec.convert``,
which would drop a key the struct lacks: a response would lose a field without a word.
This test builds the real objects and checks the round trip is exact, so a key added
to the domain fails here first (add it to the struct: ``UNDOCUMENTED`` until the
document promises it).
"""

from __future__ import annotations

import json

import msgspec
import pytest

from borne.api.bodies import AuditEntry, Client, Slot, Status
from borne.api.flow_bodies import (InvoiceChanged, InvoiceClaimed, Journal, JournalAcked, Lease,
                                   Leases, Session)
from borne.apcv.sessions import Invoice as ApcvInvoice
from borne.apcv.sessions import Session as ApcvSession
from borne.apdu.leases import Lease as ApduLease
from borne.audit.trail import AuditEntry as AuditRow
from borne.battery.monitor import BatteryStatus
from borne.core import Core, SlotState
from borne.events import EventBus
from borne.health.check import Check
from borne.journal.header import RecordHeader
from borne.readers.base import SlotInfo
from borne.readers.cards.model import (Beneficiary, CpsCard, CpsHolder, UnknownCard, Vitale1Card,
                                       VitaleCard)
from borne.runtime.clock import Clock
from borne.secure_channel.clients import ClientRecord

INFO = SlotInfo("borne-sim-00-00", "Borne Sim 00 00", "contact", "pcsc")
VITALE = VitaleCard(atr=b"\x3b\x75", beneficiaries=(
    Beneficiary("MARTIN-TEST", "JEANNE", "1980-02-01", "280027512345613", True),))
CPS = CpsCard(atr=b"\x3b\xac", generation="CPS3", serial="8025000001000123",
              holder=CpsHolder("DUPONT-TEST", "ALICE", "810000000001"), profession="pharmacist",
              profession_code="21", profession_label="Pharmacien")


def exact(value: object, struct: type) -> None:
    """``value`` survives the struct: same keys, same order, same values and types."""
    back = msgspec.to_builtins(msgspec.convert(value, struct))
    assert json.dumps(back) == json.dumps(value)


@pytest.mark.parametrize("slot", [
    SlotState(INFO),
    SlotState(INFO, "decoded", b"\x3b\x75", VITALE),
    SlotState(INFO, "decoded", b"\x3b\xac", CPS),
    SlotState(INFO, "decoded", b"\x3b\x00", Vitale1Card(atr=b"\x3b\x00")),
    SlotState(INFO, "decoded", b"\x3b\x01", UnknownCard(atr=b"\x3b\x01", names=("A card",))),
    SlotState(INFO, "error", b"\x3b\x02", None, "card_removed"),
], ids=["empty", "vitale", "cps", "vitale1", "unknown", "error"])
def test_a_slot(slot):
    exact(slot.to_dict(identity=False, language="fr"), Slot)


def test_the_status():
    core = Core(EventBus(Clock()), Clock())
    core.slots[INFO.id] = SlotState(INFO, "decoded", b"\x3b\x75", VITALE)
    core.device_state("pcsc", "ok")
    core.device_state("display", "error", "Écran introuvable")
    core.battery = BatteryStatus(42, True, "ok", 3900).to_dict()
    snapshot = core.snapshot(identity=False, with_readers=False)
    snapshot["readers"] = 1
    snapshot["health"] = [
        Check("pcscd", "ok", "pcscd répond", "pcscd answers").to_dict(),
        Check("disk", "warn", "disque presque plein", "disk almost full", "faites de la place",
              "free some space", code="disk_low").to_dict()]
    snapshot["client"] = {"client_id": "ws-1", "name": "Comptoir", "admin": False}
    snapshot["update"] = {"state": "installed", "system_version": "1.0.0", "booted_slot": "A",
                          "pending_version": "1.1.0", "progress": 100,
                          "reboot_held_by": ["apcv_session"], "last_error": None}
    snapshot["usb"] = {"mode": "ccid", "transport": "functionfs", "state": "host_connected",
                       "detail": None, "reader_name": "Borne USB", "host_using": [1],
                       "slots": [{"index": 0, "pattern": "*", "box_slot": None, "in_use": False},
                                 {"index": 1, "pattern": "*", "box_slot": "sim-00",
                                  "in_use": True}]}
    snapshot["network"] = {"state": "wifi", "detail": None, "ethernet": False,
                           "ssid": "Pharmacie", "signal": 70, "address": "192.168.1.20",
                           "pending_ssid": None}
    exact(snapshot, Status)
    core.battery = None
    exact({**snapshot, "battery": None}, Status)


@pytest.mark.parametrize("revoked_at", [None, "2026-01-01T00:00:00+00:00"])
def test_a_client(revoked_at):
    record = ClientRecord("ws-1", "Comptoir", 0xABC, True, "2027-01-01T00:00:00+00:00", "00" * 32,
                          "2026-01-01T00:00:00+00:00", revoked_at)
    exact(record.to_dict(), Client)


def test_an_audit_entry():
    row = AuditRow(seq=3, mono=12.5, boot_id="b", wall="2026-01-01T00:00:00.000+00:00",
                   wall_synced=True, client_id="ws-1", action="GET /v1/status",
                   resource="/v1/status", status=200, detail={"offset_s": 1.5},
                   prev_hash="0" * 64, hash="1" * 64)
    exact(row.to_dict(), AuditEntry)


def test_a_session_and_a_claim():
    session = ApcvSession("s-1", "ws-1", "p-1", "pharmacist", 2, 0.0, 1200.0, "site",
                          [ApcvInvoice(1, "released", "signature_failed"), ApcvInvoice(2)])
    exact(session.view(10.25), Session)
    exact({"invoice": 2, "session": session.view(10.25)}, InvoiceClaimed)
    exact({**session.invoices[0].view(), "session": session.view(10.25)}, InvoiceChanged)


def test_a_lease():
    lease = ApduLease("l-1", "borne-sim-00-00", "ws-1", "Comptoir", 160.0)
    exact(lease.view(100.0), Lease)
    exact({"leases": [lease.view(100.0)]}, Leases)


def test_a_journal_page_and_an_acknowledgement():
    header = RecordHeader(seq=7, read_id=7, client_id="ws-a", kind="vitale", mono_ns=123,
                          boot_id="b", wall="2026-01-01T00:00:00.000+00:00", wall_synced=False,
                          wall_source="none", created=1767225600)
    record = {**header.to_dict(), "header": header.to_bytes().decode("ascii"),
              "envelope_b64": "AAAA", "signature_b64": "MEQC"}
    exact({"records": [record], "waiting": 1}, Journal)
    exact({"records": [{**record, "signature_b64": None}], "waiting": 1}, Journal)
    exact({"acked": 1, "already_acked": 0, "waiting": 0}, JournalAcked)


def test_a_key_the_struct_lacks_is_seen():
    view = {**SlotState(INFO).to_dict(identity=False, language="fr"), "new": 1}
    with pytest.raises(AssertionError):
        exact(view, Slot)
