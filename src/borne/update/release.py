"""The system's version: ``/etc/borne-release`` of the booted root, and how versions compare.

The image build and ``image/bundle.sh`` write the file (``VERSION=1.2.3``,
``COMPATIBLE=...``); a bundle's manifest carries the same version string.
Versions compare as dotted integers: ``1.10`` is newer than ``1.9``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Release", "newer", "read_release", "version_key"]

_VERSION = re.compile(r"\d+(\.\d+)*")


@dataclass(frozen=True)
class Release:
    """What a root filesystem says it is."""

    version: str | None
    compatible: str | None


def read_release(path: Path) -> Release:
    """Read ``KEY=value`` lines (quotes allowed); a missing file is a release of no version."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Release(None, None)
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    return Release(values.get("VERSION") or None, values.get("COMPATIBLE") or None)


def version_key(version: str) -> tuple[int, ...] | None:
    """``"1.10.2"`` -> ``(1, 10, 2)``; None for anything not dotted integers."""
    version = version.strip()
    if not _VERSION.fullmatch(version):
        return None
    key = [int(part) for part in version.split(".")]
    while len(key) > 1 and key[-1] == 0:  # 1.2 == 1.2.0
        key.pop()
    return tuple(key)


def newer(candidate: str, current: str) -> bool | None:
    """Whether ``candidate`` is strictly newer than ``current``; None when either is no
    dotted-integer version (the caller decides: refused as a downgrade unless allowed)."""
    a, b = version_key(candidate), version_key(current)
    if a is None or b is None:
        return None
    return a > b
