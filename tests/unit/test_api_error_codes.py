"""Every error code the API's handlers raise is in the OpenAPI document's enum, with a message.

A vendor's client switches on these codes: one missing from the document is a code it
was never told about (this caught ``mode_unknown`` and ``storage_full``).
"""

import re
from pathlib import Path

from borne.api.errors import API_MESSAGES
from borne.api.openapi import ERROR_CODES
from borne.errors import MESSAGES

SOURCE = Path(__file__).resolve().parents[2] / "src" / "borne"
RAISED = re.compile(r'ApiError\(\s*\d+,\s*"([a-z_]+)"')


def test_raised_codes_are_documented_and_worded() -> None:
    raised = {code for path in SOURCE.rglob("*.py") for code in RAISED.findall(path.read_text())}
    assert len(raised) >= 8  # the pattern still finds them
    assert sorted(raised - set(ERROR_CODES)) == []
    # And every documented code has its French and English words.
    assert sorted(c for c in ERROR_CODES if c not in API_MESSAGES and c not in MESSAGES) == []
