"""A journal record's clear header: what the box may know about a record, and the envelope's AAD.

The header holds no health data: a sequence number, the workstation it is for,
the kind of read, and when it was made. Its bytes are the associated data of
the record's AES-GCM envelope (:mod:`borne.journal.crypto`), so the box hands
them out exactly as sealed (``header`` in ``GET /v1/journal``) and the
workstation trusts only the fields it parses from bytes that decrypted.

Bytes: canonical JSON, ASCII only, keys sorted, no spaces::

    {"boot_id":"…","client_id":"…","created":1767225600,"kind":"vitale",
     "mono_ns":123456789,"read_id":41,"seq":42,"v":1,"wall":"2026-01-01T00:00:00.000+00:00",
     "wall_source":null,"wall_synced":true}

- ``seq``: the record's number, never reused (one per record; a read gives one
  record per paired workstation, all with the same ``read_id``, the first of their seqs);
- ``mono_ns`` + ``boot_id``: monotonic time, comparable within one boot
  (``/proc/sys/kernel/random/boot_id``): orders reads even with no wall clock;
- ``wall`` (UTC ISO 8601) + ``wall_synced`` + ``wall_source`` (``ntp``,
  ``client`` when a paired workstation set it, ``none``; null from a clock that
  does not say): whether the wall time can be trusted (the Raspberry Pi has no
  battery-backed clock);
- ``created``: the wall clock in whole Unix seconds, used for retention.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import JournalError

__all__ = ["HEADER_VERSION", "KINDS", "RecordHeader"]

HEADER_VERSION = 1

#: Kinds of records: carte Vitale and CPS reads, apCV presentations, prescriptions.
KINDS = ("vitale", "cps", "apcv", "prescription")

_TYPES: dict[str, tuple[type, ...]] = {
    "v": (int,), "seq": (int,), "read_id": (int,), "client_id": (str,), "kind": (str,),
    "mono_ns": (int,), "boot_id": (str,), "wall": (str,), "wall_synced": (bool,),
    "wall_source": (str, type(None)), "created": (int,),
}


@dataclass(frozen=True)
class RecordHeader:
    """One record's header (see the module docstring)."""

    seq: int
    read_id: int
    client_id: str
    kind: str
    mono_ns: int
    boot_id: str
    wall: str
    wall_synced: bool
    wall_source: str | None
    created: int
    v: int = HEADER_VERSION

    def to_bytes(self) -> bytes:
        """The canonical bytes: the envelope's associated data."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True).encode("ascii")

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> RecordHeader:
        """Parse header bytes; :class:`JournalError` ``journal_envelope_malformed`` if they
        are not a header of a known version with every field of the right type."""
        try:
            values = json.loads(data.decode("ascii"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise JournalError("the header is not ASCII JSON",
                               code="journal_envelope_malformed") from None
        names = {field.name for field in fields(cls)}
        if not isinstance(values, dict) or set(values) != names:
            raise JournalError("the header's fields are not a version 1 header's",
                               code="journal_envelope_malformed")
        for name, allowed in _TYPES.items():
            value = values[name]
            # bool is an int in Python: only wall_synced may be one.
            if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
                raise JournalError(f"header field {name} has the wrong type",
                                   code="journal_envelope_malformed")
        if values["v"] != HEADER_VERSION:
            raise JournalError(f"header version {values['v']}", code="journal_envelope_malformed")
        return cls(**values)
