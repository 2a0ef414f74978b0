"""Logs never carry identity data."""

from __future__ import annotations

import logging

import pytest

from borne.runtime.clock import Clock
from borne import events as ev
from borne.events import EventBus
from borne.runtime.logs import NIR_PATTERN, RedactingFilter, event_logger


@pytest.mark.parametrize("text", [
    "295109912611193", "2 95 10 99 126 111 93", "253072B07300470", "253072a07300443",
    "1800175123456", "nir=180017512345678 end",
])
def test_nir_shapes_are_found(text):
    assert NIR_PATTERN.search(text)


@pytest.mark.parametrize("text", ["3B 75 13 00 00 47 09 EA 90 00", "seq 12345", "2026-11-21T10:00:00"])
def test_other_numbers_are_left_alone(text):
    assert not NIR_PATTERN.search(text)


def test_redacting_filter_rewrites_records(caplog):
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("read %s for %s", "295109912611193", "slot-0")
    assert "295109912611193" not in caplog.text
    assert "[NIR]" in caplog.text and "slot-0" in caplog.text


def test_event_logger_keeps_only_allow_listed_fields(caplog):
    bus = EventBus(Clock())
    bus.add_listener(event_logger(logging.getLogger("test.events")))
    with caplog.at_level(logging.INFO, logger="test.events"):
        bus.publish(ev.CardDecoded(slot="s0", card_type="vitale", beneficiaries=3, detected_ns=5))
        bus.publish(ev.CardInserted(slot="s0", atr=bytes.fromhex("3B 75 13 00 00 47 09 EA 90 00"),
                                    detected_ns=4))
        bus.publish(ev.BatteryState(percent=None, charging=False, state="unknown",
                                    voltage_mv=None))
        bus.publish(ev.DeviceState(device="pcsc", state="error", detail="no 295109912611193"))
    # The lines as they always were: the event's JSON values, allow-listed keys only (no
    # detected_ns, no ATR in any form, None as None).
    assert [record.getMessage() for record in caplog.records] == [
        "event 1 card.decoded slot=s0 type=vitale beneficiaries=3",
        "event 2 card.inserted slot=s0",
        "event 3 battery.state percent=None charging=False state=unknown voltage_mv=None",
        "event 4 device.state device=pcsc state=error detail=no 295109912611193",
    ]
    journal = [record.journal for record in caplog.records]
    assert journal[1] == {"event": "card.inserted", "seq": 2, "slot": "s0"}
    assert journal[2]["percent"] is None and journal[2]["charging"] is False
