"""One error catalogue: every code the source can raise is declared once, with its words,
and the codes the API or the APDU channel can send are documented and have their status.

The source is walked with ``ast`` (``support.codes_in_source``): ``code=`` keywords, the
code argument of ``ApiError``/``LeaseError``/``_error``/..., class-level ``code = "..."``,
``{"code": ...}`` dicts, tables, comparisons. A vendor's client switches on these codes:
one missing from the document is a code it was never told about (the old version of this
test caught ``mode_unknown`` and ``storage_full``).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import borne
from borne.api.openapi import document
from borne.api.statuses import HTTP_STATUS
from borne.error_catalogue import CATALOGUE, MESSAGES, Surface, codes, message_for
from borne.health import CODES as HEALTH_CODES

from support.codes_in_source import Found, codes_in

SOURCE = Path(borne.__file__).parent
FOUND = codes_in(SOURCE)

#: Declared, raised nowhere today (kept: its words are part of the catalogue's history).
DECLARED_ONLY = {"config_unreadable": "a config file that cannot be read is reported as "
                                      "config_invalid (borne.config)"}

#: Strings that are both an error code and a health check's code, and mean the same there.
SHARED_WITH_HEALTH = {
    "config_invalid": "the configuration file is refused",
    "journal_unavailable": "the offline journal cannot be used",
    "panel_unavailable": "the GPIO panel (button, LED, buzzer) cannot be driven",
    "storage_full": "the data partition is full: reads are refused",
    "box_secret_unavailable": "the board secret wrapping the box's keys cannot be read",
    "box_secret_unprogrammed": "the board's OTP key was never programmed: the API stays off",
}


def _where(found: list[Found]) -> list[str]:
    return sorted(f"{f.path}:{f.line} {f.code!r} ({f.via}, in {f.scope or 'module'})"
                  for f in found)


def reaches_api(found: Found) -> bool:
    """Whether a code raised there can end in the API's error body (what the routes raise,
    and what the services they call let through to the guard)."""
    if found.via.startswith("table"):  # a mapping of codes, not a use; but aiohttp's own
        return found.via == "table HTTP_EXCEPTION_CODES"  # errors are answered with these
    if found.path.startswith("api/"):
        return not found.via.startswith(("dict op=", "channel_audit_status"))
    return (found.callee in ("ApcvError", "LeaseError", "ClockRefused")
            # JournalError of collect and ack (GET /v1/journal, POST /v1/journal/ack)
            or found.path in ("journal/store.py", "journal/service.py")
            # the pairing exchange's refusals, and the CSR the box refuses to sign
            or found.scope.startswith(("PairingService.", "BoxCA.issue_client_cert"))
            # POST /v1/clock journals its change itself
            or found.scope in ("AuditTrail.record", "AuditTrail.arecord")
            # PUT /v1/mode
            or found.scope == "Daemon.set_mode")


def reaches_channel(found: Found) -> Surface | None:
    """``CHANNEL`` or ``LEASE_LOST`` when a code raised there can be in an APDU channel message."""
    if found.via == "dict op=error" or (found.path == "apdu/service.py"
                                        and found.callee in ("_error", "_card_failed")):
        return Surface.CHANNEL
    if found.via == "dict op=lease_lost" or found.callee == "_lose":
        return Surface.LEASE_LOST
    if found.path in ("apdu/exchange.py", "apdu/validate.py") or (
            found.path == "apdu/service.py" and found.via == "code="):
        return Surface.CHANNEL  # CardError/ApduError of an exchange, answered as `error`
    if found.via in ("return of card_error_code", "return of failed_exchange_code"):
        return Surface.CHANNEL  # what apdu/exchange.py reports a PC/SC failure as
    return None


def test_the_walker_finds_the_codes_of_the_source():
    assert len(FOUND) > 300
    vias = {f.via.split()[0] for f in FOUND}
    assert {"code=", "ApiError", "LeaseError", "class", "dict", "table", "compared",
            "return", "_error", "_lose", "Failure"} <= vias


def test_every_code_raised_is_in_the_catalogue():
    assert _where([f for f in FOUND if f.code not in CATALOGUE]) == []


def test_every_code_of_the_catalogue_is_used():
    unused = set(CATALOGUE) - {f.code for f in FOUND}
    assert sorted(unused) == sorted(DECLARED_ONLY)


def test_the_walker_sees_each_form_of_a_code(tmp_path):
    (tmp_path / "probe.py").write_text(textwrap.dedent('''
        from x import ApiError, CardError
        PROBE = "probe_constant"
        PROBE_CODES = ("probe_table",)

        class ProbeError(Exception):
            code = "probe_class"
            def __init__(self, code, detail=""):
                pass

        def send(ident, code):
            return {"op": "error", "id": ident, "code": code}

        def probe_code(x):
            return "probe_returned" if x else "probe_other"

        def use(error, sink):
            raise CardError(code="probe_keyword")
            raise ProbeError("probe_positional")
            send(1, PROBE)
            sink.emit(send, 2, "probe_passed")
            if error.code in ("probe_compared",):
                pass
            return {"op": "lease_lost", "code": "probe_dict"}
    '''))
    found = {f.code: f.via for f in codes_in(tmp_path)}
    assert {f.callee for f in codes_in(tmp_path) if f.code == "probe_keyword"} == {"CardError"}
    assert found == {"probe_constant": "send", "probe_table": "table PROBE_CODES",
                     "probe_class": "class ProbeError", "probe_returned": "return of probe_code",
                     "probe_other": "return of probe_code", "probe_keyword": "code=",
                     "probe_positional": "ProbeError", "probe_passed": "send",
                     "probe_compared": "compared", "probe_dict": "dict op=lease_lost"}


def test_codes_are_snake_case_and_worded_in_both_languages():
    for code, entry in CATALOGUE.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
        assert entry.surfaces, code
        if entry.message is not None:
            assert entry.message.fr and entry.message.en, code
    assert message_for("no_card", "en") == "No card read in this slot"
    assert message_for("no_card") == "Aucune carte lue dans cet emplacement"
    assert message_for("released") == "released"  # no words (a lease_lost reason): the code
    assert set(MESSAGES) == {c for c, e in CATALOGUE.items() if e.message is not None}


def test_health_check_codes_are_another_vocabulary():
    assert sorted(set(HEALTH_CODES) & set(CATALOGUE)) == sorted(SHARED_WITH_HEALTH)


def test_what_the_api_can_answer_is_marked_statused_and_documented():
    reaching = [f for f in FOUND if reaches_api(f)]
    assert len({f.code for f in reaching}) > 30  # the rules above still find them
    api = set(codes(Surface.API))
    assert _where([f for f in reaching if f.code not in api]) == []
    assert sorted(api - set(HTTP_STATUS)) == [] and sorted(set(HTTP_STATUS) - api) == []
    error = document()["components"]["schemas"]["Error"]["properties"]["error"]
    assert sorted(error["enum"]) == sorted(api)


def test_what_the_channel_can_send_is_marked_and_documented():
    sent = [(f, reaches_channel(f)) for f in FOUND if reaches_channel(f)]
    assert {surface for _, surface in sent} == {Surface.CHANNEL, Surface.LEASE_LOST}
    assert _where([f for f, surface in sent if f.code not in codes(surface)]) == []
    text = document()["paths"]["/v1/leases/{lease_id}/channel"]["get"]["description"]
    listed = re.search(r"Channel error codes: ([a-z_, ]+)\.", text).group(1).split(", ")
    lost = re.search(r"\(`code`: ([a-z_, ]+)\)", text).group(1).split(", ")
    assert sorted(listed) == sorted(codes(Surface.CHANNEL))
    assert sorted(lost) == sorted(codes(Surface.LEASE_LOST))
