"""The OpenAPI 3.1 document of the v1 API: the contract billing software codes against.

Kept true by tests: every route of the application is documented here, and the
responses the test suite receives are validated against these schemas
(``tests/integration/test_api_contract.py``).
"""

from __future__ import annotations

from typing import Any

from .. import API_LEVEL, __version__
from ..error_catalogue import Surface, codes
from ..health import CODES as HEALTH_CODES

__all__ = ["CHANNEL_ERROR_CODES", "ERROR_CODES", "LEASE_LOST_CODES", "document"]

#: Every error code the API answers, for the document and the vendor docs.
ERROR_CODES = list(codes(Surface.API))
#: Error codes of the APDU channel's ``{"op": "error"}`` messages (docs/apdu-channel.md).
CHANNEL_ERROR_CODES = list(codes(Surface.CHANNEL))
#: Why the APDU channel's ``{"op": "lease_lost"}`` message says a lease ended.
LEASE_LOST_CODES = list(codes(Surface.LEASE_LOST))

_NULLABLE_STR = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = _json(_ref("Error"), "Error (see the `error` code)")
_AUTH_ERRORS = {"401": _ERROR, "403": _ERROR}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error", "message", "details"],
        "properties": {"error": {"type": "string", "enum": ERROR_CODES},
                       "message": {"type": "string"}, "details": {"type": "object"}},
        "additionalProperties": False,
    },
    "Device": {"type": "object", "required": ["state"],
               "properties": {"state": {"type": "string"}, "detail": _NULLABLE_STR}},
    "Status": {
        "type": "object",
        "required": ["version", "api_level", "mode", "uptime_s", "clock", "devices", "battery",
                     "last_event_seq", "readers", "health", "client"],
        "properties": {
            "version": {"type": "string"}, "api_level": {"type": "integer"},
            "mode": {"type": "string", "enum": ["counter", "mobile"]},
            "uptime_s": {"type": "number"},
            "clock": _ref("Clock"),
            "devices": {"type": "object", "additionalProperties": _ref("Device")},
            "battery": {"oneOf": [{"type": "null"}, _ref("Battery")],
                        "description": "the battery (a mobile box's UPS board); null: none "
                                       "configured. Its board's health is `devices.battery`"},
            "last_event_seq": {"type": "integer"},
            "readers": {"type": "integer", "description": "number of reader slots"},
            "health": {"type": "array", "items": _ref("HealthCheck"),
                       "description": "the box's health checks, the same as `borne doctor`'s"},
            "client": _ref("ClientIdentity"),
        },
    },
    "Battery": {
        "type": "object", "required": ["percent", "charging", "state", "voltage_mv"],
        "description": "The battery, as the `battery.state` event says it. `state` is `low` "
                       "and then `critical` once several readings in a row are at or under "
                       "the configured levels; at `critical` the box stores what it holds and "
                       "powers off. `unknown`: not enough readings yet, or the board failed",
        "properties": {
            "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
            "charging": {"type": "boolean"},
            "state": {"type": "string", "enum": ["ok", "low", "critical", "unknown"]},
            "voltage_mv": {"type": ["integer", "null"]},
        },
        "additionalProperties": False,
    },
    "HealthCheck": {
        "type": "object", "required": ["name", "code", "status", "detail", "fix"],
        "description": "One health check. `detail` and `fix` are for a person, in French and "
                       "English whatever the box's language; `code` is stable, for programs. "
                       "`fix` is null when there is nothing to do.",
        "properties": {
            "name": {"type": "string", "description": "what was checked: config, pcscd, readers, "
                     "camera, scanner, nfc, display, panel, api, storage, battery, disk, clock, ca_cert, "
                     "server_cert, clients"},
            "code": {"type": "string", "enum": list(HEALTH_CODES)},
            "status": {"type": "string", "enum": ["ok", "warn", "fail"]},
            "detail": _ref("Words"),
            "fix": {"oneOf": [{"type": "null"}, _ref("Words")]},
        },
        "additionalProperties": False,
    },
    "Clock": {
        "type": "object", "required": ["wall", "synchronised", "source"],
        "description": "The box's wall clock (UTC). `source`: `ntp` (the kernel is synchronised), "
                       "`client` (a paired workstation set it: POST /v1/clock), `none` (not to be "
                       "trusted: `synchronised` is false)",
        "properties": {"wall": {"type": "string"}, "synchronised": {"type": "boolean"},
                       "source": {"type": "string", "enum": ["ntp", "client", "none"]}}},
    "ClockSet": {"type": "object", "required": ["utc"],
                 "properties": {"utc": {"type": "string", "maxLength": 64,
                                        "description": "ISO 8601 with a time zone, e.g. "
                                                       "2026-11-22T10:00:00Z"}}},
    "ClockSetResult": {
        "type": "object", "required": ["wall", "synchronised", "source", "offset_s"],
        "properties": {"wall": {"type": "string"}, "synchronised": {"type": "boolean"},
                       "source": {"type": "string", "enum": ["ntp", "client", "none"]},
                       "offset_s": {"type": "number",
                                    "description": "how far the box's wall clock moved (s)"}}},
    "Words": {"type": "object", "required": ["fr", "en"],
              "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
              "additionalProperties": False},
    "ClientIdentity": {"type": "object", "required": ["client_id", "name", "admin"],
                       "properties": {"client_id": {"type": "string"}, "name": {"type": "string"},
                                      "admin": {"type": "boolean"}}},
    "CardSummary": {"type": "object", "required": ["type"],
                    "properties": {"type": {"type": "string",
                                            "enum": ["vitale", "vitale1", "cps", "unknown"]}}},
    "Slot": {
        "type": "object", "required": ["id", "name", "kind", "backend", "state", "atr", "card", "error"],
        "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["contact", "contactless"]},
            "backend": {"type": "string"},
            "state": {"type": "string",
                      "enum": ["empty", "reading", "decoded", "phone", "error"]},
            "atr": _NULLABLE_STR,
            "card": {"oneOf": [{"type": "null"}, _ref("CardSummary")]},
            "error": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}]},
        },
    },
    "Readers": {"type": "object", "required": ["readers"],
                "properties": {"readers": {"type": "array", "items": _ref("Slot")}}},
    "Beneficiary": {
        "type": "object",
        "required": ["surname", "first_name", "birth_date", "birth_date_lunar", "nir",
                     "nir_key_valid", "nir_kind"],
        "properties": {"surname": {"type": "string"}, "first_name": {"type": "string"},
                       "birth_date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                       "birth_date_lunar": {"type": "boolean"}, "nir": {"type": "string"},
                       "nir_key_valid": {"type": "boolean"},
                       "nir_kind": {"type": "string", "enum": ["nir", "nia", "unknown"]}},
    },
    "VitaleCard": {"type": "object", "required": ["type", "generation", "atr", "beneficiaries"],
                   "properties": {"type": {"const": "vitale"}, "generation": {"const": 2},
                                  "atr": {"type": "string"},
                                  "beneficiaries": {"type": "array", "items": _ref("Beneficiary")}}},
    "Vitale1Card": {"type": "object", "required": ["type", "atr", "decodable"],
                    "properties": {"type": {"const": "vitale1"}, "atr": {"type": "string"},
                                   "decodable": {"const": False}, "reason": {"type": "string"}}},
    "CpsCard": {
        "type": "object", "required": ["type", "generation", "atr", "serial", "holder", "profession"],
        "properties": {
            "type": {"const": "cps"}, "generation": {"type": "string", "enum": ["CPS3", "CPS4"]},
            "atr": {"type": "string"}, "serial": _NULLABLE_STR,
            "holder": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["surname", "first_name", "identifier"],
                "properties": {"surname": {"type": "string"}, "first_name": {"type": "string"},
                               "identifier": _NULLABLE_STR}}]},
            "profession": _NULLABLE_STR, "profession_code": _NULLABLE_STR,
            "profession_label": _NULLABLE_STR,
        },
    },
    "UnknownCard": {"type": "object", "required": ["type", "atr", "names"],
                    "properties": {"type": {"const": "unknown"}, "atr": {"type": "string"},
                                   "names": {"type": "array", "items": {"type": "string"}}}},
    "Card": {"oneOf": [_ref("VitaleCard"), _ref("Vitale1Card"), _ref("CpsCard"), _ref("UnknownCard")]},
    "Client": {"type": "object", "required": ["client_id", "name", "admin", "revoked_at"],
               "properties": {"client_id": {"type": "string"}, "name": {"type": "string"},
                              "admin": {"type": "boolean"}, "revoked_at": _NULLABLE_STR}},
    "Clients": {"type": "object", "required": ["clients"],
                "properties": {"clients": {"type": "array", "items": _ref("Client")}}},
    "AuditEntry": {"type": "object",
                   "required": ["seq", "wall", "wall_synced", "client_id", "action", "resource",
                                "status", "hash"],
                   "properties": {"seq": {"type": "integer"}, "wall": {"type": "string"},
                                  "wall_synced": {"type": "boolean"}, "client_id": _NULLABLE_STR,
                                  "action": {"type": "string"}, "resource": {"type": "string"},
                                  "status": {"type": "integer"}, "hash": {"type": "string"}}},
    "Audit": {"type": "object", "required": ["entries"],
              "properties": {"entries": {"type": "array", "items": _ref("AuditEntry")}}},
    "PairingStart": {"type": "object", "required": ["client_msg"],
                     "properties": {"client_msg": {"type": "string", "contentEncoding": "base64",
                                                   "description": "SPAKE2 message A (code as password)"}}},
    "PairingStarted": {"type": "object", "required": ["session", "server_msg"],
                       "properties": {"session": {"type": "string"},
                                      "server_msg": {"type": "string", "contentEncoding": "base64"}}},
    "PairingComplete": {
        "type": "object", "required": ["session", "csr", "name", "mac"],
        "properties": {"session": {"type": "string"}, "csr": {"type": "string", "description": "PEM CSR"},
                       "name": {"type": "string", "minLength": 1, "maxLength": 64},
                       "mac": {"type": "string", "contentEncoding": "base64"}}},
    "PairingCompleted": {
        "type": "object", "required": ["client_id", "certificate", "ca", "mac"],
        "properties": {"client_id": {"type": "string"}, "certificate": {"type": "string"},
                       "ca": {"type": "string"}, "mac": {"type": "string", "contentEncoding": "base64"}}},
    "Presentation": {
        "type": "object", "required": ["id", "channel", "captured_at", "payload_b64",
                                       "payload_text", "size"],
        "properties": {
            "id": {"type": "string"},
            "channel": {"type": "string", "enum": ["qr_camera", "qr_scanner", "nfc",
                                                   "pcsc_contactless"]},
            "captured_at": {"type": "string", "description": "wall clock (see /v1/status clock)"},
            "payload_b64": {"type": "string", "contentEncoding": "base64",
                            "description": "the opaque payload: authenticate it yourself"},
            "payload_text": {**_NULLABLE_STR, "description": "the payload if it is UTF-8"},
            "size": {"type": "integer"}}},
    "Prescription": {
        "type": "object", "required": ["id", "channel", "captured_at", "number", "payload_b64",
                                       "payload_text", "size"],
        "properties": {"id": {"type": "string"}, "channel": {"type": "string"},
                       "captured_at": {"type": "string"}, "number": {"type": "string"},
                       "payload_b64": {"type": "string", "contentEncoding": "base64"},
                       "payload_text": _NULLABLE_STR, "size": {"type": "integer"}}},
    "SessionOpen": {"type": "object", "required": ["presentation_id"],
                    "properties": {"presentation_id": {"type": "string", "maxLength": 64}}},
    "Session": {
        "type": "object", "required": ["id", "state", "presentation_id", "profession",
                                       "invoices_allowed", "invoices_used", "seconds_left"],
        "properties": {"id": {"type": "string"},
                       "state": {"type": "string", "enum": ["open", "exhausted", "expired"]},
                       "presentation_id": {"type": "string"}, "profession": _NULLABLE_STR,
                       "invoices_allowed": {"type": "integer", "minimum": 1},
                       "invoices_used": {"type": "integer", "minimum": 0},
                       "seconds_left": {"type": "number", "minimum": 0}}},
    "LeaseRequest": {"type": "object",
                     "properties": {"seconds": {"type": "integer", "minimum": 1, "maximum": 300,
                                                "default": 60,
                                                "description": "up to `[apdu] max_lease_s`"}}},
    "Lease": {"type": "object", "required": ["lease_id", "slot", "expires_in_s", "holder"],
              "properties": {"lease_id": {"type": "string"}, "slot": {"type": "string"},
                             "expires_in_s": {"type": "number", "minimum": 0},
                             "holder": {"type": "object", "required": ["client_id", "name"],
                                        "properties": {"client_id": {"type": "string"},
                                                       "name": {"type": "string"}}}}},
    "Leases": {"type": "object", "required": ["leases"],
               "properties": {"leases": {"type": "array", "items": _ref("Lease")}}},
    "JournalRecord": {
        "type": "object",
        "required": ["seq", "read_id", "client_id", "kind", "mono_ns", "boot_id", "wall",
                     "wall_synced", "wall_source", "created", "v", "header", "envelope_b64"],
        "description": "A record sealed for the calling workstation (docs/journal.md). `header` "
                       "is the exact text sealed as the envelope's associated data: decrypt with "
                       "it, then trust the fields parsed from it; the others repeat them in clear.",
        "properties": {
            "seq": {"type": "integer", "minimum": 1}, "read_id": {"type": "integer"},
            "client_id": {"type": "string"},
            "kind": {"type": "string", "enum": ["vitale", "cps", "apcv", "prescription"]},
            "mono_ns": {"type": "integer", "description": "monotonic clock, within boot_id"},
            "boot_id": {"type": "string"},
            "wall": {"type": "string"}, "wall_synced": {"type": "boolean"},
            "wall_source": _NULLABLE_STR,
            "created": {"type": "integer", "description": "Unix seconds (retention)"},
            "v": {"const": 1},
            "header": {"type": "string"},
            "envelope_b64": {"type": "string", "contentEncoding": "base64"}},
        "additionalProperties": False},
    "Journal": {"type": "object", "required": ["records", "waiting"],
                "properties": {"records": {"type": "array", "items": _ref("JournalRecord")},
                               "waiting": {"type": "integer", "minimum": 0,
                                           "description": "records waiting for you in all"}}},
    "JournalAck": {"oneOf": [
        {"type": "object", "required": ["seqs"], "additionalProperties": False,
         "properties": {"seqs": {"type": "array", "minItems": 1, "maxItems": 1000,
                                 "items": {"type": "integer", "minimum": 1}}}},
        {"type": "object", "required": ["up_to"], "additionalProperties": False,
         "properties": {"up_to": {"type": "integer", "minimum": 1}}}]},
    "JournalAcked": {"type": "object", "required": ["acked", "already_acked", "waiting"],
                     "properties": {"acked": {"type": "integer", "minimum": 0},
                                    "already_acked": {"type": "integer", "minimum": 0},
                                    "waiting": {"type": "integer", "minimum": 0}}},
    "InvoiceClaimed": {"type": "object", "required": ["invoice", "session"],
                       "properties": {"invoice": {"type": "integer", "minimum": 1},
                                      "session": _ref("Session")}},
}

_SLOT_ID = {"name": "slot_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _ID(name: str) -> dict[str, Any]:  # noqa: N802  (reads like the constant above)
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _get(summary: str, ok: dict[str, Any], *extra: str) -> dict[str, Any]:
    responses = {"200": ok, **_AUTH_ERRORS}
    for status in extra:
        responses[status] = _ERROR
    return {"get": {"summary": summary, "responses": responses}}


def _paths() -> dict[str, Any]:
    return {
        "/v1/status": _get("Version, API level, mode, devices, clock, health checks",
                           _json(_ref("Status"), "Status")),
        "/v1/readers": _get("Every slot and the type of card it holds", _json(_ref("Readers"), "Slots")),
        "/v1/readers/{slot_id}": {**_get("One slot", _json(_ref("Slot"), "Slot"), "404"),
                                  "parameters": [_SLOT_ID]},
        "/v1/readers/{slot_id}/card": {**_get("The decoded card (identity data: journaled)",
                                              _json(_ref("Card"), "Card"), "404"),
                                       "parameters": [_SLOT_ID]},
        "/v1/events": _get(
            "Server-Sent Events: `id:` is the sequence number; `Last-Event-ID` (or `?after=`) "
            "resumes; `: heartbeat` comments keep the connection alive; `stream.gap`, "
            "`stream.overflow` and `stream.revoked` end or qualify a stream.",
            {"description": "text/event-stream",
             "content": {"text/event-stream": {"schema": {"type": "string"}}}}, "400"),
        "/v1/clients": _get("Paired workstations (admin only)", _json(_ref("Clients"), "Clients")),
        "/v1/clients/me": _get("The calling workstation", _json(_ref("Client"), "Client")),
        "/v1/clients/{client_id}": {
            "parameters": [{"name": "client_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "delete": {"summary": "Revoke a workstation (admin only); refused at once",
                       "responses": {"200": _json(_ref("Client"), "Revoked"), "404": _ERROR,
                                     **_AUTH_ERRORS}}},
        "/v1/audit": {"get": {
            "summary": "Audit journal (all clients for an admin, the caller's own otherwise)",
            "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer"}},
                           {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": _json(_ref("Audit"), "Entries"), "400": _ERROR, **_AUTH_ERRORS}}},
        "/v1/pairing/start": {"post": {
            "summary": "Pairing step 1 (no client certificate): SPAKE2 with the code shown on the box",
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("PairingStart")}}},
            "responses": {"200": _json(_ref("PairingStarted"), "Started"), "400": _ERROR,
                          "409": _ERROR, "429": _ERROR}}},
        "/v1/pairing/complete": {"post": {
            "summary": "Pairing step 2: CSR + proof of the code; certificate + CA + the box's proof",
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("PairingComplete")}}},
            "responses": {"201": _json(_ref("PairingCompleted"), "Paired"), "400": _ERROR,
                          "403": _ERROR, "409": _ERROR}}},
        "/v1/apcv/presentations/{presentation_id}": {
            **_get("An apCV presentation's opaque payload, given once (journaled); 404 after "
                   "2 minutes, 409 presentation_already_fetched the second time",
                   _json(_ref("Presentation"), "Presentation"), "404", "409"),
            "parameters": [_ID("presentation_id")]},
        "/v1/prescriptions/{presentation_id}": {
            **_get("A scanned ordonnance numérique (number and raw code), given once",
                   _json(_ref("Prescription"), "Prescription"), "404", "409"),
            "parameters": [_ID("presentation_id")]},
        "/v1/apcv/sessions": {"post": {
            "summary": "Open a session on a presentation you fetched and authenticated; the "
                       "invoice quota follows the profession of the CPS in the box",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SessionOpen")}}},
            "responses": {"201": _json(_ref("Session"), "Opened"), "400": _ERROR, "404": _ERROR,
                          "409": _ERROR, **_AUTH_ERRORS}}},
        "/v1/apcv/sessions/{session_id}": {
            **_get("A session: state, seconds left, invoices used and allowed",
                   _json(_ref("Session"), "Session"), "404"),
            "parameters": [_ID("session_id")]},
        "/v1/apcv/sessions/{session_id}/invoices": {
            "parameters": [_ID("session_id")],
            "post": {"summary": "Claim the next invoice before signing it: 409 "
                                "reauthentication_required once the quota is used, 410 "
                                "session_expired after the session's duration",
                     "responses": {"201": _json(_ref("InvoiceClaimed"), "Claimed"),
                                   "404": _ERROR, "409": _ERROR, "410": _ERROR,
                                   **_AUTH_ERRORS}}},
        "/v1/mode": {"put": {
            "summary": "Switch the box to `counter` or `mobile` (kept across restarts; any paired "
                       "workstation may, it is journaled). Mobile: the camera scans only when "
                       "asked, the screen dims sooner and shows the battery and the reads waiting",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["mode"],
                "properties": {"mode": {"type": "string", "enum": ["counter", "mobile"]}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["mode"],
                                        "properties": {"mode": {"type": "string",
                                                                "enum": ["counter", "mobile"]}}},
                                       "Mode"), "400": _ERROR, **_AUTH_ERRORS}}},
        "/v1/clock": {"post": {
            "summary": "Tell the box the time while NTP has not synchronised it (any paired "
                       "workstation; journaled). Kept as an offset on the box's monotonic clock "
                       "(`/v1/status` clock source `client`) until NTP takes over. 409 "
                       "clock_synchronised once NTP has; 400 clock_implausible before the box's "
                       "build date or more than 20 years after it",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("ClockSet")}}},
            "responses": {"200": _json(_ref("ClockSetResult"), "Set"), "400": _ERROR,
                          "409": _ERROR, **_AUTH_ERRORS}}},
        "/v1/camera/scan": {"post": {
            "summary": "Start (`{\"on\": true}`) or stop the QR camera when it scans on demand "
                       "(mobile mode); it stops by itself after `[camera] on_demand_timeout_s`",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"on": {"type": "boolean"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["scanning"],
                                        "properties": {"scanning": {"type": "boolean"}}},
                                       "Scanning"), "400": _ERROR, "404": _ERROR,
                          **_AUTH_ERRORS}}},
        "/v1/slots/{slot_id}/lease": {
            "parameters": [_SLOT_ID],
            "post": {"summary": "Lease a slot exclusively for the APDU channel (an empty slot "
                                "too: the lease waits for a card). 409 slot_busy: `details` "
                                "has `holder` (its name), `client_id` and `until_s`",
                     "requestBody": {"required": False, "content": {"application/json": {
                         "schema": _ref("LeaseRequest")}}},
                     "responses": {"201": _json(_ref("Lease"), "Leased"), "400": _ERROR,
                                   "404": _ERROR, "409": _ERROR, **_AUTH_ERRORS}}},
        "/v1/leases": _get("The caller's live leases", _json(_ref("Leases"), "Leases")),
        "/v1/journal": {"get": {
            "summary": "The offline journal: your waiting records (sealed for you only), oldest "
                       "first; resume with `after` = the last seq you received",
            "parameters": [{"name": "after", "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "default": 0}},
                           {"name": "limit", "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                       "default": 100}}],
            "responses": {"200": _json(_ref("Journal"), "Records"), "400": _ERROR,
                          "503": _ERROR, **_AUTH_ERRORS}}},
        "/v1/journal/ack": {"post": {
            "summary": "Acknowledge records once stored on your side: the box deletes them. "
                       "All or nothing: 404 journal_record_unknown (`details.unknown`) if one is "
                       "not yours; acknowledging again is not an error (`already_acked`)",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("JournalAck")}}},
            "responses": {"200": _json(_ref("JournalAcked"), "Acknowledged"), "400": _ERROR,
                          "404": _ERROR, "503": _ERROR, "507": _ERROR, **_AUTH_ERRORS}}},
        "/v1/leases/{lease_id}": {
            "parameters": [_ID("lease_id")],
            "delete": {"summary": "Release a lease now (404 lease_not_found: not yours, or over)",
                       "responses": {"200": _json({"type": "object", "required": ["released"],
                                                   "properties": {"released": {"const": True}}},
                                                  "Released"),
                                     "404": _ERROR, **_AUTH_ERRORS}}},
        "/v1/leases/{lease_id}/renew": {
            "parameters": [_ID("lease_id")],
            "post": {"summary": "Renew a lease: it ends `seconds` from now",
                     "requestBody": {"required": False, "content": {"application/json": {
                         "schema": _ref("LeaseRequest")}}},
                     "responses": {"200": _json(_ref("Lease"), "Renewed"), "400": _ERROR,
                                   "404": _ERROR, **_AUTH_ERRORS}}},
        "/v1/leases/{lease_id}/channel": {
            "parameters": [_ID("lease_id")],
            "get": {"summary": "The lease's APDU channel: a WebSocket (JSON text messages) on "
                               "the same mTLS connection, for the lease holder only",
                    "description": (
                        "Requests `{\"op\": \"power_on\"|\"reset\"|\"power_off\", \"id\": n}` and "
                        "`{\"op\": \"apdu\", \"id\": n, \"apdu\": HEX}`; answers `atr`, `ok`, "
                        "`response` (with SW1 SW2) or `error` (`code`, `message`) with the same "
                        "`id`. Pushed at any time: `card_removed`, `card_inserted` (`atr`), "
                        "`lease_lost` (`code`: " + ", ".join(LEASE_LOST_CODES) + "), after which "
                        "the box closes the socket. Channel error codes: "
                        + ", ".join(CHANNEL_ERROR_CODES) + ". See docs/apdu-channel.md."),
                    "responses": {"101": {"description": "Switching Protocols (WebSocket)"},
                                  "400": _ERROR, "404": _ERROR, **_AUTH_ERRORS}}},
        "/openapi.json": _get("This document", {"description": "OpenAPI 3.1",
                                                "content": {"application/json": {"schema": {
                                                    "type": "object"}}}}),
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "borne local API", "version": __version__,
                 "description": f"API level {API_LEVEL}. Mutual TLS: every request but the pairing "
                                "exchange presents a client certificate issued by the box's CA."},
        "servers": [{"url": "https://{host}:8443", "variables": {"host": {"default": "borne.local"}}}],
        "security": [{"mutualTLS": []}],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"mutualTLS": {"type": "mutualTLS"}}},
    }
