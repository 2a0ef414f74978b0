"""The USB QR scanner ("douchette"), read as the keyboard it is, and its keylog twin.

================  ==================================================================
path              what it drives
================  ==================================================================
``evdev:DEVICE``  the scanner's input device (``/dev/input/by-id/usb-…-event-kbd``)
                  with python-evdev, grabbed so its keystrokes never reach the
                  Pi's console or anything else reading the keyboard
``keylog:FILE``   the twin: key events appended to FILE, one JSON object a line,
                  ``{"t": seconds, "code": int, "value": int}``, followed like
                  ``tail -f`` from its end (FILE is created if missing); see
                  :func:`borne.sim.scanner_keys.type_code`
================  ==================================================================

Both share :class:`KeyScanner`: one decoder (:class:`~.key_decoder.KeyDecoder`,
layout and ``gap_s`` from ``[scanner]``), one way of reporting, and differ only
in their source of key events. A code is reported when its Enter comes
(``detected_ns``: the monotonic time the backend had it), a failed one with a
stable code (``scanner_unknown_key``, ``scanner_incomplete``,
``scanner_payload_too_large``). Supports: a scanner absent at start or
unplugged (``unavailable``, a code being typed fails as incomplete, retried every
``retry_interval_s`` until it is back: USB hot-plug), another program holding
the device (``unavailable`` too), a code left unfinished (it fails once the
gap has passed, without waiting for the next key).

Payloads are never logged nor written anywhere. python-evdev is imported by the
evdev backend's worker thread only.
"""

from __future__ import annotations

import json
import logging
import os
import select
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from ..capture import ThreadedInput
from .key_decoder import Failure, KeyDecoder, Outcome, Payload
from .keymaps import get_layout

__all__ = ["EvdevScanner", "EventSource", "KeyScanner", "KeylogScanner", "SourceUnavailable"]

log = logging.getLogger(__name__)

#: ``EV_KEY``, from Linux's ``include/uapi/linux/input-event-codes.h``.
EV_KEY = 1
CHANNEL = "qr_scanner"

#: A key event from a source: (time in seconds, key code, value).
KeyEvent = tuple[float, int, int]


class SourceUnavailable(Exception):
    """The device is absent, busy or went away; ``str()`` says why (no payload in it)."""


class EventSource(ABC):
    """Where a :class:`KeyScanner` gets key events; opened by ``KeyScanner._open``."""

    #: What the device calls itself, shown with the ``ready`` state.
    detail: str | None = None

    @abstractmethod
    def read(self, timeout: float) -> list[KeyEvent]:
        """The key events that came within ``timeout`` seconds (maybe none).

        Raises :class:`SourceUnavailable` when the device goes away.
        """

    def close(self) -> None:
        """Release the device."""


class KeyScanner(ThreadedInput):
    """Base of the scanner backends: decodes and reports what a key event source gives.

    Subclasses **must** implement :meth:`_open` (return an :class:`EventSource`
    or raise :class:`SourceUnavailable`), ``from_path`` and :meth:`describe`.
    Event times must come from a clock that does not jump: they decide which
    keys belong to the same code.
    """

    device = "scanner"

    def __init__(self, target: str, *, layout: str = "azerty", gap_s: float = 0.5,
                 retry_interval_s: float = 1.0, poll_s: float = 0.1) -> None:
        super().__init__()
        self.target = target
        self.layout = get_layout(layout)
        self.gap_s = gap_s
        self._retry_interval_s = retry_interval_s
        self._poll_s = poll_s
        self.thread_name = f"scanner-{target}"

    @abstractmethod
    def _open(self) -> EventSource:
        """Open the device; raise :class:`SourceUnavailable` if it cannot be used now."""

    # -- the worker thread -----------------------------------------------------------------

    def _report(self, outcomes: list[Outcome]) -> None:
        assert self._sink is not None
        for outcome in outcomes:
            detected_ns = time.monotonic_ns()
            if isinstance(outcome, Payload):
                self._emit(self._sink.payload_captured, CHANNEL, outcome.data, detected_ns)
            elif isinstance(outcome, Failure):
                log.info("scanner %s: code not read (%s)", self.target, outcome.code)
                self._emit(self._sink.capture_error, CHANNEL, outcome.code, detected_ns)

    def _run(self) -> None:
        decoder = KeyDecoder(self.layout, gap_s=self.gap_s)
        reported: str | None = None
        while not self._stopping.is_set():
            try:
                source = self._open()
            except SourceUnavailable as why:
                if reported != "unavailable":  # once, not at every retry
                    self._state("unavailable", str(why))
                    reported = "unavailable"
                self._stopping.wait(self._retry_interval_s)
                continue
            decoder.reset()
            self._state("available", source.detail)
            reported = "available"
            lost: tuple[str, str] | None = None
            try:
                self._pump(source, decoder)
            except SourceUnavailable as why:
                lost = ("unavailable", str(why))
            except Exception:  # a bug must not end scanning for good
                log.exception("scanner %s failed; reopening", self.target)
                lost = ("error", "internal error, see the log")
            finally:
                source.close()  # before waiting: a replugged device must be openable
            if lost is not None:
                self._report(decoder.interrupt())
                reported = lost[0]
                self._state(*lost)
                self._stopping.wait(self._retry_interval_s)

    def _pump(self, source: EventSource, decoder: KeyDecoder) -> None:
        last_t = last_seen = 0.0
        while not self._stopping.is_set():
            events = source.read(self._poll_s)
            if not events:
                # Nothing came: how long ago the last key was, in the events' own clock.
                self._report(decoder.expire(last_t + time.monotonic() - last_seen))
                continue
            for t, code, value in events:
                self._report(decoder.feed(code, value, t))
            last_t, last_seen = events[-1][0], time.monotonic()


class _EvdevSource(EventSource):
    def __init__(self, device: Any) -> None:
        self._device = device
        self.detail = getattr(device, "name", None)

    def read(self, timeout: float) -> list[KeyEvent]:
        try:
            ready, _, _ = select.select([self._device.fd], [], [], timeout)
            if not ready:
                return []
            events = list(self._device.read())
        except BlockingIOError:
            return []
        except OSError as error:  # ENODEV: unplugged
            raise SourceUnavailable(f"device lost: {error.strerror or error}") from None
        # Timed on reading rather than by the kernel's stamps: those are on the wall
        # clock, which NTP steps on a Pi without a real-time clock.
        now = time.monotonic()
        return [(now, event.code, event.value) for event in events if event.type == EV_KEY]

    def close(self) -> None:
        try:
            self._device.ungrab()
        except OSError:
            pass  # unplugged: nothing left to ungrab
        try:
            self._device.close()
        except OSError:
            pass


def _open_evdev(path: str) -> Any:
    import evdev  # the only place python-evdev is imported

    return evdev.InputDevice(path)


class EvdevScanner(KeyScanner):
    """A USB scanner through Linux's input layer (python-evdev), grabbed for exclusive use."""

    def __init__(self, path: str, *, open_device: Callable[[str], Any] = _open_evdev,
                 **options: Any) -> None:
        super().__init__(path, **options)
        self._open_device = open_device

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> EvdevScanner:
        return cls(argument or "", layout=config.scanner.layout, gap_s=config.scanner.gap_s)

    def describe(self) -> dict[str, Any]:
        return {"device": self.device, "backend": "evdev", "path": self.target,
                "layout": self.layout.name}

    def _open(self) -> EventSource:
        try:
            device = self._open_device(self.target)
        except FileNotFoundError:
            raise SourceUnavailable("not plugged in") from None
        except ImportError as error:
            raise SourceUnavailable(f"python-evdev missing: {error}") from None
        except OSError as error:
            raise SourceUnavailable(f"cannot open: {error.strerror or error}") from None
        try:
            device.grab()
        except OSError as error:  # EBUSY: another program grabbed it
            device.close()
            raise SourceUnavailable(f"cannot grab: {error.strerror or error}") from None
        log.info("scanner %s grabbed (%s)", self.target, getattr(device, "name", "?"))
        return _EvdevSource(device)


class _KeylogSource(EventSource):
    def __init__(self, path: str, stopping: threading.Event) -> None:
        self._path = path
        self._stopping = stopping
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._file.seek(0, os.SEEK_END)  # like tail -f -n 0: old lines were typed before
        self._inode = os.fstat(self._file.fileno()).st_ino
        self._partial = b""
        self._line = 0
        self._last_t = 0.0

    def read(self, timeout: float) -> list[KeyEvent]:
        chunk = self._file.read()
        if not chunk:
            self._check_file()
            self._stopping.wait(timeout)
            return []
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # an unfinished line waits for its end
        return [event for line in lines if (event := self._parse(line)) is not None]

    def _check_file(self) -> None:
        try:
            status = os.stat(self._path)
        except FileNotFoundError:
            raise SourceUnavailable("keylog file removed") from None
        if status.st_ino != self._inode:
            raise SourceUnavailable("keylog file replaced")
        if status.st_size < self._file.tell():  # truncated: follow from its new start
            self._file.seek(0)
            self._partial = b""

    def _parse(self, line: bytes) -> KeyEvent | None:
        self._line += 1
        if not line.strip():
            return None
        try:
            record = json.loads(line)
            t, code, value = record["t"], record["code"], record["value"]
            if not (isinstance(t, (int, float)) and type(code) is int and type(value) is int):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            # Like a key the layout does not know: the code being typed fails,
            # rather than losing a character silently.
            log.warning("keylog %s: line %d is not a key event", self._path, self._line)
            return (self._last_t, -1, 1)
        self._last_t = float(t)
        return (float(t), code, value)

    def close(self) -> None:
        self._file.close()


class KeylogScanner(KeyScanner):
    """The scanner's twin: replays key events appended to a file, with their recorded times."""

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> KeylogScanner:
        return cls(argument or "", layout=config.scanner.layout, gap_s=config.scanner.gap_s,
                   poll_s=0.05)

    def describe(self) -> dict[str, Any]:
        return {"device": self.device, "backend": "keylog", "path": self.target,
                "layout": self.layout.name}

    def _open(self) -> EventSource:
        try:
            with open(self.target, "ab"):  # created if missing
                pass
            return _KeylogSource(self.target, self._stopping)
        except OSError as error:
            raise SourceUnavailable(f"cannot open {self.target}: {error.strerror}") from None
