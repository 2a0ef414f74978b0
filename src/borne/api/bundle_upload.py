"""Receiving an update bundle over the API: streamed to a new file, bounded, never whole in memory.

``PUT /v1/update`` carries a RAUC bundle of hundreds of megabytes, where every other body of
the API is under 64 KiB (and read whole by :mod:`borne.api.request_deadline` within the
request's deadline). An upload has its own limits instead, looser but still bounded:

- refused before a byte of the body is read: no ``Content-Length`` (400), more than
  ``[update] max_bundle_mb`` (413 ``payload_too_large``), more than the free space of
  ``incoming_dir`` less :attr:`BundleInbox.reserve_bytes` kept for the journals
  (507 ``update_no_space``), or another upload under way (409 ``update_busy``: one at a time,
  so two admins cannot fill the partition twice);
- a deadline on the whole body: :attr:`BundleInbox.grace_s` plus the size at
  :attr:`BundleInbox.floor_rate` (256 KiB/s, a poor Wi-Fi: 300 MB in about 21 minutes), and
  :attr:`BundleInbox.idle_s` without a byte ends it too; past either, the connection is
  aborted (408), like any request too slow;
- a client that sends ``Expect: 100-continue`` (curl does, for a file over 1 MB) gets its
  ``100 Continue`` only once all of the above passed (:func:`continue_later`): refused, it never
  sends the body at all;
- written in 1 MiB blocks, in a worker thread (an SD card's write may stall for a second),
  to a new file (``O_EXCL``, mode 0600, not following links) named ``incoming-<random>.raucb``;
  ``ENOSPC`` on the way is ``update_no_space``; a client gone, a body cut short, a deadline
  missed or any failure removes the file: nothing half-written stays.

Only an admin workstation reaches the body (the route checks before reading), so these bound
mistakes and slow links more than attackers.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from .errors import ApiError

__all__ = ["BundleInbox", "INCOMING_PREFIX", "continue_later", "inbox_for", "receive_bundle"]

log = logging.getLogger("borne.api")

#: Uploaded bundles' names: ``incoming-<16 hex>.raucb`` (what :meth:`BundleInbox.sweep` removes;
#: the directory may hold the update service's own files).
INCOMING_PREFIX = "incoming-"
_SUFFIX = ".raucb"
#: Bytes gathered before one write: few thread hops, little memory.
_BLOCK = 1024 * 1024
_MIB = 1024 * 1024


@dataclass
class BundleInbox:
    """Where uploaded bundles are written, and the limits of one upload."""

    directory: Path
    max_bytes: int
    #: Free space left to the offline journal and the audit trail beyond the bundle.
    reserve_bytes: int = 32 * _MIB
    #: Longest silence within a body (seconds).
    idle_s: float = 30.0
    #: Slowest average rate an upload may have (bytes per second) before its deadline.
    floor_rate: float = 256 * 1024
    #: Seconds added to every upload's deadline (the TLS and TCP ramp, a slow start).
    grace_s: float = 60.0
    _uploading: bool = field(default=False, init=False, repr=False)
    #: Uploads waiting for the end of their install (tasks are kept while they run).
    _removals: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    def deadline_s(self, size: int) -> float:
        """Seconds a body of ``size`` bytes may take."""
        return self.grace_s + size / self.floor_rate

    def check_room(self, size: int) -> None:
        """``update_no_space`` unless ``size`` bytes fit with :attr:`reserve_bytes` to spare."""
        stat = os.statvfs(self.directory)
        free = stat.f_bavail * stat.f_frsize
        if size + self.reserve_bytes > free:
            raise ApiError("update_no_space", needed_mb=round((size + self.reserve_bytes) / _MIB),
                           free_mb=free // _MIB)

    def remove_after(self, path: Path, installing: Callable[[], bool],
                     poll_s: float = 1.0) -> None:
        """Remove ``path`` once ``installing()`` is False: RAUC reads the bundle until its
        install ends. A daemon stopped before leaves it to :meth:`sweep`."""

        async def remove() -> None:
            while installing():  # (cancelled at a stop: RAUC may still read it; swept later)
                await asyncio.sleep(poll_s)
            path.unlink(missing_ok=True)

        task = asyncio.get_running_loop().create_task(remove())
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    def sweep(self) -> int:
        """Remove uploads a stopped daemon left behind; how many."""
        removed = 0
        for path in self.directory.glob(f"{INCOMING_PREFIX}*{_SUFFIX}"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed


def inbox_for(incoming_dir: str, max_bundle_mb: int, data_dir: Path) -> BundleInbox:
    """The inbox of ``[update] incoming_dir`` ("": ``<data_dir>/update``), made (0700) if
    missing, emptied of the uploads a stopped daemon left."""
    directory = Path(incoming_dir) if incoming_dir else data_dir / "update"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    inbox = BundleInbox(directory, max_bytes=max_bundle_mb * _MIB)
    left = inbox.sweep()
    if left:
        log.info("removed %d bundle upload(s) left unfinished in %s", left, directory)
    return inbox


async def continue_later(request: web.Request) -> None:
    """The route's ``expect_handler``: no ``100 Continue`` yet (aiohttp's default sends it
    before any check, so a refused client sends its whole body); :func:`receive_bundle` sends
    it once the upload is accepted, a refusal is the final answer instead (RFC 9110 §10.1.1)."""


async def _continue(request: web.Request) -> None:
    if request.version >= (1, 1) and \
            request.headers.get("Expect", "").lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # (as aiohttp's own: the answer has not started)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _new_file(directory: Path) -> tuple[Path, int]:
    path = directory / f"{INCOMING_PREFIX}{secrets.token_hex(8)}{_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    return path, os.open(path, flags, 0o600)


def _cut(request: web.Request, what: str) -> None:
    """Abort the connection (the body is not worth waiting for), as the request deadline does."""
    from .request_deadline import DeadlineRequestHandler

    protocol = request.protocol
    if isinstance(protocol, DeadlineRequestHandler):
        protocol.cut(what)
    elif request.transport is not None:
        request.transport.abort()


class _Watchdog:
    """Cuts the connection when the body stalls :attr:`BundleInbox.idle_s` or passes its
    deadline: one timer for the whole body (a timeout around each read of a TLS record cost
    two thirds of the throughput: 684 MB/s became 196 on loopback)."""

    def __init__(self, request: web.Request, inbox: BundleInbox, size: int) -> None:
        self.received = 0
        self.expired = False
        self._request = request
        self._idle_s = inbox.idle_s
        self._loop = asyncio.get_running_loop()
        self._end = self._loop.time() + inbox.deadline_s(size)
        self._seen = -1
        self._timer = self._loop.call_later(min(self._idle_s, inbox.deadline_s(size)), self._check)

    def _check(self) -> None:
        now = self._loop.time()
        if now >= self._end or self.received == self._seen:
            self.expired = True
            _cut(self._request, "body")
            return
        self._seen = self.received
        self._timer = self._loop.call_at(min(now + self._idle_s, self._end), self._check)

    def stop(self) -> None:
        """The body is in (or failed): no more checks."""
        self._timer.cancel()


async def _copy(request: web.Request, fd: int, watchdog: _Watchdog) -> int:
    """The body into ``fd``, in blocks; the bytes received.

    A block is written in a worker thread while the next one is received (at most two in
    memory): an SD card's write may stall for long, and the event loop must not; waiting for
    each write before reading on cost a third of the throughput."""
    pending: list[bytes] = []
    gathered = 0
    writing: asyncio.Future[None] | None = None
    try:
        while chunk := await request.content.readany():
            watchdog.received += len(chunk)
            pending.append(chunk)
            gathered += len(chunk)
            if gathered >= _BLOCK:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(
                    asyncio.to_thread(_write_all, fd, b"".join(pending)))
                pending, gathered = [], 0
        if writing is not None:
            await writing
        if pending:
            await asyncio.to_thread(_write_all, fd, b"".join(pending))
    finally:
        if writing is not None and not writing.done():
            # The file is closed after this returns: its last write must be over first.
            await asyncio.wait([writing])
        if writing is not None and writing.done() and not writing.cancelled():
            writing.exception()  # retrieved: the failure that matters is already raised
    return watchdog.received


def _announced_size(request: web.Request, inbox: BundleInbox) -> int:
    size = request.content_length
    if size is None:
        raise ApiError("bad_request", reason="Content-Length required: the bundle's size is "
                                             "checked before it is received")
    if size > inbox.max_bytes:
        raise ApiError("payload_too_large", max_bytes=inbox.max_bytes)
    inbox.check_room(size)
    return size


async def receive_bundle(request: web.Request, inbox: BundleInbox) -> Path:
    """The request's body, written to a new file of ``inbox``: its path (the caller removes it).

    Every refusal is an :class:`~borne.api.errors.ApiError` (or aiohttp's 408 when the
    connection was cut for slowness); none leaves a file behind.
    """
    if inbox._uploading:
        raise ApiError("update_busy", reason="another bundle is being uploaded")
    size = _announced_size(request, inbox)
    await _continue(request)
    inbox._uploading = True
    path: Path | None = None
    kept = False
    watchdog = _Watchdog(request, inbox, size)
    try:
        path, fd = _new_file(inbox.directory)
        try:
            received = await _copy(request, fd, watchdog)
        finally:
            os.close(fd)
        if received != size:  # aiohttp ends a body cut short as an error; never trust it alone
            raise ApiError("bad_request", reason="upload incomplete")
        kept = True
        return path
    except ApiError:
        raise
    except ConnectionError as error:  # (an OSError too) the client went away, or was cut
        if watchdog.expired:
            log.warning("bundle upload from %s too slow: connection closed", request.remote)
            raise web.HTTPRequestTimeout() from None
        log.info("bundle upload from %s ended early: %s", request.remote, type(error).__name__)
        raise ApiError("bad_request", reason="upload incomplete") from None
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise ApiError("update_no_space", free_mb=0) from None
    except Exception as error:  # aiohttp's payload errors: a body cut short, a bad chunk
        if watchdog.expired:
            raise web.HTTPRequestTimeout() from None
        log.info("bundle upload from %s ended early: %s", request.remote, type(error).__name__)
        raise ApiError("bad_request", reason="upload incomplete") from None
    finally:
        watchdog.stop()
        inbox._uploading = False
        if path is not None and not kept:
            path.unlink(missing_ok=True)
