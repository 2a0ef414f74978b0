"""Where :class:`JournalReader` was first documented (docs/journal.md before 2026-12): kept for
vendors' code that imports it from here. It is workstation code and lives in the SDK,
:mod:`borne.client.journal_reader` (``from borne.client import JournalReader``).
"""

from ..client.journal_reader import JournalReader, OpenedRecord

__all__ = ["JournalReader", "OpenedRecord"]
