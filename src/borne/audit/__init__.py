"""The audit trail (the "audit journal" of the docs): who asked the box for what, when, and with what outcome.

Every API request of a paired client is recorded (client id, time, action, resource,
status), never health data; refusals of callers without a certificate are one summary a
minute (:mod:`borne.api.refusals`). Entries are hash-chained so that a modified, deleted or
reordered entry is found by :func:`borne.audit.verify.verify` (``borne audit verify``); the
journal is capped in size, its oldest entries pruned (``[audit] max_mb``,
:mod:`borne.audit.settings`).

- :mod:`borne.audit.trail`: :class:`~borne.audit.trail.AuditTrail` writes and
  reads entries (SQLite, WAL, ``synchronous=FULL``);
- :mod:`borne.audit.verify`: read-only chain verification and listing.

Nothing is imported here, so ``import borne.audit`` stays free.
"""
