"""The journal's errors: one class, stable codes (messages in :data:`borne.errors.MESSAGES`).

Codes::

    journal_full                the data partition is full: the read was not journaled,
                                nothing already stored was touched
    journal_unavailable         the journal file cannot be opened (not corruption: a
                                corrupted file is set aside and a fresh one started)
    journal_write_failed        any other storage failure of an append or an acknowledgement
    journal_record_unknown      an acknowledgement names a record that is not the caller's
    journal_record_unreadable   decryption failed: header or envelope altered, or the
                                record was sealed for another key
    journal_envelope_malformed  not an envelope of a version and scheme this code knows
    journal_key_unsupported     a key that is neither EC P-256/P-384 nor RSA (2048 bits or more)
"""

from __future__ import annotations

from ..errors import BorneError

__all__ = ["JournalError"]


class JournalError(BorneError):
    """A journal operation failed; ``code`` is one of the codes above."""

    code = "journal_write_failed"
