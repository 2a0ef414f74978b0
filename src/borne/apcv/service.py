"""apCV presentations, prescriptions and sessions, wired to the inputs, the bus and the API.

:class:`ApcvService` is the :class:`~borne.readers.capture.CaptureSink` of every
presentation input (QR camera, USB scanner, NFC, contactless PC/SC slots). For
each captured payload it applies the recognition rules, keeps the presentation
in memory and announces it (``apcv.presented``, ``prescription.scanned``:
an id, never the payload). The API's handlers call :meth:`fetch`,
:meth:`open_session`, :meth:`claim`, :meth:`release`, :meth:`confirm` and
:meth:`session` with the calling client's id. A timer on the event loop
forgets unfetched presentations and expires sessions at their deadline, with
events.

Runs on the event loop, like :class:`~borne.core.Core`; no locks are needed, and
two claims racing for a session's last invoice are served one after the other:
exactly one wins; so are a release and a claim, or a release and the expiry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..runtime.clock import Clock
from ..core import Core
from ..errors import message_for
from ..events import (ApcvPresented, CaptureFailed, EventBus, InvoiceClaimed, InvoiceReleased,
                      PrescriptionScanned, PresentationExpired, SessionExhausted, SessionExpired,
                      SessionOpened)
from .errors import ApcvError
from .presentations import Presentation, PresentationStore
from ..network.wifi_code import is_wifi_code
from .recognise import GS1_CHANNELS, PayloadRejected, compile_rules, recognise
from .sessions import Change, QuotaSource, Session, SessionBook
from .settings import ApcvConfig

__all__ = ["ApcvService"]

log = logging.getLogger("borne.apcv")


class ApcvService:
    """The presentation store and session book of the running box."""

    def __init__(self, bus: EventBus, clock: Clock, core: Core, config: ApcvConfig) -> None:
        self._bus = bus
        self._clock = clock
        self._core = core
        self._config = config
        self._rules = compile_rules(config.rules)
        self._site_profession = config.site_profession_key()
        self.presentations = PresentationStore(config.presentation_ttl_s)
        self.sessions = SessionBook(config.session_seconds)
        self._timer: asyncio.TimerHandle | None = None
        #: GS1 codes (medicine boxes) captured and ignored since start (:meth:`describe`).
        self.gs1_ignored = 0
        #: Where a phone's Wi-Fi code goes (``(payload, channel) -> refusal code or None``):
        #: :meth:`borne.network.service.NetworkService.code_shown`; None: refused.
        self.wifi_sink: Any = None

    # -- CaptureSink ----------------------------------------------------------------------

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        self._core.device_state(device, state, detail)

    def payload_captured(self, channel: str, payload: bytes, detected_ns: int) -> None:
        if channel in GS1_CHANNELS and is_wifi_code(payload):
            # A phone's Wi-Fi code: never an apCV, never journaled nor logged (it holds a
            # password); the network service offers it to the person at the box.
            if self.wifi_sink is None:
                self.capture_error(channel, "network_service_unavailable", detected_ns)
                return
            refused = self.wifi_sink(payload, channel)
            if refused is not None:
                self.capture_error(channel, refused, detected_ns)
            return
        try:
            verdict = recognise(payload, channel, self._rules, self._config.max_payload_bytes)
        except PayloadRejected as error:
            self.capture_error(channel, error.code, detected_ns)
            return
        if verdict.kind == "gs1":
            # A medicine box (GS1): not an apCV, not an error. Counted, never shown nor logged.
            self.gs1_ignored += 1
            log.debug("GS1 code from %s ignored (%d so far)", channel, self.gs1_ignored)
            return
        if verdict.kind == "unknown":
            # Said on the stream (the screen shows "Code non reconnu"); the payload is dropped.
            self.capture_error(channel, "capture_unrecognised", detected_ns)
            return
        wall = self._clock.wall().iso
        now = self._clock.monotonic()
        number = verdict.text if verdict.kind == "prescription" else None
        item, dropped = self.presentations.add(verdict.kind, channel, payload, now, wall,
                                               number=number)
        for old in dropped:
            self._announce_forgotten(old)
        expires_in = round(self.presentations.ttl_s)
        announced = ApcvPresented if item.kind == "apcv" else PrescriptionScanned
        self._bus.publish(announced(presentation_id=item.id, channel=channel,
                                    expires_in_s=expires_in, detected_ns=detected_ns))
        self._reschedule()

    def capture_error(self, channel: str, code: str, detected_ns: int) -> None:
        self._bus.publish(CaptureFailed(channel=channel, code=code,
                                       message=message_for(code, "en"), detected_ns=detected_ns))

    # -- API ------------------------------------------------------------------------------

    def fetch(self, presentation_id: str, kind: str, client_id: str) -> Presentation:
        """Give a presentation's payload to ``client_id``, once."""
        item = self.presentations.fetch(presentation_id, kind,  # type: ignore[arg-type]
                                        client_id, self._clock.monotonic())
        self._reschedule()
        return item

    def current_cps_profession(self) -> tuple[bool, str | None]:
        """(a CPS is in the box, its profession key) from the decoded slots."""
        for slot in sorted(self._core.slots.values(), key=lambda s: s.info.name):
            card = slot.card
            if slot.state == "decoded" and card is not None and card.type == "cps":
                return True, getattr(card, "profession", None)
        return False, None

    def quota_for(self, profession: str | None) -> int:
        """The invoice quota of a profession, by the policy table."""
        if profession is not None and profession in self._config.invoices_by_profession:
            return self._config.invoices_by_profession[profession]
        return self._config.invoices_default

    def profession_now(self) -> tuple[bool, str | None, QuotaSource]:
        """(a CPS is in the box, the profession the quota follows, where it came from).

        The card's own profession where the box could decode it (``card``); else the
        site's ``[apcv] site_profession`` (``site``); else none (``default``).
        """
        has_cps, profession = self.current_cps_profession()
        if profession is not None:
            return has_cps, profession, "card"
        if self._site_profession is not None:
            return has_cps, self._site_profession, "site"
        return has_cps, None, "default"

    def open_session(self, presentation_id: str, client_id: str) -> Session:
        """Open a session on an apCV presentation ``client_id`` fetched (and authenticated)."""
        now = self._clock.monotonic()
        item = self.presentations.take_for_session(presentation_id, client_id, now)
        has_cps, profession, source = self.profession_now()
        if not has_cps:
            raise ApcvError(code="no_cps")
        session = self.sessions.open(client_id, item.id, profession=profession,
                                     invoices_allowed=self.quota_for(profession), now=now,
                                     quota_source=source)
        item.session_id = session.id
        self._bus.publish(SessionOpened(
            session_id=session.id, presentation_id=item.id, profession=profession,
            invoices_allowed=session.invoices_allowed,
            expires_in_s=round(session.expires_mono - now), quota_source=source))
        self._reschedule()
        return session

    def claim(self, session_id: str, client_id: str) -> tuple[int, Session]:
        """Claim the next invoice of a session (raises :class:`ApcvError` 409/410)."""
        now = self._clock.monotonic()
        try:
            claim = self.sessions.claim(session_id, client_id, now)
        except ApcvError as error:
            if error.code == "session_expired":
                self._expire_due(now)
            raise
        session = claim.session
        self._bus.publish(InvoiceClaimed(
            session_id=session.id, invoice=claim.invoice,
            invoices_allowed=session.invoices_allowed,
            seconds_left=round(session.expires_mono - now), invoices_used=session.invoices_used))
        if claim.exhausted:
            self._bus.publish(SessionExhausted(session_id=session.id,
                                               invoices_used=session.invoices_used))
        return claim.invoice, session

    def release(self, session_id: str, client_id: str, invoice: int, reason: str) -> Change:
        """Give back a claimed invoice whose signature or transmission failed.

        Announced by ``apcv.invoice.released``.

        Raises :class:`ApcvError`: ``session_expired`` at or after the end (the
        expiry is announced at once), ``invoice_released``, ``invoice_confirmed``,
        ``invoice_not_found``, ``session_not_found``.
        """
        now = self._clock.monotonic()
        try:
            change = self.sessions.release(session_id, client_id, invoice, reason, now)
        except ApcvError as error:
            if error.code == "session_expired":
                self._expire_due(now)
            raise
        session = change.session
        self._bus.publish(InvoiceReleased(
            session_id=session.id, invoice=invoice, reason=reason,
            invoices_used=session.invoices_used, invoices_allowed=session.invoices_allowed,
            seconds_left=round(session.expires_mono - now)))
        return change

    def confirm(self, session_id: str, client_id: str, invoice: int) -> Change:
        """Mark a claimed invoice as sent, for good (optional; no event: nothing changes)."""
        return self.sessions.confirm(session_id, client_id, invoice, self._clock.monotonic())

    def session(self, session_id: str, client_id: str) -> Session:
        """A session of ``client_id``, settled to now."""
        return self.sessions.get(session_id, client_id, self._clock.monotonic())

    def now(self) -> float:
        """The monotonic time the service uses (for views)."""
        return self._clock.monotonic()

    # -- deadlines ------------------------------------------------------------------------

    def _announce_forgotten(self, item: Presentation) -> None:
        if item.fetched_by is None:
            self._bus.publish(PresentationExpired(presentation_id=item.id, kind=item.kind))

    def _expire_due(self, now: float) -> None:
        for item in self.presentations.expire(now):
            self._announce_forgotten(item)
        for session in self.sessions.tick(now):
            self._bus.publish(SessionExpired(session_id=session.id,
                                             invoices_used=session.invoices_used))

    def _on_timer(self) -> None:
        self._timer = None
        self._expire_due(self._clock.monotonic())
        self._reschedule()

    def _reschedule(self) -> None:
        deadlines = [d for d in (self.presentations.next_deadline(),
                                 self.sessions.next_deadline()) if d is not None]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not deadlines:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pure use (tests without a loop): expiry happens on access
            return
        delay = max(0.0, min(deadlines) - self._clock.monotonic())
        self._timer = loop.call_later(delay + 0.001, self._on_timer)

    def close(self) -> None:
        """Stop the timer (the daemon is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def describe(self) -> dict[str, Any]:
        """Counts for ``/v1/status``: nothing about who or what."""
        now = self._clock.monotonic()
        return {"presentations_waiting": self.presentations.waiting(),
                "sessions_open": len(self.sessions.active(now)),
                "gs1_ignored": self.gs1_ignored}
