"""The ``[journal]`` section: defaults, and every bad value named by its key."""

from __future__ import annotations

import pytest

from borne.config import parse_config
from borne.errors import ConfigError


def test_defaults_keep_the_journal_on_for_a_week():
    journal = parse_config({}).journal
    assert journal.enabled is True and journal.retention_days == 7.0
    assert journal.warn_before_s == 86400.0
    assert journal.kinds == ["vitale", "cps", "apcv", "prescription"]


def test_a_deployment_can_narrow_or_disable_it():
    journal = parse_config({"journal": {"enabled": False, "retention_days": 2,
                                        "warn_before_s": 3600, "kinds": ["vitale"]}}).journal
    assert (journal.enabled, journal.retention_days, journal.kinds) == (False, 2, ["vitale"])


@pytest.mark.parametrize("section, key", [
    ({"retention_days": 0}, "journal.retention_days"),
    ({"retention_days": 400}, "journal.retention_days"),
    ({"retention_days": 1, "warn_before_s": 86400}, "journal.warn_before_s"),
    ({"warn_before_s": -1}, "journal.warn_before_s"),
    ({"kinds": ["vitale1"]}, "journal.kinds"),
    ({"retension_days": 3}, "journal.retension_days"),
])
def test_bad_values_name_their_key(section, key):
    with pytest.raises(ConfigError) as caught:
        parse_config({"journal": section}, source="borne.toml")
    assert key in str(caught.value)
