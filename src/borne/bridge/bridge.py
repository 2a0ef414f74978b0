"""``borne bridge``: the box's slots as local readers of the workstation's pcscd.

The workstation's pcscd loads vsmartcard's ``vpcd`` driver, which listens on one
TCP port per slot (``0x8C7B`` = 35963 and up) for a virtual card to connect. The
bridge follows the box's event stream and, for each box slot that holds a card,
connects to the matching vpcd port as that card (:class:`~borne.vpcd.card.VirtualCard`
around a :class:`~borne.bridge.remote_card.RemoteCard`): pcscd, and every PC/SC
program on the workstation, sees the card inserted; APDUs go to the box through
the leased APDU channel (``docs/apdu-channel.md``), one round trip each.

A card removed in the box disappears from the workstation. A network cut or a
box reboot removes every card on the workstation side (PC/SC software sees them
removed), and the bridge reconnects by itself, with backoff, and puts back what
the box holds then.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Bridge"]

log = logging.getLogger("borne.bridge")

#: vpcd's first port (vsmartcard's default, 0x8C7B); slot n of the box goes to port + n.
VPCD_PORT = 0x8C7B


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
                 vpcd_port: int = VPCD_PORT, lease_s: int = 60, idle_release_s: float = 10.0,
                 retry_s: float = 1.0, max_retry_s: float = 15.0) -> None:
        self._url = box_url.rstrip("/")
        self._directory = Path(directory)
        self._vpcd_host = vpcd_host
        self._vpcd_port = vpcd_port
        self._lease_s = lease_s
        self._idle_release_s = idle_release_s
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._slots: dict[str, _Slot] = {}
        self._ids = itertools.count(1)
        self._client: Any = None
        self._session: Any = None
        self.connected = asyncio.Event()

    # -- the session with the box ----------------------------------------------------------

    async def run(self) -> None:
        """Bridge until cancelled, reconnecting after every failure."""
        delay = self._retry_s
        while True:
            try:
                await self._session_once()
                delay = self._retry_s
            except asyncio.CancelledError:
                await self._drop_all()
                raise
            except Exception as error:  # network cut, box reboot, refused: start over
                log.warning("bridge: box unreachable (%s); retrying in %.0f s",
                            type(error).__name__, delay)
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
            readers = await client.readers()
            for index, reader in enumerate(sorted(readers, key=lambda r: r["name"])):
                self._slots[reader["id"]] = _Slot(reader["id"], self._vpcd_port + index)
                if reader.get("atr") and reader["state"] != "empty":
                    self._insert(reader["id"], bytes.fromhex(reader["atr"].replace(" ", "")))
            self.connected.set()
            log.info("bridge: %d slot(s) of %s on vpcd ports %d..", len(readers), self._url,
                     self._vpcd_port)
            janitor = asyncio.create_task(self._release_idle())
            try:
                async for event in client.events(after=status["last_event_seq"], reconnect=False):
                    await self._on_event(event)
            finally:
                janitor.cancel()

    async def _on_event(self, event: Any) -> None:
        slot = event.data.get("slot")
        if event.type == "card.inserted" and slot in self._slots:
            await self._remove(slot)
            self._insert(slot, bytes.fromhex(event.data["atr"].replace(" ", "")))
        elif event.type in ("card.removed", "reader.detached") and slot in self._slots:
            await self._remove(slot)
        elif event.type == "reader.attached" and slot not in self._slots:
            raise ConnectionResetError("the box's readers changed")  # re-list them in order
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
        await self._release(slot)
        if slot.card is not None:
            slot.card.stop()
            thread, slot.card, slot.thread = slot.thread, None, None
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
                    break
        finally:
            for waiter in slot.pending.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("channel closed"))
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
        if lease_id is not None and self._client is not None:
            with contextlib.suppress(Exception):
                await self._client._http.delete(f"/v1/leases/{lease_id}")

    async def _release_idle(self) -> None:
        """Give a slot back to the box when the workstation has not used it for a while."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._idle_release_s / 2)
            for slot in list(self._slots.values()):
                if slot.lease_id is not None and not slot.pending \
                        and loop.time() - slot.last_use > self._idle_release_s:
                    await self._release(slot)
