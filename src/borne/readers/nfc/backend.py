"""NFC backend (nfcpy): reads the apCV from a phone in card emulation, in a worker thread.

==========================  =========================================================
path                        what it drives
==========================  =========================================================
``nfcpy:usb``               the first NFC chip nfcpy finds on USB
``nfcpy:usb:054c:06c3``     a given USB chip (vendor:product, or bus:device)
``nfcpy:tty:AMA0:pn532``    a chip on a serial port (``/dev/ttyAMA0``, PN532 driver)
``udp:HOST:PORT``           the twin: nfcpy's UDP driver, with a virtual phone
                            (:mod:`borne.sim.phone`) listening on ``HOST:PORT``
==========================  =========================================================

Supports: ISO/IEC 14443-4 Type 4A targets (a phone in card emulation: HCE),
read with the sans-I/O script :func:`~borne.readers.nfc.apcv_script.read_presentation`
and the ``[nfc]`` settings (AID, command script, exchange timeout); one
presentation per placement (a phone left on the reader is read once: nfcpy's
presence check holds it until it is gone); other tags (a transit card, a
sticker) reported as ``nfc_not_a_phone``; the chip absent or unplugged
(``unavailable``, reopened every ``retry_interval_s``). Type B and Type F
targets are not polled.

Reports, all with ``detected_ns`` taken when the target was discovered:

===================================  ==================================================
``payload_captured("nfc", ...)``     the framed presentation (opaque bytes)
``capture_error("nfc", code)``       ``nfc_target_lost`` (phone taken away mid-exchange),
                                     ``nfc_not_a_phone``, the script's ``apcv_*`` codes,
                                     ``card_protocol_error``
``device_state("nfc", state)``       ``ready``, ``unavailable`` (retried), ``error``
                                     (nfcpy missing)
===================================  ==================================================

nfcpy is imported in the worker thread only. Its loggers are capped at INFO
there, because at DEBUG they print every frame (APDUs and answers: health data).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ...errors import CardError, UnknownBackend
from ..cards.script import drive
from ..capture import ThreadedInput
from .apcv_script import MAX_PRESENTATION_BYTES, apcv_settings, read_presentation

__all__ = ["NfcpyBackend"]

log = logging.getLogger(__name__)


def _drop_reader_search(record: logging.LogRecord) -> bool:
    """A logging filter: False for nfcpy's per-retry reader-search lines."""
    message = str(record.msg)
    return not (message.startswith("searching for reader") or message.startswith("no reader"))

#: nfcpy never retries one ISO-DEP block more than this (``IsoDepInitiator``).
_NFCPY_MAX_RETRIES = 5


class _TargetLost(Exception):
    """The phone stopped answering, or the link broke, during the exchange."""


class NfcpyBackend(ThreadedInput):
    """Polls an NFC chip (or nfcpy's UDP twin) for phones presenting the apCV.

    ``stop()`` waits for the worker, which checks the flag between polls: the UDP
    twin's poll waits up to 1 s for an answer, an exchange up to ``exchange_timeout_s``.
    """

    device = "nfc"
    thread_name = "nfc-poll"

    def __init__(self, path: str, *, aid: bytes, commands: list[bytes],
                 exchange_timeout_s: float = 1.0, max_bytes: int = MAX_PRESENTATION_BYTES,
                 poll_interval_s: float = 0.2, retry_interval_s: float = 2.0) -> None:
        super().__init__()
        self._path = path
        self._aid = bytes(aid)
        self._commands = [bytes(c) for c in commands]
        self._exchange_timeout_s = exchange_timeout_s
        self._max_bytes = max_bytes
        self._poll_interval_s = poll_interval_s
        self._retry_interval_s = retry_interval_s

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> NfcpyBackend:
        """``nfcpy:ARG`` opens nfcpy path ``ARG``; ``udp:ARG`` opens ``udp:ARG``."""
        if not argument:
            raise UnknownBackend(f"the {scheme} NFC backend needs a device path: {scheme}:...")
        aid, commands = apcv_settings(config.nfc.aid, config.nfc.script, source=config.source)
        return cls(f"udp:{argument}" if scheme == "udp" else argument, aid=aid, commands=commands,
                   exchange_timeout_s=config.nfc.exchange_timeout_s,
                   max_bytes=config.apcv.max_payload_bytes)

    # -- lifecycle -------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {"device": self.device, "backend": "nfcpy", "path": self._path}

    # -- the worker thread -----------------------------------------------------------------

    def _terminate(self) -> bool:
        # nfcpy calls this between polls and between presence checks: waiting
        # here paces the polling and still wakes at once on stop().
        return self._stopping.wait(self._poll_interval_s)

    def _run(self) -> None:
        sink = self._sink
        assert sink is not None
        try:
            import nfc  # the only place nfcpy is imported
            import nfc.tag.tt4  # nfcpy loads it lazily, on the first Type 4 tag
        except ImportError as error:
            self._emit(sink.device_state, self.device, "error", f"nfcpy missing: {error}")
            return
        # nfcpy sets its logger to INFO when imported, and says "searching for reader" (INFO)
        # and "no reader available" (ERROR) at every retry while no chip is plugged: every
        # 2 s, forever, in a small volatile journal. The state change is reported once, as
        # the nfc device's state; these two lines are dropped, nfcpy's other lines kept.
        nfc_log = logging.getLogger("nfc")
        nfc_log.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
        logging.getLogger("nfc.clf").addFilter(_drop_reader_search)
        reported: str | None = None
        while not self._stopping.is_set():
            try:
                clf = nfc.ContactlessFrontend(self._path)
            except (OSError, ValueError) as error:
                # No such device, busy, or no permission: try again later.
                if reported != "unavailable":
                    self._emit(sink.device_state, self.device, "unavailable", str(error))
                    reported = "unavailable"
                self._stopping.wait(self._retry_interval_s)
                continue
            self._emit(sink.device_state, self.device, "available", str(clf))
            reported = "available"
            try:
                self._poll(nfc, clf)
            finally:
                clf.close()
            if not self._stopping.is_set():
                self._emit(sink.device_state, self.device, "unavailable", "device lost")
                reported = "unavailable"
                self._stopping.wait(self._retry_interval_s)

    def _poll(self, nfc: Any, clf: Any) -> None:
        """Connect to one target after another until stopped or the device fails."""
        detected = [0]

        def on_discover(target: Any) -> bool:
            detected[0] = time.monotonic_ns()
            return True  # every Type A target: non-phones are reported, not ignored

        def on_connect(tag: Any) -> bool:
            self._on_tag(nfc, tag, detected[0] or time.monotonic_ns())
            return True  # hold the target until it is gone: one presentation per placement

        options = {"targets": ["106A"], "on-discover": on_discover, "on-connect": on_connect,
                   "iterations": 1, "beep-on-connect": False}
        while not self._stopping.is_set():
            try:
                result = clf.connect(rdwr=options, terminate=self._terminate)
            except Exception as error:
                # nfcpy trusts what targets say (a short ATS is an IndexError in
                # its activation): one odd target must not end the polling.
                log.warning("NFC target activation failed: %s", type(error).__name__)
                self._stopping.wait(self._poll_interval_s)
                continue
            # True/tag: a target came and went; None: terminated; False: the device failed.
            if result is False:
                return

    def _on_tag(self, nfc: Any, tag: Any, detected_ns: int) -> None:
        """Read one connected target and report; never raises (except a device failure)."""
        sink = self._sink
        assert sink is not None
        if not isinstance(tag, nfc.tag.tt4.Type4Tag):
            self._emit(sink.capture_error, "nfc", "nfc_not_a_phone", detected_ns)
            return
        timeout = self._attempt_timeout(tag)

        def transmit(apdu: bytes) -> bytes:
            try:
                response = tag.transceive(bytearray(apdu), timeout)
            except (nfc.tag.TagCommandError, nfc.clf.CommunicationError):
                raise _TargetLost from None
            if response is None:
                raise _TargetLost
            return bytes(response)

        try:
            payload = drive(read_presentation(self._aid, self._commands,
                                              max_bytes=self._max_bytes), transmit)
        except _TargetLost:
            self._emit(sink.capture_error, "nfc", "nfc_target_lost", detected_ns)
        except CardError as error:
            self._emit(sink.capture_error, "nfc", error.code, detected_ns)
        except OSError:
            # The chip itself went away: nfcpy's connect() turns this into False.
            self._emit(sink.capture_error, "nfc", "nfc_target_lost", detected_ns)
            raise
        except Exception as error:  # a bug must not kill the poll thread; no data in the log
            log.error("apCV read failed: %s", type(error).__name__)
            self._emit(sink.capture_error, "nfc", "card_protocol_error", detected_ns)
        else:
            self._emit(sink.payload_captured, "nfc", payload, detected_ns)

    def _attempt_timeout(self, tag: Any) -> float:
        """Seconds to wait for one ISO-DEP block, so a silent phone is given up after
        about ``exchange_timeout_s``: nfcpy retries a block (R(NAK)) up to 5 times,
        fewer for phones with a long frame waiting time, and never waits less than
        the phone's own frame waiting time (its ATS' FWI)."""
        dep = getattr(tag, "_dep", None)  # nfcpy 1.0's IsoDepInitiator; absent elsewhere
        retries = getattr(dep, "n_retry_nak", _NFCPY_MAX_RETRIES)
        fwt = getattr(dep, "fwt", 0.0)
        return max(self._exchange_timeout_s / (1 + retries), fwt)
