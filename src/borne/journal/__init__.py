"""The offline journal: every read the billing software must see later, encrypted for it.

Runs on the box; its format (``crypto``, ``header``) is shared with the workstation.

A carte Vitale read in a patient's kitchen, with no billing software connected,
must not be lost, and a box lost in a car must give nothing away. So each read
is appended at once to an SQLite journal on the data partition, as one record
per paired workstation, each encrypted so that only that workstation can read
it: the box keeps no key that opens its own journal.

Modules, one job each:

- :mod:`borne.journal.crypto`: the envelope (ECDH + HKDF + AES-GCM, or RSA-OAEP
  + AES-GCM), pure functions ``seal`` and ``open_record``;
- :mod:`borne.journal.header`: a record's clear header (sequence number, times,
  kind), the associated data of its envelope;
- :mod:`borne.journal.recovery`: what is corruption, and setting a corrupted file aside;
- :mod:`borne.journal.store`: the SQLite file (WAL, ``synchronous=FULL``);
- :mod:`borne.journal.service`: the daemon's side: bus events in, records out,
  retention, on one dedicated thread;
- the workstation's side, decrypting what was collected, is in the SDK:
  :mod:`borne.client.journal_reader` (``borne.journal.reader`` re-exports it).

The format is documented in ``docs/journal.md``.
"""
