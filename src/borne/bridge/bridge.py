"""``borne bridge``: the box's slots as local readers of the workstation's pcscd.

The workstation's pcscd loads vsmartcard's ``vpcd`` driver, which listens on one
TCP port per slot (``0x8C7B`` = 35963 and up) for a virtual card to connect. The
bridge follows the box's event stream and, for each box slot that holds a card,
connects to the matching vpcd port as that card (:class:`~borne.vpcd.card.VirtualCard`
around a :class:`~borne.bridge.remote_card.RemoteCard`): pcscd, and every PC/SC
program on the workstation, sees the card inserted; APDUs go to the box through
the leased APDU channel (``docs/apdu-channel.md``), one round trip each.

Which vpcd port (so which PC/SC reader of the workstation) a box slot goes to is
fixed by the slot's number, kept on the workstation (:mod:`borne.bridge.slot_map`),
and the layout (:mod:`borne.bridge.layout`: ports, and the readers' names when the
installer named them); never by the order in which the box lists its readers now.
The bridge claims its ports (:mod:`borne.bridge.claims`) before plugging anything in,
so a second bridge on the same ports stops with ``bridge_port_taken``.

A card removed in the box disappears from the workstation. A network cut (the event
stream silent for ``stall_s``: the box sends a heartbeat every 15 s by default) or a
box reboot removes every card on the workstation side (PC/SC software sees them
removed), and the bridge reconnects by itself, with backoff, and puts back what
the box holds then, each slot on its own port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..client.errors import PERMANENT, BoxError, transport_failure
from ..error_catalogue import message_for
from .claims import PortClaims
from .layout import VPCD_PORT, ReaderLayout
from .slot_map import SlotMap

__all__ = ["VPCD_PORT", "Bridge"]

log = logging.getLogger("borne.bridge")


def _failure(error: Exception, url: str) -> BoxError:
    """What ended a session with the box, as a :class:`BoxError` (in English: for the log)."""
    return error if isinstance(error, BoxError) else transport_failure(error, url, "en")


@dataclass
class _Slot:
    """One box slot bridged to one vpcd port."""

    slot_id: str
    port: int
    card: Any = None                 # the VirtualCard connected to vpcd
    thread: threading.Thread | None = None
    lease_id: str | None = None
    socket: Any = None               # the channel's WebSocket
    reader: asyncio.Task[None] | None = None
    renewer: asyncio.Task[None] | None = None
    pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    last_use: float = 0.0


class Bridge:
    """Keeps the workstation's vpcd slots in step with the box's slots."""

    def __init__(self, box_url: str, directory: str | Path, *, vpcd_host: str = "127.0.0.1",
                 vpcd_port: int = VPCD_PORT, layout: ReaderLayout | None = None,
                 lease_s: int = 60, idle_release_s: float = 10.0, retry_s: float = 1.0,
                 max_retry_s: float = 15.0, stall_s: float = 45.0) -> None:
        """``layout`` (default: unnamed, from ``vpcd_port``) gives each slot number its port;
        ``directory`` is the box's pairing folder, where the slot numbers are kept."""
        self._url = box_url.rstrip("/")
        self._directory = Path(directory)
        self._vpcd_host = vpcd_host
        self._layout = layout or ReaderLayout(vpcd_port)
        self._map = SlotMap(self._directory)  # an unreadable map stops us here, not later
        self._claims = PortClaims(f"pid {os.getpid()}, {self._url}")  # the same in both languages
        self._stall_s = stall_s
        self._lease_s = lease_s
        self._idle_release_s = idle_release_s
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._slots: dict[str, _Slot] = {}
        self._ids = itertools.count(1)
        self._stale_leases: set[str] = set()
        self._client: Any = None
        self._session: Any = None
        self.connected = asyncio.Event()

    # -- the session with the box ----------------------------------------------------------

    async def run(self) -> None:
        """Bridge until cancelled, reconnecting after every failure.

        Raises ``bridge_port_taken`` at once if another bridge holds one of our ports.
        """
        # The named slots' ports, and those of every slot numbered so far: ours even while
        # the box lacks the slot, so no other bridge takes its reader meanwhile.
        numbers = set(self._layout.names) or set(self._map.numbers.values())
        await self._claims.claim(p for n in sorted(numbers) for p in self._layout.ports(n))
        try:
            await self._run()
        finally:
            self._claims.close()

    async def _run(self) -> None:
        delay = self._retry_s
        while True:
            try:
                await self._session_once()
                delay = self._retry_s
            except asyncio.CancelledError:
                await self._drop_all()
                raise
            except Exception as error:  # network cut, box reboot, refused: start over
                failure = _failure(error, self._url)
                if failure.code in PERMANENT:  # not this box, or it refuses us: say so and stop
                    raise failure from None
                log.warning("bridge: %s [%s]; retrying in %.0f s",
                            failure.details.get("reason") or message_for(failure.code, "en"),
                            failure.code, delay)
            self.connected.clear()
            await self._drop_all()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry_s)

    async def _session_once(self) -> None:
        import aiohttp

        from ..client.api import BoxClient, mtls_context
        from ..client.store import WorkstationFiles

        context = mtls_context(WorkstationFiles(self._directory))
        async with BoxClient(self._url, context) as client, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
            self._client, self._session = client, session
            status = await client.status()
            await self._release_stale()
            readers = sorted(await client.readers(), key=lambda reader: reader["name"])
            numbers = self._map.number(reader["id"] for reader in readers)
            for reader in readers:
                if await self._bridge_slot(reader["id"], numbers[reader["id"]]) \
                        and reader.get("atr") and reader["state"] != "empty":
                    self._insert(reader["id"], bytes.fromhex(reader["atr"].replace(" ", "")))
            self.connected.set()
            janitor = asyncio.create_task(self._release_idle())
            try:
                async for event in client.events(after=status["last_event_seq"], reconnect=False,
                                                 stall_s=self._stall_s):
                    await self._on_event(event)
            finally:
                janitor.cancel()

    async def _bridge_slot(self, slot_id: str, number: int) -> bool:
        """Give box slot ``slot_id`` (numbered ``number``) its port; False if it is not bridged."""
        if not self._layout.bridged(number):
            log.info("bridge: box slot %d (%s) has no name: not bridged", number, slot_id)
            return False
        try:
            await self._claims.claim(self._layout.ports(number))
        except Exception as error:  # a slot new to us, on a port another bridge holds
            log.error("bridge: box slot %d (%s) not bridged: %s", number, slot_id, error)
            return False
        port = self._layout.port(number)
        self._slots[slot_id] = _Slot(slot_id, port)
        reader = self._layout.reader_name(number)
        log.info("bridge: box slot %d (%s) on vpcd port %d%s", number, slot_id, port,
                 f' (reader "{reader}")' if reader else "")
        return True

    async def _on_event(self, event: Any) -> None:
        slot = event.data.get("slot")
        if event.type == "card.inserted" and slot in self._slots:
            await self._remove(slot)
            self._insert(slot, bytes.fromhex(event.data["atr"].replace(" ", "")))
        elif event.type in ("card.removed", "reader.detached") and slot in self._slots:
            await self._remove(slot)
        elif event.type == "reader.attached" and slot not in self._slots:
            # A slot new to the box, or back: its number (kept, or the next one) gives its port.
            await self._bridge_slot(slot, self._map.number([slot])[slot])
        elif event.type in ("stream.gap", "stream.overflow"):
            raise ConnectionResetError(event.type)

    # -- the workstation's side (vpcd) -----------------------------------------------------

    def _insert(self, slot_id: str, atr: bytes) -> None:
        from ..vpcd.card import VirtualCard
        from .remote_card import RemoteCard

        slot = self._slots[slot_id]
        loop = asyncio.get_running_loop()

        async def call(op: str, **fields: Any) -> dict[str, Any]:
            return await self._exchange(slot, op, **fields)

        slot.card = VirtualCard(RemoteCard(atr, call, loop), self._vpcd_host, slot.port)
        slot.thread = threading.Thread(target=slot.card.run, name=f"bridge-{slot.port}",
                                       daemon=True)
        slot.thread.start()

    async def _remove(self, slot_id: str) -> None:
        slot = self._slots.get(slot_id)
        if slot is None:
            return
        # The card leaves the workstation first: giving the lease back may wait on a dead network.
        thread, card, slot.card, slot.thread = slot.thread, slot.card, None, None
        if card is not None:
            card.stop()
        await self._release(slot)
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)

    async def _drop_all(self) -> None:
        for slot_id in list(self._slots):
            with contextlib.suppress(Exception):
                await self._remove(slot_id)
        self._slots.clear()

    # -- the APDU channel ------------------------------------------------------------------

    async def _exchange(self, slot: _Slot, op: str, **fields: Any) -> dict[str, Any]:
        """One request on the slot's channel; leases, connects and powers on at first use."""
        if slot.socket is None or slot.socket.closed:
            await self._open_channel(slot)
            if op not in ("power_on", "power_off"):
                await self._send(slot, "power_on")
        return await self._send(slot, op, **fields)

    async def _send(self, slot: _Slot, op: str, **fields: Any) -> dict[str, Any]:
        request_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        slot.pending[request_id] = answer
        slot.last_use = asyncio.get_running_loop().time()
        try:
            await slot.socket.send_str(json.dumps({"op": op, "id": request_id, **fields}))
            return await answer
        finally:
            slot.pending.pop(request_id, None)

    async def _open_channel(self, slot: _Slot) -> None:
        from ..client.api import raise_for_error

        http = self._client._http
        response = await http.post(f"/v1/slots/{slot.slot_id}/lease",
                                   json={"seconds": self._lease_s})
        raise_for_error(response)
        slot.lease_id = response.json()["lease_id"]
        base = self._url.replace("https://", "wss://", 1)
        slot.socket = await self._session.ws_connect(
            f"{base}/v1/leases/{slot.lease_id}/channel", heartbeat=self._lease_s / 3)
        slot.reader = asyncio.create_task(self._read_channel(slot, slot.socket))
        slot.renewer = asyncio.create_task(self._renew(slot, slot.lease_id))

    async def _read_channel(self, slot: _Slot, socket: Any) -> None:
        try:
            async for message in socket:
                if message.type.name != "TEXT":
                    continue
                body = json.loads(message.data)
                waiter = slot.pending.get(body.get("id"))
                if waiter is not None and not waiter.done():
                    waiter.set_result(body)
                elif body.get("op") == "card_removed":
                    log.info("bridge: card removed from %s", slot.slot_id)
                elif body.get("op") == "lease_lost":
                    slot.lease_id = None  # the box ended it
                    break
        finally:
            for waiter in slot.pending.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("channel closed"))
            if slot.lease_id is not None:
                # Cut off, not released (that clears it first): the box still holds the
                # lease and would refuse us the slot (slot_leased_by_you) once we are back.
                self._stale_leases.add(slot.lease_id)
            slot.lease_id = None

    async def _renew(self, slot: _Slot, lease_id: str) -> None:
        """Keep the lease while the channel is open (it is released when idle)."""
        while slot.lease_id == lease_id:
            await asyncio.sleep(self._lease_s / 2)
            if slot.lease_id != lease_id:
                return
            with contextlib.suppress(Exception):
                await self._client._http.post(f"/v1/leases/{lease_id}/renew",
                                              json={"seconds": self._lease_s})

    async def _release(self, slot: _Slot) -> None:
        lease_id, socket = slot.lease_id, slot.socket
        slot.lease_id, slot.socket = None, None
        if socket is not None:
            with contextlib.suppress(Exception):
                await socket.close()
        if lease_id is not None:
            try:
                await self._client._http.delete(f"/v1/leases/{lease_id}")
            except Exception:  # cut off: the box keeps the lease, which would refuse us the slot
                self._stale_leases.add(lease_id)  # once back (slot_leased_by_you): give it back

    async def _release_stale(self) -> None:
        """Give back the leases a cut kept us from releasing (404: the box ended them already)."""
        for lease_id in sorted(self._stale_leases):
            with contextlib.suppress(Exception):
                await self._client._http.delete(f"/v1/leases/{lease_id}")
            self._stale_leases.discard(lease_id)

    async def _release_idle(self) -> None:
        """Give a slot back to the box when the workstation has not used it for a while."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._idle_release_s / 2)
            for slot in list(self._slots.values()):
                if slot.lease_id is not None and not slot.pending \
                        and loop.time() - slot.last_use > self._idle_release_s:
                    await self._release(slot)
