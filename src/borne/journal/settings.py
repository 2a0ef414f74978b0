"""The ``[journal]`` section: what the offline journal keeps, and for how long (docs/journal.md).

A leaf like every settings module: it imports nothing of borne but the errors and the
sections' base, never :mod:`borne.config` (which re-exports it).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["JournalConfig"]


class JournalConfig(Section):
    """The offline journal (docs/journal.md): reads kept, encrypted, until the billing software collects them.

    On by default, in counter mode too: a read made while the billing software
    is closed or its network is down is not lost, and the box cannot read its own
    records (each is sealed for one paired workstation). Off: nothing is written.
    """

    enabled: bool = True
    #: Records nobody acknowledged are deleted this many days after the read.
    retention_days: float = 7.0
    #: ``journal.retention_warning`` this many seconds before records are deleted.
    warn_before_s: float = 86400.0
    #: What is journaled: ``vitale`` and ``cps`` reads, ``apcv`` presentations,
    #: ``prescription`` scans.
    kinds: list[Literal["vitale", "cps", "apcv", "prescription"]] = msgspec.field(
        default_factory=lambda: ["vitale", "cps", "apcv", "prescription"])

    def __post_init__(self) -> None:
        if not 0 < self.retention_days <= 366:
            raise ConfigError(Message("plus de 0 et au plus 366 jours",
                                      "between 0 (excluded) and 366 days"),
                              key="journal.retention_days")
        if not 0 <= self.warn_before_s < self.retention_days * 86400:
            raise ConfigError(Message.same("0 <= warn_before_s < retention_days"),
                              key="journal.warn_before_s")
