"""``BoxClient``: the paired workstation's typed, async view of a box."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from ..error_catalogue import message_for
from .errors import (
    PERMANENT,
    BoxConnectionError,
    BoxError,
    box_failure,
    check_box_url,
    files_failure,
    transport_failure,
)
from .store import WorkstationFiles
from .transport import DEADLINE_S, answer_field, answer_json, exchange

__all__ = ["BoxClient", "BoxConnectionError", "BoxError", "Event", "raise_for_error"]


def raise_for_error(response: httpx.Response, language: str = "fr") -> None:
    """Turn the box's JSON error shape into a :class:`BoxError` (``http_error`` without it)."""
    if response.is_success:
        return
    try:
        body = response.json()
        raise BoxError(response.status_code, body["error"], body.get("message", ""),
                       body.get("details"))
    except (ValueError, KeyError, TypeError):
        # Not the box's shape (a proxy, another server): its text goes to details only.
        raise BoxError(response.status_code, "http_error",
                       f"{message_for('http_error', language)} (HTTP {response.status_code})",
                       {"body": response.text[:200]}) from None


@dataclass(frozen=True)
class Event:
    """One event of the box's stream."""

    seq: int | None
    type: str
    data: dict[str, Any] = field(default_factory=dict)


def mtls_context(files: WorkstationFiles, language: str = "fr") -> ssl.SSLContext:
    """TLS trusting only the box's CA, presenting this workstation's certificate.

    The host name is not checked: the pinned CA issues certificates for this one
    box only (its server certificate; workstation certificates cannot serve, they
    carry clientAuth only), and the box's address on a pharmacy LAN or a phone
    hotspot changes, which would otherwise break every call.
    """
    try:
        context = ssl.create_default_context(cafile=str(files.ca))
        context.check_hostname = False
        context.load_cert_chain(str(files.certificate), str(files.key))
    except (OSError, ssl.SSLError, ValueError) as error:  # missing, unreadable, not PEM
        raise files_failure(error, files.directory, language) from None
    return context


class BoxClient:
    """Calls a paired box. Use ``async with BoxClient.from_directory(folder) as box:``.

    Every failure is a :class:`BoxError`: the box's refusal (its code), or a
    :class:`BoxConnectionError` when no usable answer came (:mod:`borne.client.errors`).
    ``timeout`` bounds each step (connect, each read); ``deadline_s`` a whole request.
    """

    def __init__(self, url: str, ssl_context: ssl.SSLContext, *, timeout: float = 10.0,
                 language: str = "fr", deadline_s: float = DEADLINE_S) -> None:
        self.url = check_box_url(url, language)
        self._ssl = ssl_context
        self._timeout = timeout
        self._deadline_s = deadline_s
        self._language = language
        self._http = httpx.AsyncClient(base_url=self.url, verify=ssl_context, timeout=timeout,
                                       headers={"Accept-Language": language})

    @classmethod
    def from_directory(cls, directory: str | Path, **options: Any) -> BoxClient:
        """A client for the box this folder was paired with (``pairing_files_unreadable`` if none)."""
        files = WorkstationFiles(Path(directory))
        language = options.get("language", "fr")
        return cls(files.read_box(language)["url"], mtls_context(files, language), **options)

    async def __aenter__(self) -> BoxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _call(self, method: str, path: str, *, deadline_s: float | None = None,
                    **options: Any) -> Any:
        """One request; the JSON of its answer. Every failure is a :class:`BoxError`."""
        response = await exchange(self._http, method, path, box=self.url, language=self._language,
                                  deadline_s=deadline_s or self._deadline_s, **options)
        raise_for_error(response, self._language)
        return answer_json(response, box=self.url, language=self._language)

    def _field(self, body: Any, name: str) -> Any:
        return answer_field(body, name, box=self.url, language=self._language)

    async def _get(self, path: str, **params: Any) -> Any:
        return await self._call("GET", path, params=params or None)

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
        return self._field(await self._call("PUT", "/v1/mode", json={"mode": mode}), "mode")

    async def readers(self) -> list[dict[str, Any]]:
        """``GET /v1/readers``: the slots."""
        return self._field(await self._get("/v1/readers"), "readers")

    async def card(self, slot_id: str) -> dict[str, Any]:
        """``GET /v1/readers/{slot_id}/card``: the decoded card (identity data)."""
        return await self._get(f"/v1/readers/{slot_id}/card")

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self._call("POST", path, json=body if body is not None else {})

    def _base64(self, body: Any) -> bytes:
        """The ``payload_b64`` of an answer, decoded (``box_answer_invalid`` if it is not base64)."""
        try:
            return base64.b64decode(self._field(body, "payload_b64"), validate=True)
        except (ValueError, TypeError):
            raise box_failure("box_answer_invalid", self.url, self._language,
                              reason="payload_b64 is not base64") from None

    async def presentation(self, presentation_id: str) -> dict[str, Any]:
        """``GET /v1/apcv/presentations/{id}``: the apCV payload, once.

        ``payload`` (bytes) is added, decoded from ``payload_b64``; authenticate it
        with your licensed apCV components before opening a session.
        """
        body = await self._get(f"/v1/apcv/presentations/{presentation_id}")
        body["payload"] = self._base64(body)
        return body

    async def prescription(self, presentation_id: str) -> dict[str, Any]:
        """``GET /v1/prescriptions/{id}``: a scanned ordonnance numérique, once."""
        body = await self._get(f"/v1/prescriptions/{presentation_id}")
        body["payload"] = self._base64(body)
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
        return self._field(await self._post(f"/v1/apcv/sessions/{session_id}/invoices"), "invoice")

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
        return self._field(await self._get("/v1/journal", after=after, limit=limit), "records")

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
        return self._field(await self._get("/v1/audit", after=after, limit=limit), "entries")

    async def update_state(self) -> dict[str, Any]:
        """``GET /v1/update``: version, booted slot, update state, progress, what holds the reboot."""
        return await self._get("/v1/update")

    async def update(self, bundle: str | Path, *, allow_downgrade: bool = False,
                     sent: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """``PUT /v1/update`` (admin workstations): stream ``bundle`` (a RAUC ``.raucb``) to the box.

        Returns ``version`` and ``compatible`` once the box has vetted it and started the
        install (follow :meth:`update_state` or ``update.progress`` events). ``sent(done,
        total)`` is called as bytes go. Raises :class:`BoxError`: ``forbidden`` (not an admin),
        ``update_bad_signature``, ``update_wrong_compatible``, ``update_downgrade_refused``,
        ``update_no_space``, ``update_busy``, ``payload_too_large``... or
        ``pairing_files_unreadable``-like ``bundle_unreadable`` when the file cannot be read.
        """
        from .bundle_stream import BundleStream

        stream = BundleStream.open(Path(bundle), self._language, sent)
        query = {"allow_downgrade": "true"} if allow_downgrade else None
        try:
            return await self._call(
                "PUT", "/v1/update", params=query, content=stream.chunks(),
                headers={"Content-Type": "application/octet-stream",
                         "Content-Length": str(stream.size)},
                deadline_s=stream.deadline_s(self._deadline_s))
        finally:
            stream.close()

    async def reboot(self, *, force: bool = False) -> dict[str, Any]:
        """``POST /v1/update/reboot`` (admin workstations): reboot into the installed system
        once nothing holds it (a card being read, a lease, an apCV session, a low battery), or
        at once with ``force``. Returns the update state after asking."""
        return await self._post("/v1/update/reboot", {"force": force})

    async def events(self, *, after: int | None = None, retry_s: float = 1.0,
                     max_retry_s: float = 30.0, reconnect: bool = True,
                     stall_s: float | None = None) -> AsyncIterator[Event]:
        """Every event from ``after`` on, for ever: reconnects and resumes by itself.

        A refusal (revoked, unauthenticated) ends the iteration with a
        :class:`BoxError`, and so does a failure that trying again cannot cure (the
        box at this address is not the paired one, it refuses this workstation's
        certificate); other failures (network, timeout) are retried with backoff,
        or, with ``reconnect=False``, raised as :class:`BoxConnectionError` (a
        :class:`ConnectionError`: for a caller that must act on a cut, such as the
        bridge removing its cards). ``stall_s``: a stream silent that long counts as
        a network failure (a cable pulled or a hotspot gone sends nothing; the box
        sends a heartbeat every ``[api] heartbeat_s``, 15 s by default); None waits
        for ever.
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
                        raise_for_error(response, self._language)
                    delay = retry_s
                    async for event in _parse_sse(response.aiter_lines()):
                        if event.seq is not None:
                            last = event.seq
                        if event.type == "stream.revoked":
                            raise BoxError(403, "client_revoked",
                                           message_for("client_revoked", self._language))
                        yield event
                failure: BoxError = box_failure("box_unreachable", self.url, self._language,
                                                reason="the event stream ended")
            except BoxConnectionError as error:
                failure = error
            except BoxError:
                raise
            except ValueError as error:  # a line of the stream that is not an event
                failure = box_failure("box_answer_invalid", self.url, self._language,
                                      reason=str(error)[:120])
            except (httpx.HTTPError, OSError, ssl.SSLError) as error:
                failure = transport_failure(error, self.url, self._language)
            if not reconnect or failure.code in PERMANENT:
                raise failure
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
