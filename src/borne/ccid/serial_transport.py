"""CCID over a serial line: the box as a GemPC Twin-framed reader on a tty.

pcsc-lite's CCID driver for serial readers (``libccidtwin``) speaks CCID messages in the
GemPC Twin framing (:mod:`.serial_frame`). A box wired to a workstation by a serial cable
(a Pi's UART) is such a reader; the tests join the box's tty to a workstation's pcscd by
two pseudo-terminals and a relay (``tests/support/serial_cable.py``), which is how the CCID
path is tested where no USB device port exists.

The line is read and written on one worker thread. libccid never resends on a NAK
(LudovicRousseau/CCID ``src/ccid_serial.c``, ``ReadSerial``): each well-formed frame gets
its answer, a frame that cannot be read gets a NAK frame, a NAK from the host gets the
last answer again.
"""

from __future__ import annotations

import logging
import os
import selectors
import termios
import threading
import time
import tty

from .device import CcidDevice
from .serial_frame import NAK_FRAME, BadFrame, FrameDecoder, Message, NakReceived, encode

__all__ = ["SerialTransport"]

log = logging.getLogger("borne.ccid")

#: A host that sent nothing for this long is no longer counted as connected (libccid
#: polls every slot's status about every 400 ms while pcscd runs).
HOST_SILENCE_S = 5.0
#: A frame begun and not finished within this long is dropped with a NAK frame: a torn
#: frame must not swallow the next good one.
PARTIAL_FRAME_S = 0.5
#: The largest frame read whole: above libccid's 271 bytes, so an over-long CCID message
#: reaches the core and gets its CCID error (bad dwLength) rather than a NAK; small enough
#: that a lying dwLength waits little.
FRAME_LIMIT = 1024


class SerialTransport:
    """One :class:`CcidDevice` on the tty ``path`` (see :class:`borne.ccid.service.CcidTransport`)."""

    def __init__(self, path: str, device: CcidDevice) -> None:
        self.path = path
        self._device = device
        self._fd: int | None = None
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._last_frame = 0.0
        self._last_answer = b""
        #: Frames answered, frames refused (NAK), NAKs received: for ``borne doctor``.
        self.counts = {"frames": 0, "bad_frames": 0, "naks": 0}

    @property
    def host_connected(self) -> bool:
        """A frame came from the host within the last :data:`HOST_SILENCE_S`."""
        return self._last_frame > 0 and time.monotonic() - self._last_frame < HOST_SILENCE_S

    def start(self) -> None:
        """Open the tty raw (OSError if it is not there) and start answering on a thread."""
        fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            tty.setraw(fd, termios.TCSANOW)
            termios.tcflush(fd, termios.TCIOFLUSH)  # what the host sent to the box before
        except termios.error as error:
            os.close(fd)
            raise OSError(f"{self.path} is not a tty: {error}") from None
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ccid-serial", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the tty (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        os.write(self._wake_w, b"x")
        thread.join(2.0)
        for fd in (self._fd, self._wake_r, self._wake_w):
            if fd is not None and fd >= 0:
                os.close(fd)
        self._fd, self._wake_r, self._wake_w = None, -1, -1

    def notify(self, message: bytes) -> None:
        """NotifySlotChange is not sent on a serial line: libccid's serial driver only logs
        its two-byte card-movement message and learns of cards by polling GetSlotStatus."""

    def _run(self) -> None:
        decoder = FrameDecoder(max_message=FRAME_LIMIT)
        last_byte = time.monotonic()
        assert self._fd is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                ready = selector.select(PARTIAL_FRAME_S if decoder.pending else None)
                if any(key.fd == self._wake_r for key, _ in ready):
                    return
                if not ready:
                    if decoder.pending and time.monotonic() - last_byte >= PARTIAL_FRAME_S:
                        decoder = FrameDecoder(max_message=FRAME_LIMIT)
                        self.counts["bad_frames"] += 1
                        self._write(NAK_FRAME)
                    continue
                try:
                    chunk = os.read(self._fd, 4096)
                except BlockingIOError:
                    continue
                except OSError as error:  # the other end hung up: wait for it to come back
                    log.debug("serial line %s: %s", self.path, error.strerror)
                    self._stopping.wait(0.1)
                    continue
                if not chunk:
                    self._stopping.wait(0.1)
                    continue
                last_byte = time.monotonic()
                for event in decoder.feed(chunk):
                    self._answer(event)

    def _answer(self, event: object) -> None:
        if isinstance(event, Message):
            self._last_frame = time.monotonic()
            self.counts["frames"] += 1
            for answer in self._device.handle(event.data):
                self._last_answer = encode(answer)
                self._write(self._last_answer)
        elif isinstance(event, BadFrame):
            self.counts["bad_frames"] += 1
            log.debug("serial line %s: %s", self.path, event.reason)
            self._write(NAK_FRAME)
        elif isinstance(event, NakReceived):
            self.counts["naks"] += 1
            if self._last_answer:
                self._write(self._last_answer)

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except BlockingIOError:
                time.sleep(0.002)  # the tty's buffer is full: the host reads it soon
                continue
            except OSError as error:
                log.debug("serial line %s: %s", self.path, error.strerror)
                return
            view = view[written:]
