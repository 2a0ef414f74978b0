"""``BoxClient``: the paired workstation's typed, async view of a box."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from ..error_catalogue import message_for
from .store import WorkstationFiles

__all__ = ["BoxClient", "BoxError", "Event", "raise_for_error"]


class BoxError(Exception):
    """The box refused a request: ``code`` is its stable error code."""

    def __init__(self, status: int, code: str, message: str = "",
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def raise_for_error(response: httpx.Response) -> None:
    """Turn the box's JSON error shape into a :class:`BoxError`."""
    if response.is_success:
        return
    try:
        body = response.json()
        raise BoxError(response.status_code, body["error"], body.get("message", ""),
                       body.get("details"))
    except (ValueError, KeyError, TypeError):
        raise BoxError(response.status_code, "http_error", response.text[:200]) from None


@dataclass(frozen=True)
class Event:
    """One event of the box's stream."""

    seq: int | None
    type: str
    data: dict[str, Any] = field(default_factory=dict)


def mtls_context(files: WorkstationFiles) -> ssl.SSLContext:
    """TLS trusting only the box's CA, presenting this workstation's certificate.

    The host name is not checked: the pinned CA issues certificates for this one
    box only (its server certificate; workstation certificates cannot serve, they
    carry clientAuth only), and the box's address on a pharmacy LAN or a phone
    hotspot changes, which would otherwise break every call.
    """
    context = ssl.create_default_context(cafile=str(files.ca))
    context.check_hostname = False
    context.load_cert_chain(str(files.certificate), str(files.key))
    return context


class BoxClient:
    """Calls a paired box. Use ``async with BoxClient.from_directory(folder) as box:``."""

    def __init__(self, url: str, ssl_context: ssl.SSLContext, *, timeout: float = 10.0,
                 language: str = "fr") -> None:
        self.url = url.rstrip("/")
        self._ssl = ssl_context
        self._timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.url, verify=ssl_context, timeout=timeout,
                                       headers={"Accept-Language": language})

    @classmethod
    def from_directory(cls, directory: str | Path, **options: Any) -> BoxClient:
        """A client for the box this folder was paired with."""
        files = WorkstationFiles(Path(directory))
        return cls(files.read_box()["url"], mtls_context(files), **options)

    async def __aenter__(self) -> BoxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _get(self, path: str, **params: Any) -> Any:
        response = await self._http.get(path, params=params or None)
        raise_for_error(response)
        return response.json()

    async def status(self) -> dict[str, Any]:
        """``GET /v1/status``."""
        return await self._get("/v1/status")

    async def set_clock(self, utc: datetime | None = None) -> dict[str, Any]:
        """``POST /v1/clock``: give the box this workstation's time (default: now, UTC).

        For a box that has no NTP (a nurse's hotspot): its records are then stamped
        with a wall clock marked synchronised by ``source = "client"``. A box that NTP
        already set answers :class:`BoxError` ``clock_synchronised`` (409).
        """
        moment = (utc or datetime.now(timezone.utc)).astimezone(timezone.utc)
        return await self._post("/v1/clock", {"utc": moment.isoformat().replace("+00:00", "Z")})

    async def set_mode(self, mode: str) -> str:
        """``PUT /v1/mode``: switch the box to ``counter`` or ``mobile``; the mode now."""
        response = await self._http.put("/v1/mode", json={"mode": mode})
        raise_for_error(response)
        return response.json()["mode"]

    async def readers(self) -> list[dict[str, Any]]:
        """``GET /v1/readers``: the slots."""
        return (await self._get("/v1/readers"))["readers"]

    async def card(self, slot_id: str) -> dict[str, Any]:
        """``GET /v1/readers/{slot_id}/card``: the decoded card (identity data)."""
        return await self._get(f"/v1/readers/{slot_id}/card")

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self._http.post(path, json=body if body is not None else {})
        raise_for_error(response)
        return response.json()

    async def presentation(self, presentation_id: str) -> dict[str, Any]:
        """``GET /v1/apcv/presentations/{id}``: the apCV payload, once.

        ``payload`` (bytes) is added, decoded from ``payload_b64``; authenticate it
        with your licensed apCV components before opening a session.
        """
        body = await self._get(f"/v1/apcv/presentations/{presentation_id}")
        body["payload"] = base64.b64decode(body["payload_b64"])
        return body

    async def prescription(self, presentation_id: str) -> dict[str, Any]:
        """``GET /v1/prescriptions/{id}``: a scanned ordonnance numérique, once."""
        body = await self._get(f"/v1/prescriptions/{presentation_id}")
        body["payload"] = base64.b64decode(body["payload_b64"])
        return body

    async def open_session(self, presentation_id: str) -> dict[str, Any]:
        """``POST /v1/apcv/sessions``: open the apCV session (after authenticating it)."""
        return await self._post("/v1/apcv/sessions", {"presentation_id": presentation_id})

    async def session(self, session_id: str) -> dict[str, Any]:
        """``GET /v1/apcv/sessions/{id}``: state, seconds left, invoices used/allowed."""
        return await self._get(f"/v1/apcv/sessions/{session_id}")

    async def claim_invoice(self, session_id: str) -> int:
        """``POST /v1/apcv/sessions/{id}/invoices`` before signing an invoice: its number.

        Raises :class:`BoxError` ``reauthentication_required`` (409: the quota is
        used) or ``session_expired`` (410): ask the patient to present the app again.
        """
        return (await self._post(f"/v1/apcv/sessions/{session_id}/invoices"))["invoice"]

    async def release_invoice(self, session_id: str, invoice: int,
                              reason: str = "signature_failed") -> dict[str, Any]:
        """``POST .../invoices/{n}/release``: give back an invoice whose signature or
        transmission failed (``reason``: ``signature_failed``, ``transmission_failed``,
        ``cancelled``, ``other``); its place in the quota is free again.

        Raises :class:`BoxError` ``invoice_confirmed`` / ``invoice_released`` (409) or
        ``session_expired`` (410).
        """
        return await self._post(f"/v1/apcv/sessions/{session_id}/invoices/{invoice}/release",
                                {"reason": reason})

    async def confirm_invoice(self, session_id: str, invoice: int) -> dict[str, Any]:
        """``POST .../invoices/{n}/confirm`` once the invoice is sent: kept for good (optional)."""
        return await self._post(f"/v1/apcv/sessions/{session_id}/invoices/{invoice}/confirm")

    async def journal(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """``GET /v1/journal``: this workstation's waiting records with ``seq > after``, oldest first.

        Still sealed: open each with :class:`borne.client.JournalReader`
        (``JournalReader.from_directory(folder).open(record)``), then :meth:`ack` them.
        An empty list: nothing more is waiting.
        """
        return (await self._get("/v1/journal", after=after, limit=limit))["records"]

    async def ack(self, seqs: list[int] | None = None, *, up_to: int | None = None) -> dict[str, int]:
        """``POST /v1/journal/ack``: the box deletes these records (``seqs``, or all up to ``up_to``).

        All or nothing: :class:`BoxError` ``journal_record_unknown`` (404) if one is
        not this workstation's. Returns ``acked``, ``already_acked`` and ``waiting``.
        """
        if (seqs is None) == (up_to is None):
            raise ValueError("give seqs or up_to")
        return await self._post("/v1/journal/ack",
                                {"seqs": list(seqs)} if seqs is not None else {"up_to": up_to})

    async def audit(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """``GET /v1/audit``."""
        return (await self._get("/v1/audit", after=after, limit=limit))["entries"]

    async def events(self, *, after: int | None = None, retry_s: float = 1.0,
                     max_retry_s: float = 30.0, reconnect: bool = True,
                     stall_s: float | None = None) -> AsyncIterator[Event]:
        """Every event from ``after`` on, for ever: reconnects and resumes by itself.

        A refusal (revoked, unauthenticated) ends the iteration with a
        :class:`BoxError`; network failures are retried with backoff, or, with
        ``reconnect=False``, raised as :class:`ConnectionError` (for a caller that
        must act on a cut, such as the bridge removing its cards). ``stall_s``: a
        stream silent that long counts as a network failure (a cable pulled or a
        hotspot gone sends nothing; the box sends a heartbeat every ``[api]
        heartbeat_s``, 15 s by default); None waits for ever.
        """
        last = after
        delay = retry_s
        while True:
            headers = {"Last-Event-ID": str(last)} if last is not None else {}
            try:
                async with self._http.stream("GET", "/v1/events", headers=headers,
                                             timeout=httpx.Timeout(self._timeout, read=stall_s)) as response:
                    if not response.is_success:
                        await response.aread()
                        raise_for_error(response)
                    delay = retry_s
                    async for event in _parse_sse(response.aiter_lines()):
                        if event.seq is not None:
                            last = event.seq
                        if event.type == "stream.revoked":
                            raise BoxError(403, "client_revoked", message_for(
                                "client_revoked", self._http.headers.get("Accept-Language", "fr")))
                        yield event
            except (httpx.TransportError, httpx.RemoteProtocolError) as error:
                if not reconnect:
                    raise ConnectionError(f"event stream lost: {type(error).__name__}") from None
            if not reconnect:
                raise ConnectionError("event stream ended")
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_retry_s)


async def _parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    seq: int | None = None
    type_ = "message"
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield Event(seq, type_, json.loads("\n".join(data)))
            seq, type_, data = None, "message", []
        elif line.startswith(":"):
            continue  # heartbeat
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                seq = int(value)
            elif name == "event":
                type_ = value
            elif name == "data":
                data.append(value)
