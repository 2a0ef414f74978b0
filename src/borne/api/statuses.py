"""The HTTP status of each error code: chosen here, and nowhere else.

The domain does not know HTTP: its errors carry a stable code
(:mod:`borne.error_catalogue`), and the API maps it to a status once, at the
boundary, as httpx maps its errors. Every code marked ``Surface.API`` in the
catalogue has its line here, and nothing else does (``tests/unit/test_error_catalogue.py``).

The APDU channel's audit entries also carry an HTTP-like status for each APDU
(:func:`channel_audit_status`), chosen here too so the numbers live in one place.
"""

from __future__ import annotations

__all__ = ["HTTP_EXCEPTION_CODES", "HTTP_STATUS", "channel_audit_status", "http_status"]

#: The status the API answers with each code in its error body.
HTTP_STATUS: dict[str, int] = {
    # Who is calling, and what they may do
    "unauthenticated": 401, "client_revoked": 403, "forbidden": 403,
    "last_admin": 409,
    # The request itself
    "bad_request": 400, "not_found": 404, "method_not_allowed": 405, "payload_too_large": 413,
    "header_too_large": 431, "internal_error": 500,
    # Pairing
    "pairing_bad_request": 400, "pairing_bad_csr": 400, "pairing_wrong_code": 403,
    "pairing_closed": 409, "pairing_session_unknown": 409, "pairing_busy": 429,
    # Cards, the camera, the mode, the clock
    "no_card": 404, "no_camera": 404, "mode_unknown": 400,
    "clock_implausible": 400, "clock_synchronised": 409, "clock_before_last_known": 409,
    "clock_too_far_ahead": 409,
    # apCV presentations and sessions
    "presentation_not_found": 404, "presentation_already_fetched": 409,
    "presentation_not_fetched": 409, "presentation_used": 409, "presentation_not_apcv": 409,
    "presentation_taken": 409,
    "no_cps": 409, "session_not_found": 404, "session_expired": 410,
    "reauthentication_required": 409, "invoice_not_found": 404, "invoice_released": 409,
    "invoice_confirmed": 409,
    # Leases of the APDU channel
    "lease_not_found": 404, "slot_busy": 409, "slot_leased_by_you": 409,
    # The offline journal
    "journal_record_unknown": 404, "journal_write_failed": 500, "journal_unavailable": 503,
    "journal_full": 507,
    # The data partition and the audit journal. A request whose own audit entry cannot be
    # written (POST /v1/clock journals its change itself) has always been answered 400.
    "storage_full": 507, "storage_unavailable": 507, "audit_write_failed": 400,
    # Updates: a bundle refused for what it is (422), for the box's state (409), for room (507).
    # A box without RAUC is 409, not 503: it is working, it cannot do that, and never will.
    "update_bad_signature": 422, "update_invalid_bundle": 422, "update_wrong_compatible": 422,
    "update_downgrade_refused": 409, "update_battery_low": 409, "update_busy": 409,
    "update_unavailable": 409, "update_not_installed": 409, "update_no_space": 507,
    "update_failed": 500,
}

#: The code of an error aiohttp raised itself (no route, wrong method, body too large...).
HTTP_EXCEPTION_CODES: dict[int, str] = {400: "bad_request", 404: "not_found",
                                        405: "method_not_allowed", 413: "payload_too_large"}

#: The audit status of an APDU the channel refused or could not exchange (200: exchanged).
_CHANNEL_AUDIT_STATUS: dict[str, int] = {
    "apdu_malformed": 400, "apdu_too_large": 413, "pin_verification_forbidden": 403,
    "pin_last_try_protected": 403,
    "no_card": 409, "card_removed": 409, "lease_expired": 410,
    "reader_unavailable": 503, "pcsc_unavailable": 503,
}
#: Any other failure of the card or the reader, as a gateway's.
_CHANNEL_AUDIT_OTHER = 502


def http_status(code: str) -> int:
    """The status the API answers ``code`` with (400 for a code not in :data:`HTTP_STATUS`:
    a service's refusal the table does not know yet is still the client's problem)."""
    return HTTP_STATUS.get(code, 400)


def channel_audit_status(code: str) -> int:
    """The status the audit journal records for an APDU refused or failed with ``code``."""
    return _CHANNEL_AUDIT_STATUS.get(code, _CHANNEL_AUDIT_OTHER)
