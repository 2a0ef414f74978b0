"""The apCV session rules, as a pure state machine on the monotonic clock.

From the Assurance Maladie's rules (domain notes): once the billing software
has authenticated an apCV presentation, a session lasts 20 minutes
(``duration_s``, a policy setting) and allows a quota of invoices that follows
the profession (2 for pharmacists and nurses, 1 for the others): the CPS's
own, else the site's (``quota_source``). Each invoice is claimed before it is
signed; past the quota the patient must present the app again
(``reauthentication_required``), past the duration too (``session_expired``).

Only the monotonic clock is used, passed in as ``now``: a wall-clock jump (NTP
setting the clock of a Pi that booted in 1970) changes nothing. A session is
owned by the client that opened it; other clients do not see it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ApcvError

__all__ = ["Claim", "QuotaSource", "Session", "SessionBook"]

State = Literal["open", "exhausted", "expired"]
#: Where a session's quota came from: the CPS's own profession, the site's setting, neither.
QuotaSource = Literal["card", "site", "default"]


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
    invoices_used: int = 0
    state: State = "open"

    def view(self, now: float) -> dict[str, Any]:
        """The session as the API shows it (no identity data)."""
        return {"id": self.id, "state": self.state, "presentation_id": self.presentation_id,
                "profession": self.profession, "quota_source": self.quota_source,
                "invoices_allowed": self.invoices_allowed,
                "invoices_used": self.invoices_used,
                "seconds_left": max(0, round(self.expires_mono - now, 1))}


@dataclass(frozen=True)
class Claim:
    """A granted invoice: its number in the session (1-based) and the session after it."""

    invoice: int
    session: Session
    exhausted: bool


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

    def _settle(self, session: Session, now: float) -> bool:
        """Move a session past its end to ``expired``; True if it changed now."""
        if session.state != "expired" and now >= session.expires_mono:
            session.state = "expired"
            return True
        return False

    def claim(self, session_id: str, client_id: str, now: float) -> Claim:
        """Grant the next invoice, or refuse: ``session_expired``, ``reauthentication_required``."""
        session = self._mine(session_id, client_id, now)
        if session.state == "expired":
            raise ApcvError(code="session_expired", session_id=session.id)
        if session.invoices_used >= session.invoices_allowed:
            raise ApcvError(code="reauthentication_required", session_id=session.id,
                            invoices_allowed=session.invoices_allowed)
        session.invoices_used += 1
        exhausted = session.invoices_used >= session.invoices_allowed
        if exhausted:
            session.state = "exhausted"
        return Claim(session.invoices_used, session, exhausted)

    def get(self, session_id: str, client_id: str, now: float) -> Session:
        """The session, settled to ``now``."""
        return self._mine(session_id, client_id, now)

    def tick(self, now: float) -> list[Session]:
        """Expire what is due; returns sessions that expired now. Forgets long-ended ones."""
        expired = [s for s in self._sessions.values() if self._settle(s, now)]
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
