"""Examples of the API's bodies, for the OpenAPI document (a data table).

One example per body the operations send or read, under its name in the document: a struct's
class name, a :class:`~borne.api.operation.OneOf`'s name, a hand-declared schema's name
(:data:`borne.api.card_schemas.CARD_SCHEMAS`). :mod:`borne.api.openapi` puts each on the
operations that use it (the media type's ``example``), which is what code generators show and
what schemathesis sends first (its "examples" phase). ``tests/unit/test_openapi_examples.py``
checks that every request and main response has one and that each validates against its schema.

Illustrative values only: every identity here is the simulator's fictitious family (surnames
ending in ``-TEST``), ids have the box's forms but are made up, and the times are in the past
of any box (set a box's clock with your own time, never with this file's).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["EXAMPLES"]

_WALL = "2026-01-15T09:30:12.250Z"
_CLIENT = {"client_id": "ws-3f2a9c1b7d4e", "name": "Comptoir 1", "admin": False}
_SLOT = "acs-acr39u-icc-reader-00-00"
_SESSION_ID = "se-8d41c2a9f0b37e65"
_PRESENTATION_ID = "ap-5b0e9d2c71a4f836"
_CA = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJ...\n-----END CERTIFICATE-----\n"

_CLOCK = {"wall": _WALL, "synchronised": True, "source": "ntp"}
_HEALTH = {"name": "readers", "code": "ok", "status": "ok",
           "detail": {"fr": "2 lecteurs", "en": "2 readers"}, "fix": None}
_SLOT_VIEW = {"id": _SLOT, "name": "ACS ACR39U ICC Reader 00 00", "kind": "contact",
              "backend": "pcsc", "state": "decoded", "atr": "3B 75 13 00 00 45 09 EA 90 00",
              "card": {"type": "vitale"}, "error": None}
_CLIENT_RECORD = {**_CLIENT, "revoked_at": None}
_AUDIT_ENTRY = {"seq": 1842, "wall": _WALL, "wall_synced": True, "client_id": _CLIENT["client_id"],
                "action": "GET /v1/readers/{slot_id}/card",
                "resource": f"/v1/readers/{_SLOT}/card", "status": 200,
                "hash": "9c1f0e5d2b7a4c3e8f6a1d0b9e2c7f4a5d3b8e1c6f0a9d2e7b4c1f8a5e3d0b6c"}
_SESSION = {"id": _SESSION_ID, "state": "open", "presentation_id": _PRESENTATION_ID,
            "profession": "pharmacist", "quota_source": "card", "invoices_allowed": 2,
            "invoices_used": 1, "invoices": [{"invoice": 1, "state": "claimed", "reason": None}],
            "seconds_left": 1104.5}
_LEASE = {"lease_id": "q8ZrT2mXv0aLk4Ns", "slot": _SLOT, "expires_in_s": 59.998,
          "holder": {"client_id": _CLIENT["client_id"], "name": _CLIENT["name"]}}
_RECORD_HEADER = {"boot_id": "4f3c2b1a-0e9d-4c8b-a7f6-e5d4c3b2a190", "client_id": "ws-3f2a9c1b7d4e",
                  "created": 1768469412, "kind": "vitale", "mono_ns": 81234567890, "read_id": 77,
                  "seq": 312, "v": 1, "wall": _WALL, "wall_source": "ntp", "wall_synced": True}

#: The update's state as /v1/status shows it: an update installed, its reboot held.
_UPDATE = {"state": "installed", "system_version": "1.4.0", "booted_slot": "A",
           "pending_version": "1.5.0", "progress": 100, "reboot_held_by": ["apcv_session"],
           "last_error": None}

#: The USB reader as /v1/status shows it: a workstation holds the Vitale slot.
_USB = {"mode": "ccid", "transport": "functionfs", "state": "host_connected", "detail": None,
        "reader_name": "Borne USB", "host_using": [1],
        "slots": [{"index": 0, "pattern": "*", "box_slot": "acs-acr39u-icc-reader-00-00",
                   "in_use": False},
                  {"index": 1, "pattern": "*", "box_slot": "acs-acr39u-icc-reader-01-00",
                   "in_use": True}]}

#: Each body's example, by its name in the document.
EXAMPLES: dict[str, Any] = {
    "Status": {
        "version": "0.1.0", "api_level": 1, "mode": "counter", "uptime_s": 5231.4, "clock": _CLOCK,
        "devices": {"pcsc": {"state": "available"}, "api": {"state": "available"},
                    "camera": {"state": "unavailable", "detail": "no camera configured"}},
        "battery": None, "last_event_seq": 1290, "readers": 2, "health": [_HEALTH],
        "client": _CLIENT, "update": _UPDATE, "usb": _USB,
        "network": {"state": "wifi", "detail": None, "ethernet": False, "ssid": "Pharmacie",
                    "signal": 70, "address": "192.168.1.20", "pending_ssid": None}},
    "KnownNetworks": {"networks": [
        {"id": "7c1b2f0e-5a53-4d8e-9c4e-3f0f6a1d2b90", "ssid": "Pharmacie", "priority": 10,
         "autoconnect": True, "active": True},
        {"id": "0e6c8d5a-2b1f-4c7a-8f3e-9d2a6b4c1e07", "ssid": "Téléphone de Claire",
         "priority": 10, "autoconnect": True, "active": False}]},
    "NetworkForgotten": {"id": "0e6c8d5a-2b1f-4c7a-8f3e-9d2a6b4c1e07",
                         "ssid": "Téléphone de Claire"},
    "ModeChange": {"mode": "mobile"},
    "Readers": {"readers": [_SLOT_VIEW, {**_SLOT_VIEW, "id": "acs-acr39u-icc-reader-01-00",
                                         "name": "ACS ACR39U ICC Reader 01 00", "state": "empty",
                                         "atr": None, "card": None}]},
    "Slot": _SLOT_VIEW,
    "Card": {"type": "vitale", "generation": 2, "atr": "3B 75 13 00 00 45 09 EA 90 00",
             "beneficiaries": [
                 {"surname": "LECLERC-TEST", "first_name": "JEAN", "birth_date": "1978-11-03",
                  "birth_date_lunar": False, "nir": "178112B00401746", "nir_key_valid": True,
                  "nir_kind": "nir"},
                 {"surname": "LECLERC-TEST", "first_name": "LOUISE", "birth_date": "2015-06-00",
                  "birth_date_lunar": True, "nir": "115061305532193", "nir_key_valid": True,
                  "nir_kind": "nir"}],
             "warnings": []},
    "Clients": {"clients": [{**_CLIENT_RECORD, "client_id": "ws-0a1b2c3d4e5f",
                             "name": "Back-office", "admin": True}, _CLIENT_RECORD]},
    "Client": _CLIENT_RECORD,
    "Audit": {"entries": [_AUDIT_ENTRY]},
    "Presentation": {"id": _PRESENTATION_ID, "channel": "qr_camera", "captured_at": _WALL,
                     "payload_b64": "QVBDVi1FWEFNUExF", "payload_text": "APCV-EXAMPLE", "size": 12},
    "Prescription": {"id": "pr-2c7e1a9b4d0f5e83", "channel": "qr_scanner", "captured_at": _WALL,
                     "number": "01S2TBPZ2JCNZZYGHZ", "payload_b64": "MDFTMlRCUFoySkNOWlpZR0ha",
                     "payload_text": "01S2TBPZ2JCNZZYGHZ", "size": 18},
    "SessionOpen": {"presentation_id": _PRESENTATION_ID},
    "Session": _SESSION,
    "InvoiceClaimed": {"invoice": 1, "session": _SESSION},
    "InvoiceRelease": {"reason": "transmission_failed"},
    "InvoiceChanged": {"invoice": 1, "state": "released", "reason": "transmission_failed",
                       "session": {**_SESSION, "invoices_used": 0, "invoices": [
                           {"invoice": 1, "state": "released", "reason": "transmission_failed"}]}},
    "CameraScan": {"on": True},
    "Scanning": {"scanning": True},
    "LeaseRequest": {"seconds": 60},
    "Lease": _LEASE,
    "Leases": {"leases": [_LEASE]},
    "Released": {"released": True},
    "ClockSet": {"utc": "2000-01-01T00:00:00Z"},
    "ClockSetResult": {"wall": _WALL, "synchronised": True, "source": "client", "offset_s": 3.25},
    "Journal": {"records": [{**_RECORD_HEADER,
                             "header": json.dumps(_RECORD_HEADER, sort_keys=True,
                                                  separators=(",", ":")),
                             "envelope_b64": "AQIDBAUGBwgJCgsMDQ4PEA==",
                             "signature_b64": "MEUCIQCJ0K5mH1WqGq6y7bZ0kY2l1xA1cU8o8JbHk3qL2V3"
                                              "n1wIgSx2aH9cQm0c7lB0vY2bq3o0qkF0Zr6f3bq0yq2C5Lk0="}],
                "waiting": 1},
    "JournalAck": {"seqs": [312]},
    "JournalAcked": {"acked": 1, "already_acked": 0, "waiting": 0},
    "PairingStart": {"client_msg": "QWFuIGV4YW1wbGUgcG9pbnQ6IDMyIGJ5dGVzIGhlcmUh"},
    "PairingStarted": {"session": "AhwN3hGWzuaTdz0Ses_cWg",
                       "server_msg": "QnRoZSBib3ggcG9pbnQsIGFnYWluIDMyIGJ5dGVzISEh"},
    "PairingComplete": {
        "session": "AhwN3hGWzuaTdz0Ses_cWg",
        "csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIHeMIGFAgEAMCMxITAf...\n"
               "-----END CERTIFICATE REQUEST-----\n",
        "name": "Comptoir 1", "mac": "ZXhhbXBsZSBITUFDLVNIQTI1NiBvZiB0aGUgY29kZSE="},
    "Bundle": "(the bytes of a RAUC bundle, e.g. borne-1.3.0.raucb)",
    "UpdateAccepted": {"version": "1.3.0", "compatible": "borne-rpi"},
    "UpdateStatus": _UPDATE,
    "RebootRequest": {"force": False},
    "PairingCompleted": {"client_id": "ws-3f2a9c1b7d4e",
                         "certificate": _CA.replace("MIIBkTCB+wIJ", "MIIBxDCCAW"), "ca": _CA,
                         "mac": "dGhlIGJveCBwcm9vZjogSE1BQy1TSEEyNTYgMzIgQiE=",
                         "answer_mac": "YWxsIHlvdSBrZWVwOiBITUFDLVNIQTI1NiwgMzIgQiE="},
}
