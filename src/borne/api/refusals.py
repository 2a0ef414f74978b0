"""What callers without an authorised certificate were refused: counted in memory, journaled
as one bounded summary per interval.

Anyone on the LAN can open a connection and send requests without a certificate. Journaling
each refusal (as every paired workstation's request is) cost one synced disk write and
~450 attacker-chosen bytes per request: a loop of ``GET /x`` wore the SD card, queued the
paired workstations' requests behind fsyncs and filled the data partition. The rule now:

- **One by one** (the guard, :mod:`borne.api.guard`): every request of a paired workstation,
  whatever its answer, and every request without one that succeeded (a pairing step: few,
  the pairing window bounds them).
- **Counted here**: a request without an authorised certificate that was refused (no
  certificate, an unknown or revoked one, a pairing step refused), by source address and
  reason (the API's error code, a closed vocabulary: never a path, a header or a body), and
  a refused TLS handshake (``tls_certificate``: OpenSSL rejected the certificate;
  ``tls_handshake``: anything else, a timeout, a reset).
- **Bounded memory**: at most :attr:`RefusalTally.max_addresses` source addresses are told
  apart in an interval; refusals from further addresses are counted under ``other``, so an
  attacker rotating or spoofing addresses cannot grow the tally.
- **One summary entry per interval** (``interval_s``, 60 s), only when something was refused:
  action ``refused.summary``, no client, status 0 (not one request), ``detail`` holding the
  interval, the total, how many addresses, the :attr:`RefusalTally.max_rows` largest
  (address, reason) counts and the count of the rest (``others``). It always fits the audit
  journal's detail limit. The last interval is written when the daemon stops.
- **One log line per address and interval** for refused handshakes (each line reaches
  systemd's journal, on the same card), then one line per interval saying how many more.
- **Slowed down past a burst**: an address refused more than :attr:`RefusalTally.burst`
  times in an interval gets each further refusal after :attr:`RefusalTally.delay_s` (the
  guard waits before answering; addresses in ``other`` share one burst), except on the
  pairing exchange, which its window, its sessions and its failures bound. A connection
  without a certificate can never be served but the pairing exchange, so this costs a real
  workstation nothing; it keeps a loop of refused requests from taking the event loop from
  the paired workstations (300 looping connections: at most 300 answers a second, not
  thousands). Connections themselves are capped elsewhere (issue 16, finding 2).

``describe()`` gives the counts since the daemon started (``borne status --json``, under
``refused``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..audit.trail import AuditTrail

__all__ = ["OTHER", "SUMMARY_ACTION", "RefusalTally"]

log = logging.getLogger("borne.api")

#: The audit action of a summary entry.
SUMMARY_ACTION = "refused.summary"
#: Where refusals from addresses past the tracked maximum are counted.
OTHER = "other"

_MAX_ADDRESS = 64  # the longest IPv6 text with a zone id fits; anything longer is cut
_MAX_REASON = 48


class RefusalTally:
    """Refusals of callers without an authorised certificate, by address and reason.

    ``count()`` is called on the event loop (the guard, the TLS gate); :meth:`flush` journals
    the interval's summary and starts the next one; as a service (``start``/``stop``) it
    flushes every ``interval_s`` and once more when stopped.
    """

    def __init__(self, audit: AuditTrail, *, interval_s: float = 60.0, max_addresses: int = 256,
                 max_rows: int = 10, burst: int = 30, delay_s: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._audit = audit
        self.interval_s = interval_s
        #: Refusals of one address answered at once in an interval; the rest wait ``delay_s``.
        self.burst = burst
        self.delay_s = delay_s
        #: Source addresses told apart within an interval (the rest count as ``other``).
        self.max_addresses = max_addresses
        #: (address, reason) rows named in a summary entry.
        self.max_rows = max_rows
        self._monotonic = monotonic
        self._counts: dict[str, Counter[str]] = {}
        self._logged: set[str] = set()  # addresses whose refused handshake was logged
        self._unlogged = 0  # refused handshakes not logged one by one, this interval
        self._started = monotonic()
        self._since = monotonic()
        self._total = 0
        self._by_reason: Counter[str] = Counter()
        self._summaries = 0
        self._task: asyncio.Task[None] | None = None

    def count(self, address: str | None, reason: str) -> bool:
        """Count one refusal; True if it is the first from ``address`` in this interval."""
        return self._count(address, reason)[0]

    def _count(self, address: str | None, reason: str) -> tuple[bool, Counter[str]]:
        address = (address or "?")[:_MAX_ADDRESS]
        reason = reason[:_MAX_REASON]
        self._total += 1
        if len(self._by_reason) < 64 or reason in self._by_reason:
            self._by_reason[reason] += 1
        if address not in self._counts and len(self._counts) >= self.max_addresses:
            address = OTHER
        first = address not in self._counts
        reasons = self._counts.setdefault(address, Counter())
        reasons[reason] += 1
        return first, reasons

    def refused(self, address: str | None, reason: str) -> float:
        """Count a refused request; the seconds to wait before answering it (0 within the
        address's burst)."""
        _, reasons = self._count(address, reason)
        return self.delay_s if reasons.total() > self.burst else 0.0

    def handshake_refused(self, address: str | None, reason: str) -> bool:
        """Count a refused TLS handshake; True if it deserves its own log line (the first
        from ``address`` in this interval)."""
        self.count(address, reason)
        key = (address or "?")[:_MAX_ADDRESS]
        if key in self._logged or len(self._logged) >= self.max_addresses:
            self._unlogged += 1
            return False
        self._logged.add(key)
        return True

    def _summary(self) -> dict[str, Any] | None:
        rows = [(count, address, reason) for address, reasons in self._counts.items()
                for reason, count in reasons.items()]
        if not rows:
            return None
        rows.sort(key=lambda row: (-row[0], row[1], row[2]))
        named = rows[:self.max_rows]
        total = sum(row[0] for row in rows)
        return {"interval_s": round(self._monotonic() - self._since, 1), "total": total,
                "addresses": len(self._counts),
                "refused": [{"address": address, "reason": reason, "count": count}
                            for count, address, reason in named],
                "others": total - sum(row[0] for row in named)}

    async def flush(self) -> dict[str, Any] | None:
        """Journal this interval's summary (nothing if nothing was refused), start the next
        interval, and return the summary's detail."""
        detail, unlogged = self._summary(), self._unlogged
        self._counts, self._logged, self._unlogged = {}, set(), 0
        self._since = self._monotonic()
        if unlogged:
            log.warning("TLS refused %d more times in the last %.0f s (one line per address "
                        "and interval; `borne status --json` counts them)", unlogged,
                        self.interval_s)
        if detail is None:
            return None
        await self._audit.arecord(client_id=None, action=SUMMARY_ACTION, resource="*",
                                  status=0, detail=detail)
        self._summaries += 1
        return detail

    def describe(self) -> dict[str, Any]:
        """Counts since the daemon started: total, by reason, addresses in this interval."""
        return {"total": self._total, "by_reason": dict(self._by_reason.most_common(16)),
                "addresses_tracked": len(self._counts), "summaries": self._summaries,
                "since_s": round(self._monotonic() - self._started, 1)}

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception:  # the journal failing is logged; counting goes on
                log.exception("refusal summary not journaled")

    async def start(self) -> None:
        """Flush every ``interval_s`` from now on."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._every_interval())

    async def stop(self) -> None:
        """Stop flushing, and journal what the last interval counted (idempotent)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await self.flush()
        except Exception:
            log.exception("refusal summary not journaled")
