"""The apCV session rules, as a pure state machine on the monotonic clock.

From the Assurance Maladie's rules (domain notes): once the billing software
has authenticated an apCV presentation, a session lasts 20 minutes
(``duration_s``, a policy setting) and allows a quota of invoices that follows
the profession (2 for pharmacists and nurses, 1 for the others): the CPS's
own, else the site's (``quota_source``). Each invoice is claimed before it is
signed; past the quota the patient must present the app again
(``reauthentication_required``), past the duration too (``session_expired``).

A signature or a transmission can fail after the claim: the quota must not be
lost to it. So a claimed invoice is, until the end:

- ``claimed``: counted; it may be **released** (with a reason from
  :data:`RELEASE_REASONS`), which gives its place back (an exhausted session is
  open again), or **confirmed**;
- ``confirmed``: counted for good: confirming is optional and final (a release
  is then refused, ``invoice_confirmed``);
- ``released``: not counted; final too (``invoice_released``).

The quota counts the claimed and confirmed invoices. Invoice numbers are never
reused within a session, so a late or repeated release can only ever reach the
invoice it names. A release at or after the session's end is refused
(``session_expired``): the session can give nothing back any more. A confirmation
after the end is still accepted (it records what was sent; it changes no count).

Only the monotonic clock is used, passed in as ``now``: a wall-clock jump (NTP
setting the clock of a Pi that booted in 1970) changes nothing. A session is
owned by the client that opened it; other clients do not see it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .errors import ApcvError

__all__ = ["MAX_INVOICES", "RELEASE_REASONS", "Change", "Claim", "Invoice", "QuotaSource",
           "ReleaseReason", "Session", "SessionBook"]

State = Literal["open", "exhausted", "expired"]
InvoiceState = Literal["claimed", "confirmed", "released"]
#: Where a session's quota came from: the CPS's own profession, the site's setting, neither.
QuotaSource = Literal["card", "site", "default"]

#: Why an invoice is given back. A closed list, not free text: the reason is written to the
#: audit journal, and a workstation gone bad must not write unbounded text there (nor a
#: patient's name).
ReleaseReason = Literal["signature_failed", "transmission_failed", "cancelled", "other"]
RELEASE_REASONS: tuple[str, ...] = get_args(ReleaseReason)

#: Invoices (of any state) one session may hold: claims and releases in a loop end here
#: with ``reauthentication_required``, as a used quota does.
MAX_INVOICES = 16


@dataclass
class Invoice:
    """One claimed invoice of a session: its number (1-based, never reused) and its state."""

    number: int
    state: InvoiceState = "claimed"
    reason: str | None = None

    def view(self) -> dict[str, Any]:
        """The invoice as the API shows it."""
        return {"invoice": self.number, "state": self.state, "reason": self.reason}


@dataclass
class Session:
    """One apCV session."""

    id: str
    client_id: str
    presentation_id: str
    profession: str | None
    invoices_allowed: int
    opened_mono: float
    expires_mono: float
    quota_source: QuotaSource = "default"
    invoices: list[Invoice] = field(default_factory=list)
    state: State = "open"
    #: Whether :meth:`SessionBook.tick` reported the expiry (once, whoever saw it first).
    expiry_reported: bool = False

    @property
    def invoices_used(self) -> int:
        """Invoices that count against the quota: claimed or confirmed, not released."""
        return sum(1 for invoice in self.invoices if invoice.state != "released")

    def view(self, now: float) -> dict[str, Any]:
        """The session as the API shows it (no identity data)."""
        return {"id": self.id, "state": self.state, "presentation_id": self.presentation_id,
                "profession": self.profession, "quota_source": self.quota_source,
                "invoices_allowed": self.invoices_allowed, "invoices_used": self.invoices_used,
                "invoices": [invoice.view() for invoice in self.invoices],
                "seconds_left": max(0, round(self.expires_mono - now, 1))}


@dataclass(frozen=True)
class Claim:
    """A granted invoice: its number in the session (1-based) and the session after it."""

    invoice: int
    session: Session
    exhausted: bool


@dataclass(frozen=True)
class Change:
    """A release or a confirmation: the invoice and the session after it; ``reopened`` when a
    release made an exhausted session open again."""

    invoice: Invoice
    session: Session
    reopened: bool = False


class SessionBook:
    """Every session the box enforces. Ended sessions are kept ``keep_s`` for late readers."""

    def __init__(self, duration_s: float = 1200.0, *, keep_s: float = 600.0) -> None:
        self.duration_s = duration_s
        self._keep_s = keep_s
        self._sessions: dict[str, Session] = {}

    def open(self, client_id: str, presentation_id: str, *, profession: str | None,
             invoices_allowed: int, now: float, quota_source: QuotaSource = "default") -> Session:
        """Open a session; the quota (and where it came from) is decided by the caller's policy."""
        if invoices_allowed < 1:
            raise ValueError("a session allows at least one invoice")
        session = Session("se-" + secrets.token_hex(8), client_id, presentation_id, profession,
                          invoices_allowed, now, now + self.duration_s, quota_source)
        self._sessions[session.id] = session
        return session

    def _mine(self, session_id: str, client_id: str, now: float) -> Session:
        session = self._sessions.get(session_id)
        if session is None or session.client_id != client_id:
            raise ApcvError(code="session_not_found")
        self._settle(session, now)
        return session

    @staticmethod
    def _settle(session: Session, now: float) -> None:
        """Move a session past its end to ``expired``."""
        if session.state != "expired" and now >= session.expires_mono:
            session.state = "expired"

    def claim(self, session_id: str, client_id: str, now: float) -> Claim:
        """Grant the next invoice, or refuse: ``session_expired``, ``reauthentication_required``."""
        session = self._mine(session_id, client_id, now)
        if session.state == "expired":
            raise ApcvError(code="session_expired", session_id=session.id)
        if (session.invoices_used >= session.invoices_allowed
                or len(session.invoices) >= MAX_INVOICES):
            raise ApcvError(code="reauthentication_required", session_id=session.id,
                            invoices_allowed=session.invoices_allowed)
        invoice = Invoice(len(session.invoices) + 1)
        session.invoices.append(invoice)
        exhausted = session.invoices_used >= session.invoices_allowed
        if exhausted:
            session.state = "exhausted"
        return Claim(invoice.number, session, exhausted)

    def _invoice(self, session: Session, number: int) -> Invoice:
        if not 1 <= number <= len(session.invoices):
            raise ApcvError(code="invoice_not_found", session_id=session.id, invoice=number)
        return session.invoices[number - 1]

    def release(self, session_id: str, client_id: str, number: int, reason: str,
                now: float) -> Change:
        """Give a claimed invoice back (its signature or transmission failed): it stops counting.

        Refused: ``session_expired`` at or after the end, ``invoice_released`` the second
        time, ``invoice_confirmed`` once confirmed, ``invoice_not_found``.
        """
        if reason not in RELEASE_REASONS:
            raise ValueError(f"unknown release reason {reason!r}")
        session = self._mine(session_id, client_id, now)
        invoice = self._invoice(session, number)
        if session.state == "expired":
            raise ApcvError(code="session_expired", session_id=session.id)
        self._refuse_final(session, invoice)
        invoice.state, invoice.reason = "released", reason
        reopened = session.state == "exhausted"
        if reopened:
            session.state = "open"
        return Change(invoice, session, reopened)

    def confirm(self, session_id: str, client_id: str, number: int, now: float) -> Change:
        """Mark a claimed invoice as sent, for good (optional). Confirming again changes
        nothing; a released invoice cannot be confirmed (``invoice_released``)."""
        session = self._mine(session_id, client_id, now)
        invoice = self._invoice(session, number)
        if invoice.state != "confirmed":
            self._refuse_final(session, invoice)
            invoice.state = "confirmed"
        return Change(invoice, session)

    @staticmethod
    def _refuse_final(session: Session, invoice: Invoice) -> None:
        if invoice.state == "released":
            raise ApcvError(code="invoice_released", session_id=session.id,
                            invoice=invoice.number)
        if invoice.state == "confirmed":
            raise ApcvError(code="invoice_confirmed", session_id=session.id,
                            invoice=invoice.number)

    def get(self, session_id: str, client_id: str, now: float) -> Session:
        """The session, settled to ``now``."""
        return self._mine(session_id, client_id, now)

    def tick(self, now: float) -> list[Session]:
        """Expire what is due; returns the expired sessions not reported yet, each once, also
        when a request reached the session after its end first. Forgets long-ended ones."""
        expired = []
        for session in self._sessions.values():
            self._settle(session, now)
            if session.state == "expired" and not session.expiry_reported:
                session.expiry_reported = True
                expired.append(session)
        for session in [s for s in self._sessions.values()
                        if now >= s.expires_mono + self._keep_s]:
            del self._sessions[session.id]
        return expired

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do."""
        times = [s.expires_mono if s.state != "expired" else s.expires_mono + self._keep_s
                 for s in self._sessions.values()]
        return min(times, default=None)

    def active(self, now: float) -> list[Session]:
        """Sessions still open (not exhausted, not expired) at ``now``."""
        return [s for s in self._sessions.values()
                if s.state == "open" and now < s.expires_mono]
