"""The audit trail (the "audit journal" of the docs): who asked the box for what, when, and with what outcome.

Every API request is recorded (client id, time, action, resource, status), never
health data. Entries are hash-chained so that a modified, deleted or reordered
entry is found by :func:`borne.audit.verify.verify` (``borne audit verify``).

- :mod:`borne.audit.trail`: :class:`~borne.audit.trail.AuditTrail` writes and
  reads entries (SQLite, WAL, ``synchronous=FULL``);
- :mod:`borne.audit.verify`: read-only chain verification and listing.

Nothing is imported here, so ``import borne.audit`` stays free.
"""
