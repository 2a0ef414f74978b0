"""The workstation's side of the offline journal: open what ``GET /v1/journal`` gave, with this workstation's key.

Runs on the workstation (part of the SDK, :mod:`borne.client`); the format it opens is
the box's, shared in :mod:`borne.journal.crypto` and :mod:`borne.journal.header`.

The box sends each record's header as the exact bytes it sealed (``header``, a
JSON text), the envelope (``envelope_b64``) and its signature of both
(``signature_b64``). :meth:`JournalReader.open` first checks the signature with the
box's CA pinned at pairing (:mod:`borne.journal.signature`: sealing alone proves
nothing, anyone can seal for this workstation's public key), then decrypts with the
header bytes as associated data, then trusts only the fields parsed from those
authenticated bytes: the clear copies next to them (``seq``, ``kind``...) are a
convenience, checked against the header.

A record without a signature (written by a box before signatures, issue 16) is refused
(``journal_record_unsigned``) unless the reader was made with ``allow_unsigned=True``:
then it opens with ``signed=False``, to be treated as of unknown origin.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..journal.crypto import open_record
from ..journal.errors import JournalError
from ..journal.header import RecordHeader
from ..journal.signature import verify

__all__ = ["JournalReader", "OpenedRecord"]


@dataclass(frozen=True)
class OpenedRecord:
    """A decrypted record: its authenticated header and its content (see docs/journal.md)."""

    header: RecordHeader
    body: dict[str, Any]
    #: Whether the box's signature was checked (False: an unsigned record let in on purpose).
    signed: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The header's fields and the content, as JSON-ready values."""
        return {**self.header.to_dict(), "body": self.body, "signed": self.signed}


class JournalReader:
    """Opens the records sealed for one workstation (its private key and client id), and
    checks each is the box's (``ca``: the CA certificate pinned at pairing, a ``cryptography``
    x509; :meth:`from_directory` reads it). Without ``ca`` no origin is checked."""

    def __init__(self, private_key: Any, client_id: str, ca: Any = None, *,
                 allow_unsigned: bool = False) -> None:
        self._key = private_key
        self.client_id = client_id
        self._ca = ca
        self._allow_unsigned = allow_unsigned

    @classmethod
    def from_directory(cls, directory: str | Path, language: str = "fr", *,
                       allow_unsigned: bool = False) -> JournalReader:
        """The reader of the workstation paired into ``directory`` (``borne client pair --dir``),
        checking records against the CA pinned there."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from .errors import files_failure
        from .store import WorkstationFiles

        files = WorkstationFiles(Path(directory))
        client_id = files.read_box(language)["client_id"]  # pairing_files_unreadable when not a pairing's
        try:
            key = load_pem_private_key(files.key.read_bytes(), password=None)
            ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
        except (OSError, ValueError, TypeError) as error:  # missing, unreadable, not PEM
            raise files_failure(error, files.directory, language) from None
        return cls(key, client_id, ca, allow_unsigned=allow_unsigned)

    def open(self, item: dict[str, Any]) -> OpenedRecord:
        """Decrypt one record of ``GET /v1/journal``'s ``records``.

        Raises :class:`~borne.journal.errors.JournalError` (``journal_record_forged``,
        ``journal_record_unsigned``, ``journal_record_unreadable``,
        ``journal_envelope_malformed``...) for a record the box did not sign, that was
        altered, sealed for someone else, or does not match its clear fields.
        """
        try:
            header_bytes = str(item["header"]).encode("ascii")
            envelope = base64.b64decode(item["envelope_b64"], validate=True)
            signed = item.get("signature_b64")
            signature = base64.b64decode(signed, validate=True) if signed is not None else None
        except (KeyError, TypeError, UnicodeEncodeError, binascii.Error):
            raise JournalError("not a journal record", code="journal_envelope_malformed") from None
        checked = self._ca is not None and (signature is not None or not self._allow_unsigned)
        if checked:
            verify(self._ca, header_bytes, envelope, signature)
        plaintext = open_record(self._key, header_bytes, envelope, client_id=self.client_id)
        header = RecordHeader.from_bytes(header_bytes)
        if header.client_id != self.client_id:
            raise JournalError("sealed for another workstation", code="journal_record_unreadable")
        if item.get("seq", header.seq) != header.seq or item.get("kind", header.kind) != header.kind:
            raise JournalError("the clear fields do not match the sealed header",
                               code="journal_record_unreadable")
        try:
            body = json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise JournalError("the content is not JSON", code="journal_envelope_malformed") from None
        return OpenedRecord(header, body, signed=checked)
