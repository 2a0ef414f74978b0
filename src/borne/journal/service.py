"""The daemon's journal: each read the billing software must see later, appended at once, sealed per workstation.

:class:`JournalService` listens to the bus. On

- ``card.decoded`` (a carte Vitale or a CPS, by ``[journal] kinds``): the decoded
  card, identity included, read from the core's slot at that moment;
- ``apcv.presented`` and ``prescription.scanned``: the captured payload (and the
  prescription number), *looked at* in the apCV store without being fetched, so
  a workstation online at that moment can still fetch it once through the API;

it builds the record's plaintext on the event loop (the card is in memory now),
then appends one record per paired, non-revoked workstation on the journal's
one thread: whether or not any of them is connected. ``journal.stored`` is
published only once the records are committed. ``client.revoked`` deletes that
workstation's records: it can never collect them.

An apCV payload is of no use once its session is over (the billing software authenticates
it online): it is dropped from the file ``payload_ttl_s`` (the session's duration) after the
presentation, the record staying (:mod:`borne.journal.redaction`).

Retention (data minimisation): records nobody acknowledged are deleted
``[journal] retention_days`` after they were made (``journal.purged``), with a
``journal.retention_warning`` ``warn_before_s`` earlier. Retention counts on clocks
no workstation can move (:mod:`borne.journal.retention`): the box's running time across
reboots, and the wall clock only while NTP vouches for it at the read and now. A clock a
workstation set (``POST /v1/clock``) can keep records longer, never shorter.

The plaintext is UTF-8 JSON padded to a fixed block (:mod:`borne.journal.plaintext`).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from ..events import (ApcvPresented, CardDecoded, CardFailed, CardRemoved, ClientRevoked, Event,
                      JournalCollected, JournalPurged, JournalRecovered,
                      JournalRetentionWarning, JournalStored, PrescriptionScanned)
from .age_clock import FILE_NAME as AGE_FILE_NAME
from .age_clock import AgeClock
from .crypto import public_key_of
from .errors import JournalError
from .plaintext import PAD_TO, padded
from .retention import time_left
from ..runtime.boot_id import read_boot_id
from .store import JOURNAL_DB_NAME, JournalStore, Recipient, Stamp, StoredRecord

__all__ = ["PAD_TO", "JournalService", "padded"]

log = logging.getLogger("borne.journal")

_DAY_S = 86400
#: Longest wait between two retention checks (a new record is younger than the oldest).
_MAX_TICK_S = 3600.0
#: Longest wait between two writes of the box's running time (a power cut loses what ran since).
_AGE_SAVE_S = 600.0


def _unix(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


class JournalService:
    """The running box's offline journal (see the module docstring).

    ``clients`` is the API's :class:`~borne.secure_channel.clients.ClientRegistry`;
    ``apcv`` the :class:`~borne.apcv.service.ApcvService` (None: no apCV records);
    ``storage`` the :class:`~borne.runtime.storage_watch.StorageWatch`, told when a write
    fails so the box refuses reads with "storage full" at once. ``sign(header, envelope)``
    signs each record (:func:`borne.journal.signature.signer` of the box's CA); None: unsigned.
    """

    def __init__(self, settings: Any, *, data_dir: Path, bus: Any, clock: Any, core: Any,
                 clients: Any, apcv: Any = None, storage: Any = None,
                 boot_id: str | None = None, payload_ttl_s: float = 1200.0,
                 sign: Any = None) -> None:
        self._settings = settings
        self._sign = sign
        self._path = Path(data_dir) / JOURNAL_DB_NAME
        self._bus = bus
        self._clock = clock
        self._core = core
        self._clients = clients
        self._apcv = apcv
        self._storage = storage
        self._boot_id = boot_id or read_boot_id()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._store: JournalStore | None = None
        # The appends under way. Not a TaskGroup: flush() must wait for them in the middle of
        # the service's life (before a battery power-off), not only when it ends.
        self._pending: set[asyncio.Task[Any]] = set()
        self._retention: asyncio.Task[None] | None = None
        #: How long an apCV payload is kept (``[apcv] session_seconds``), and the task that
        #: drops it then, woken by each new apCV record.
        self._payload_ttl_ns = round(payload_ttl_s * 1e9)
        self._payloads: asyncio.Task[None] | None = None
        self._payload_added = asyncio.Event()
        self._keys: dict[str, tuple[bytes, Recipient]] = {}
        self._warned_keyless: set[str] = set()
        self._warned: set[int] = set()  # the seqs the last retention warning was about
        #: The box's running time, retention's clock (kept beside the journal's file).
        self._ages = AgeClock(Path(data_dir) / AGE_FILE_NAME, self._boot_id, clock.monotonic)
        #: Reads with a record still waiting for a workstation (for the screen).
        self.waiting = 0
        #: The corrupted journal set aside at start, if any (its file name).
        self.set_aside: str | None = None

    # -- life -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open (and check, and if need be recover) the file; then listen and keep retention.

        A journal that cannot be opened degrades the ``journal`` device, never the daemon.
        """
        try:
            self._store = await self._run(lambda: JournalStore(self._path, sign=self._sign))
            await self._run(self._ages.load)
            self.waiting = await self._run(self._store.waiting)
        except JournalError as error:
            log.error("journal not started: %s", error.message("en"))
            self._core.device_state("journal", "error", error.message("en"))
            return
        if self._store.set_aside is not None:
            self.set_aside = self._store.set_aside.name  # the store logged why
            self._bus.publish(JournalRecovered(set_aside=self.set_aside))
        self._core.device_state("journal", "available", None)
        self._bus.add_listener(self._on_event)
        self._catch_up()
        loop = asyncio.get_running_loop()
        self._retention = loop.create_task(self._keep_retention())
        self._payloads = loop.create_task(self._keep_payloads())

    async def stop(self) -> None:
        """Stop listening, finish the appends under way, close the file (idempotent)."""
        self._bus.remove_listener(self._on_event)
        for task in (self._retention, self._payloads):
            if task is not None:
                task.cancel()
        self._retention = self._payloads = None
        await self.flush()
        if self._store is not None:
            await self._run(self._ages.save)
            store, self._store = self._store, None
            await self._run(store.close)
        self._executor.shutdown(wait=True)

    async def flush(self) -> None:
        """Return once every read announced so far is committed (or has failed): before a
        power-off on a critical battery, for instance."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    @property
    def available(self) -> bool:
        """Whether the journal file is open."""
        return self._store is not None

    async def _run(self, function: Any, *args: Any) -> Any:
        """``function(*args)`` on the journal's thread, in submission order."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _store_or_fail(self) -> JournalStore:
        if self._store is None:
            raise JournalError("the journal is not open", code="journal_unavailable")
        return self._store

    # -- reads in -------------------------------------------------------------------------

    def _catch_up(self) -> None:
        """Journal the reads made while the daemon was starting, before this service listened.

        The readers start first (a card left in a reader is read at boot); the bus's
        history still has their events. Only the last read of each slot whose card is
        still decoded counts, and presentations whose payload is still in memory.
        """
        last: dict[str, Event] = {}
        for event in self._bus.history():
            data = event.data
            if isinstance(data, (CardDecoded, CardRemoved, CardFailed)):
                last[f"slot:{data.slot}"] = event
            elif isinstance(data, (ApcvPresented, PrescriptionScanned)):
                last[f"capture:{data.presentation_id}"] = event
        for event in last.values():
            if not isinstance(event.data, (CardRemoved, CardFailed)):
                self._on_event(event)

    def _on_event(self, event: Event) -> None:
        """Bus listener (on the loop, synchronous): capture what the read holds, now."""
        if isinstance(event.data, ClientRevoked):
            self._spawn(self._drop_client(event.data.client_id))
            return
        record = self._plaintext(event)
        if record is None:
            return
        kind, body = record
        if kind not in self._settings.kinds:
            return
        if self._storage is not None and self._storage.refusing:
            # Reads are refused while the partition is full (screen and API say so): its last
            # space is kept for the acknowledgements that give space back.
            log.warning("%s read not journaled: the data partition is full", kind)
            return
        redacted = None
        if kind == "apcv":  # the same record without its payload, for when the payload is spent
            redacted = padded({**{k: v for k, v in body.items() if k != "payload_b64"},
                               "payload_dropped": True})
        self._spawn(self._append(kind, padded(body), self._stamp(event), redacted))

    def _plaintext(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        data = event.data
        if isinstance(data, CardDecoded):
            slot = self._core.slots.get(data.slot)
            card = slot.card if slot is not None else None
            if card is None:
                return None
            return card.type, {"kind": card.type, "slot": data.slot, "card": card.to_dict()}
        if isinstance(data, (ApcvPresented, PrescriptionScanned)) and self._apcv is not None:
            item = self._apcv.presentations.peek(data.presentation_id)
            if item is None or item.payload is None:
                return None
            body = {"kind": item.kind, "presentation_id": item.id, "channel": item.channel,
                    "captured_at": item.captured_wall,
                    "payload_b64": base64.b64encode(item.payload).decode("ascii")}
            if item.kind == "prescription":
                body["number"] = item.number
            return item.kind, body
        return None

    def _stamp(self, event: Event) -> Stamp:
        """When the read happened: the bus stamped its event (monotonic and wall clock)."""
        # The clock's source (``ntp``, ``client``) is not in events: read it now, a moment later.
        source = getattr(self._clock.wall(), "source", None)
        return Stamp(mono_ns=round(event.mono * 1e9), wall=event.wall,
                     wall_synced=bool(event.wall_synced), wall_source=source,
                     created=_unix(event.wall))

    def _now(self) -> int:
        return _unix(self._clock.wall().iso)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _append(self, kind: str, plaintext: bytes, stamp: Stamp,
                      redacted: bytes | None = None) -> list[StoredRecord]:
        try:
            store = self._store_or_fail()
            stored, waiting = await self._run(self._append_sync, store, kind, plaintext, stamp,
                                              redacted)
        except JournalError as error:
            self._write_failed(error)
            return []
        except Exception:  # a bug must not kill the loop's task silently
            log.exception("journal append failed")
            return []
        if stored:
            self.waiting = waiting
            self._core.device_state("journal", "available", None)
            self._bus.publish(JournalStored(seq=stored[-1].header.seq, kind=kind, waiting=waiting))
            if redacted is not None:
                self._payload_added.set()
        return stored

    def _append_sync(self, store: JournalStore, kind: str, plaintext: bytes, stamp: Stamp,
                     redacted: bytes | None) -> tuple[list[StoredRecord], int]:
        recipients = self._recipients()
        if not recipients:
            log.warning("a %s read was not journaled: no paired workstation to seal it for", kind)
            return [], store.waiting()
        stored = store.append(kind, recipients, plaintext, stamp, self._boot_id,
                              redacted=redacted)
        return stored, store.waiting()

    def _recipients(self) -> list[Recipient]:
        """Every paired, non-revoked workstation whose certificate the box holds (on the thread)."""
        recipients = []
        for client in self._clients.list():
            if client.revoked:
                continue
            pem = self._clients.certificate(client.client_id)
            if pem is None:
                if client.client_id not in self._warned_keyless:
                    self._warned_keyless.add(client.client_id)
                    log.warning("workstation %s has no certificate on file (paired before the "
                                "journal): its records start after its next GET /v1/journal",
                                client.client_id)
                continue
            cached = self._keys.get(client.client_id)
            if cached is None or cached[0] != pem:
                try:
                    cached = (pem, Recipient(client.client_id, public_key_of(pem)))
                except JournalError as error:
                    log.warning("workstation %s: %s", client.client_id, error.message("en"))
                    continue
                self._keys[client.client_id] = cached
            recipients.append(cached[1])
        return recipients

    def _write_failed(self, error: JournalError) -> None:
        log.error("journal write failed: %s", error.message("en"))
        state = "full" if error.code == "journal_full" else "error"
        self._core.device_state("journal", state, error.code)
        if self._storage is not None:
            self._storage.write_failed()  # the data partition's state, at once: reads refused

    async def _drop_client(self, client_id: str) -> None:
        try:
            dropped = await self._run(self._store_or_fail().drop_client, client_id)
            self.waiting = await self._run(self._store_or_fail().waiting)
        except JournalError as error:
            self._write_failed(error)
            return
        self._keys.pop(client_id, None)
        if dropped:
            self._bus.publish(JournalPurged(records=dropped, waiting=self.waiting))

    # -- collection (the API) -------------------------------------------------------------

    async def collect(self, client_id: str, *, after: int = 0,
                      limit: int = 100) -> tuple[list[StoredRecord], int]:
        """``client_id``'s records after ``after`` (oldest first), and how many it has waiting."""
        store = self._store_or_fail()

        def read() -> tuple[list[StoredRecord], int]:
            return store.records(client_id, after=after, limit=limit), store.waiting(client_id)

        return await self._run(read)

    async def ack(self, client_id: str, *, seqs: list[int] | None = None,
                  up_to: int | None = None) -> dict[str, int]:
        """Acknowledge (delete) records of ``client_id``: ``seqs``, or all up to ``up_to``.

        All or nothing; :class:`JournalError` ``journal_record_unknown`` names the
        seqs that are not the caller's. Publishes ``journal.collected``.
        """
        store = self._store_or_fail()
        now = self._now()

        def work() -> tuple[int, int, int, int]:
            if seqs is not None:
                deleted, already = store.ack(client_id, seqs, now=now)
            else:
                deleted, already = store.ack_up_to(client_id, int(up_to or 0), now=now), 0
            return deleted, already, store.waiting(client_id), store.waiting()

        try:
            deleted, already, mine, reads = await self._run(work)
        except JournalError as error:
            if error.code != "journal_record_unknown":
                self._write_failed(error)
            raise
        self.waiting = reads
        self._bus.publish(JournalCollected(client_id=client_id, acked=deleted, waiting=reads))
        return {"acked": deleted, "already_acked": already, "waiting": mine}

    async def remember_certificate(self, client_id: str, serial: int, pem: bytes) -> bool:
        """Keep the certificate of a workstation paired before the journal existed (from its TLS)."""
        if self._clients.certificate(client_id) is not None:
            return False
        return await self._run(self._clients.remember_certificate, client_id, serial, pem)

    # -- apCV payloads past use -----------------------------------------------------------

    async def _keep_payloads(self) -> None:
        try:  # a drop that a power cut interrupted before its checkpoint: its WAL emptied now
            await self._run(self._store_or_fail().checkpoint)
        except JournalError as error:
            log.warning("journal checkpoint at start failed: %s", error.message("en"))
        while True:
            self._payload_added.clear()
            try:
                delay = await self.payload_tick()
            except JournalError as error:
                self._write_failed(error)
                delay = _MAX_TICK_S
            try:
                await asyncio.wait_for(self._payload_added.wait(), delay)
            except TimeoutError:
                pass

    async def payload_tick(self) -> float | None:
        """Drop the apCV payloads older than the session's duration (and any of another boot:
        the first tick, at start, catches those a power cut left); seconds until the next is
        due (None: none kept)."""
        store = self._store_or_fail()
        now_ns = round(self._clock.monotonic() * 1e9)  # the clock the records' mono_ns are on
        dropped = await self._run(store.drop_payloads, self._boot_id,
                                  now_ns - self._payload_ttl_ns)
        if dropped:
            log.info("journal: the payload of %d apCV record(s) dropped (past the session)",
                     dropped)
        oldest = await self._run(store.next_payload_due, self._boot_id)
        if oldest is None:
            return None
        return max(0.0, (oldest + self._payload_ttl_ns - now_ns) / 1e9) + 0.001

    # -- retention ------------------------------------------------------------------------

    async def _keep_retention(self) -> None:
        while True:
            try:
                delay = await self.retention_tick()
            except JournalError as error:
                self._write_failed(error)
                delay = _MAX_TICK_S
            await self._run(self._ages.save_if_due, _AGE_SAVE_S)
            await asyncio.sleep(min(delay, _AGE_SAVE_S))

    async def retention_tick(self) -> float:
        """Purge expired records, warn about the next ones; seconds until the next check."""
        store = self._store_or_fail()
        retention_s = int(self._settings.retention_days * _DAY_S)
        warn_s = int(self._settings.warn_before_s)
        now, wall = self._now(), self._clock.wall()

        def work() -> tuple[dict[int, float], int]:
            rows = store.retention_rows()
            left = time_left(rows, retention_s=retention_s, ages=self._ages, wall_now=now,
                             wall_is_ntp=getattr(wall, "source", None) == "ntp")
            gone = store.purge([seq for seq, s in left.items() if s <= 0],
                               acked_before=now - retention_s)
            self._ages.keep_only(row.boot_id for row in rows)
            return {seq: s for seq, s in left.items() if s > 0}, gone

        left, purged = await self._run(work)
        if purged:
            self.waiting = await self._run(store.waiting)
            log.info("journal: %d record(s) nobody collected deleted after %s days", purged,
                     self._settings.retention_days)
            self._bus.publish(JournalPurged(records=purged, waiting=self.waiting))
        soon = {seq for seq, s in left.items() if s <= warn_s}  # purged within warn_s
        if soon - self._warned:
            self._bus.publish(JournalRetentionWarning(
                records=len(soon), purge_in_s=int(min(left[seq] for seq in soon))))
        self._warned = soon
        upcoming = [t for s in left.values() for t in (s - warn_s, s) if t > 0]
        return max(1.0, min([*upcoming, _MAX_TICK_S]))
