"""One USB CCID interface over FunctionFS: the CCID transport on a Raspberry Pi's device port.

:class:`FunctionFsTransport` carries whole CCID messages between the workstation and one
:class:`~borne.ccid.device.CcidDevice` (the transport contract, docs/usb-reader.md). At
:meth:`~FunctionFsTransport.start` it writes the interface's descriptors and strings to
``ep0`` (:mod:`.ffs_descriptors`), then serves three endpoint files:

=====  ============  ==================================================================
file   endpoint      what goes through it
=====  ============  ==================================================================
ep0    control       events (bind, enable, disable, setup...), CCID class requests
                     (:mod:`.class_requests`): answered, acknowledged or stalled
ep1    bulk-OUT      PC_to_RDR_* messages, joined by dwLength (:mod:`.bulk_assembly`)
ep2    bulk-IN       RDR_to_PC_* answers, one write each (a zero-length packet after one
                     that fills its last packet, USB 2.0 section 5.8.3)
ep3    interrupt-IN  RDR_to_PC_NotifySlotChange (:meth:`~FunctionFsTransport.notify`)
=====  ============  ==================================================================

Threads: the kernel's endpoint files have no ``poll`` (only ``ep0`` has one:
``ffs_ep0_poll`` in f_fs.c), so one thread cannot wait on all three: ``ep0`` events, bulk
and interrupt each have a thread, and only the bulk thread calls
:meth:`CcidDevice.handle`. Each waits with ``poll`` and a short timeout where it can, so
:meth:`~FunctionFsTransport.stop` is prompt; a read blocked in the kernel on a real
endpoint returns when the host goes away (DISABLE/UNBIND end it with ESHUTDOWN), and its
thread then ends by itself (the daemon's threads are daemonic: a stopping daemon never
waits for a host).

Everything a host sends is judged, never trusted: garbage on bulk-OUT gets the CCID error
the specification gives (the device answers it), an unknown control request is stalled,
and no read waits for bytes a message announced but never brought.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import messages as m
from .bulk_assembly import MessageAssembler
from .class_requests import ControlAnswer, answer_request
from .device import CcidDevice
from .ffs_descriptors import (
    DISABLE,
    ENABLE,
    ENDPOINT_FILES,
    EVENT_SIZE,
    RESUME,
    SETUP,
    UNBIND,
    Setup,
    descriptors_blob,
    parse_events,
    strings_blob,
)

__all__ = ["Endpoints", "FunctionFsEndpoints", "FunctionFsTransport", "UsbStrings"]

log = logging.getLogger(__name__)

POLL_S = 0.2
STOP_S = 1.5
HIGH_SPEED_PACKET = 512  # the Pi's dwc2 is a high-speed device
_GONE = {errno.ESHUTDOWN, errno.ENODEV, errno.EPIPE, errno.ECONNRESET, errno.EBADF}


@dataclass(frozen=True, slots=True)
class UsbStrings:
    """The function's own string: its interface's name (the reader name Windows shows)."""

    interface: str


class Endpoints(Protocol):
    """How the transport opens its endpoint files and answers a control request.

    :class:`FunctionFsEndpoints` is the kernel's; a test passes a fake set (socket pairs)
    whose files are its own.
    """

    def open(self, name: str) -> int:
        """Open ``ep0``, ``ep1``... ; raise OSError when the function is absent."""

    def answer(self, ep0: int, setup: Setup, answer: ControlAnswer) -> None:
        """Send ``answer.data``, acknowledge, or stall ``setup`` on ``ep0``."""


class FunctionFsEndpoints:
    """The endpoint files of a FunctionFS mount at ``ep_dir``."""

    def __init__(self, ep_dir: Path) -> None:
        self._dir = Path(ep_dir)

    def open(self, name: str) -> int:
        """ep0 read-write, ep1 (bulk-OUT) read-only, ep2/ep3 (IN) write-only."""
        flags = {"ep0": os.O_RDWR, "ep1": os.O_RDONLY}.get(name, os.O_WRONLY)
        return os.open(self._dir / name, flags | os.O_CLOEXEC)

    def answer(self, ep0: int, setup: Setup, answer: ControlAnswer) -> None:
        """f_fs.c's ep0 while a setup is pending: a write is the IN data stage, a read
        the OUT data stage or the status stage; the other direction stalls (EL2HLT)."""
        try:
            if answer.stall:
                if setup.device_to_host:
                    os.read(ep0, 0)
                else:
                    os.write(ep0, b"")
            elif answer.data is not None:
                os.write(ep0, answer.data)
            else:
                os.read(ep0, 0)
        except OSError as error:
            if not (answer.stall and error.errno == errno.EL2HLT):
                raise


class FunctionFsTransport:
    """A :class:`~borne.ccid.device.CcidDevice` behind one FunctionFS function at ``ep_dir``.

    ``strings``: the interface's name. ``presence``: the slots' card presence, asked after
    the host configures or resumes the device, when CCID section 6.3.1 wants every occupied
    slot reported by NotifySlotChange (None: nothing is reported then). ``endpoints``: the
    kernel's files under ``ep_dir`` unless a test passes its own. ``clock``: monotonic seconds.
    """

    def __init__(self, ep_dir: Path, device: CcidDevice, *, strings: UsbStrings,
                 presence: Callable[[], list[bool]] | None = None,
                 endpoints: Endpoints | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 packet_size: int = HIGH_SPEED_PACKET) -> None:
        self._device = device
        self._strings = strings
        self._presence = presence
        self._endpoints = endpoints or FunctionFsEndpoints(ep_dir)
        self._clock = clock
        self._packet = packet_size
        self._stopping = threading.Event()
        self._enabled = threading.Event()
        self._threads: list[threading.Thread] = []
        self._interrupts: queue.Queue[bytes] = queue.Queue(maxsize=8)
        self._fds: dict[str, int] = {}

    @property
    def host_connected(self) -> bool:
        """The host configured the device (ENABLE) and did not leave since (DISABLE, UNBIND)."""
        return self._enabled.is_set()

    def start(self) -> None:
        """Write the descriptors and strings, open the endpoints, start the threads.

        Raises OSError if the function is absent (no FunctionFS mounted at ``ep_dir``).
        """
        if self._threads:
            raise RuntimeError("the transport is already started")
        ep0 = self._endpoints.open("ep0")
        self._fds["ep0"] = ep0
        try:
            os.write(ep0, descriptors_blob(self._class_descriptor()))
            os.write(ep0, strings_blob(self._strings.interface))
            for name in ENDPOINT_FILES:
                self._fds[name] = self._endpoints.open(name)
        except BaseException:
            self._close_all()
            raise
        self._stopping.clear()
        for name, target in (("ep0", self._serve_ep0), ("bulk", self._serve_bulk),
                             ("interrupt", self._serve_interrupt)):
            thread = threading.Thread(target=target, name=f"ccid-ffs-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Stop the threads and close the endpoints (idempotent; returns within 2 s)."""
        self._stopping.set()
        deadline = self._clock() + STOP_S
        for thread in self._threads:
            thread.join(max(0.0, deadline - self._clock()))
        if all(not thread.is_alive() for thread in self._threads):
            self._close_all()
        else:  # a read blocked in the kernel: its file stays open until the process ends
            log.info("CCID over FunctionFS: an endpoint read is still blocked; it ends with the host")
        self._threads = []
        self._enabled.clear()

    def notify(self, message: bytes) -> None:
        """Queue a NotifySlotChange for interrupt-IN; dropped without a host (never blocks)."""
        if not self.host_connected:
            return
        while True:
            try:
                self._interrupts.put_nowait(message)
                return
            except queue.Full:  # keep the newest: each message carries every slot's state
                try:
                    self._interrupts.get_nowait()
                except queue.Empty:
                    pass

    # --- ep0 ---

    def _serve_ep0(self) -> None:
        ep0 = self._fds["ep0"]
        while not self._stopping.is_set():
            ready = _wait_readable(ep0)
            if ready is None:
                break
            if not ready:
                continue
            try:
                data = os.read(ep0, EVENT_SIZE * 8)
            except OSError as error:
                if error.errno in _GONE:
                    break
                log.warning("CCID ep0: %s", error)
                time.sleep(POLL_S)
                continue
            if not data:
                break
            for event in parse_events(data):
                self._on_event(ep0, event.type, event.setup)
        self._enabled.clear()

    def _on_event(self, ep0: int, kind: int, setup: Setup | None) -> None:
        log.debug("CCID ep0 event %d", kind)
        if kind == ENABLE:
            self._enabled.set()
            self._report_presence()
        elif kind in (DISABLE, UNBIND):
            self._enabled.clear()
        elif kind == RESUME:
            self._report_presence()
        elif kind == SETUP and setup is not None:
            answer = answer_request(setup)
            if answer.stall:
                log.info("CCID ep0: stalled request type 0x%02x request 0x%02x",
                         setup.request_type, setup.request)
            elif answer.aborted is not None:
                log.info("CCID ep0: ABORT slot %d seq %d", *answer.aborted)
            try:
                self._endpoints.answer(ep0, setup, answer)
            except OSError as error:
                log.warning("CCID ep0: answering a request failed: %s", error)

    def _report_presence(self) -> None:
        # CCID 6.3.1: after a (re)configuration or a resume both sides presume every slot
        # empty, so each occupied slot is reported as changed.
        if self._presence is None:
            return
        present = self._presence()
        if any(present):
            self.notify(m.notify_slot_change(present, list(present)))

    # --- bulk ---

    def _serve_bulk(self) -> None:
        bulk_out, bulk_in = self._fds["ep1"], self._fds["ep2"]
        largest = self._device.settings.max_message_length
        assembler = MessageAssembler(largest)
        # One read takes a whole transfer of the largest message and one byte more (so an
        # oversize one shows), rounded up to whole packets: f_fs.c splits a transfer longer
        # than the read into several reads ("splitting request into multiple reads").
        read_size = -(-(largest + 1) // HIGH_SPEED_PACKET) * HIGH_SPEED_PACKET
        while not self._stopping.is_set():
            for message in assembler.expire(self._clock()):
                self._answer(bulk_in, message)
            ready = _wait_readable(bulk_out)
            if ready is None:
                break
            if not ready:
                continue
            try:
                chunk = os.read(bulk_out, read_size)
            except OSError as error:
                if error.errno not in _GONE:
                    log.warning("CCID bulk-OUT: %s", error)
                time.sleep(POLL_S)  # disabled: the host left; reads work again after ENABLE
                continue
            for message in assembler.feed(chunk, self._clock()):
                self._answer(bulk_in, message)

    def _answer(self, bulk_in: int, message: bytes) -> None:
        for answer in self._device.handle(message):
            try:
                os.write(bulk_in, answer)
                if len(answer) % self._packet == 0:
                    # f_fs.c never sets the request's "zero" flag on an endpoint file: a
                    # zero-length write is the zero-length packet that ends the host's read.
                    os.write(bulk_in, b"")
            except OSError as error:
                log.info("CCID bulk-IN: the answer was not delivered: %s", error)
                return

    # --- interrupt ---

    def _serve_interrupt(self) -> None:
        interrupt_in = self._fds["ep3"]
        while not self._stopping.is_set():
            try:
                message = self._interrupts.get(timeout=POLL_S)
            except queue.Empty:
                continue
            try:
                os.write(interrupt_in, message)
            except OSError as error:
                log.info("CCID interrupt-IN: notification dropped: %s", error)

    # --- helpers ---

    def _class_descriptor(self) -> bytes:
        from .descriptor import class_descriptor

        return class_descriptor(self._device.settings)

    def _close_all(self) -> None:
        for name in list(self._fds):
            try:
                os.close(self._fds.pop(name))
            except OSError:
                pass


def _wait_readable(fd: int) -> bool | None:
    """True: something to read (or a kernel endpoint file, which cannot say); False: not
    yet; None: the other end hung up (a fake endpoint set whose host closed)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    events = poller.poll(POLL_S * 1000)
    if not events:
        return False
    revents = events[0][1]
    if revents & select.POLLIN:
        return True
    return None if revents & (select.POLLHUP | select.POLLERR | select.POLLNVAL) else False
