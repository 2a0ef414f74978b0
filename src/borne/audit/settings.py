"""The ``[audit]`` section: how large the audit journal may grow, checked when read.

The journal lives on the data partition, an SD card of 16 or 32 GB shared with the offline
journal: it must never fill it. A box journals a few thousand requests a day (about 330 bytes
each), so the default 64 MB keeps months of them; a fuzzer's run (70,000 entries, 23 MB)
stays under it. What pruning means for ``borne audit verify``: :mod:`borne.audit.trail`.
"""

from __future__ import annotations

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["AuditConfig"]


class AuditConfig(Section):
    """The audit journal (``<data_dir>/audit.db``): its size cap."""

    #: Largest size of the journal's entries, in MB (its write-ahead log adds up to 4 MB).
    #: Past it, the oldest entries are deleted, down to 80 % of it, and the journal keeps
    #: where its chain now starts (``borne audit verify`` checks from there).
    max_mb: float = 64.0

    def __post_init__(self) -> None:
        if not 0.05 <= self.max_mb <= 4096:
            raise ConfigError(Message("entre 0,05 et 4096 Mo", "between 0.05 and 4096 MB"),
                              key="audit.max_mb")
