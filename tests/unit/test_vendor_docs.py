"""What a vendor reads in docs/ is true and whole (issue 15: "found by a vendor following the
docs"): no example that changes a box when copied, no promise of features to come that have
come, no reference to a text the reader cannot see, and the figures the docs give are the
code's."""

from __future__ import annotations

import re
from pathlib import Path

from borne.api.openapi import document
from borne.config import CameraConfig, PanelConfig
from borne.runtime.clock import BACKWARDS_SLACK_S

DOCS = Path(__file__).resolve().parents[2] / "docs"
API = (DOCS / "api.md").read_text()
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def test_the_clock_example_sends_the_workstations_own_time_never_a_date_to_copy():
    examples = [line for line in API.splitlines() if "/v1/clock" in line and "utc" in line]
    assert len(examples) >= 2  # the table's row and the curl example
    assert not any(ISO_TIME.search(line) for line in examples), examples
    assert "$(date -u +%FT%TZ)" in API
    clock_set = document()["components"]["schemas"]["ClockSet"]["properties"]["utc"]
    assert not ISO_TIME.search(clock_set["description"])
    assert not any(ISO_TIME.search(str(example)) for example in clock_set.get("examples", []))


def test_the_clock_docs_give_the_codes_slack():
    assert f"{BACKWARDS_SLACK_S:.0f} seconds before that floor" in API
    assert "clock_before_last_known" in API


def test_pairing_by_the_button_is_described_as_it_is():
    assert "once the screen lands" not in API
    assert f"holds it down for {PanelConfig().long_press_s:.0f} seconds" in API


def test_the_camera_de_duplication_window_is_the_configs():
    assert "**The same code twice.**" in API
    assert f"`[camera] forget_after_s` ({CameraConfig().forget_after_s:.0f} s by" in API


def test_no_doc_sends_the_reader_to_a_note_they_cannot_see():
    for page in DOCS.glob("*.md"):
        text = page.read_text().lower()
        assert "closing note" not in text, page.name
        assert not re.search(r"\bissue \d+'?s? note\b", text), page.name
