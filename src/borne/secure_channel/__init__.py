"""The secure channel between the box and the billing workstations.

=================  ==========================================================
``ca``             the box's own CA (created at first start), server and client certificates
``tls``            the API's server context, a workstation's client context, peer identity
``clients``        paired workstations in SQLite; revocation
``pairing``        the pairing window, its code, SPAKE2 exchange (box and workstation sides)
``settings``       ``[api.connections]``: caps on the API's TLS connections, request deadlines
=================  ==========================================================

Import the modules themselves: this package imports nothing, so ``import
borne`` never loads ``cryptography`` or ``spake2``.
"""
