"""A record's plaintext before it is sealed: UTF-8 JSON padded to a fixed block.

Padded with spaces to a multiple of :data:`PAD_TO` bytes so an envelope's size says little
about the names inside (JSON parsers ignore the trailing spaces); the shapes are in
``docs/journal.md``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["PAD_TO", "padded"]

#: Plaintexts are padded to a multiple of this many bytes.
PAD_TO = 256


def padded(body: dict[str, Any]) -> bytes:
    """``body`` as UTF-8 JSON, padded with spaces to a multiple of :data:`PAD_TO`."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return data + b" " * (-len(data) % PAD_TO)
