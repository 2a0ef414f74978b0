"""A "workstation" pcscd driving the box's CCID core over a pseudo-terminal (issue 18's test path).

Debian's ``libccidtwin.so`` is pcsc-lite's CCID driver for serial readers: it speaks CCID
messages in the GemPC Twin framing (:mod:`borne.ccid.serial_frame`). Here its serial line is
one end of a pty pair; on the other end :class:`TwinResponder`, a thread, decodes the frames
and answers with a real :class:`borne.ccid.device.CcidDevice` at TPDU exchange level (libccid
names the reader ``SEC1210``: dual slot, a hard-coded descriptor with TPDU level, dwFeatures
0x000100B2, 271-byte messages) over in-memory :class:`FakeSlot` cards.

:class:`WorkstationPcscd` is the pcscd alone, for any serial line (``tty_path``): the box's
own serial transport can sit on the other end instead of the responder. It runs in a mount
namespace of its own (``unshare --mount``) with a tmpfs of ours bound on ``/run/pcscd``, so
it never meets the machine's pcscd nor the tests' ``sim_pcscd``: its socket is
``run_dir/pcscd.comm``, which a PC/SC client reaches with ``PCSCLITE_CSOCK_NAME`` (read once
per process by libpcsclite: run the client as a subprocess, as a workstation's program would
be). pcscd reads EVERY file of its config folder as a reader entry, so the folder holds
reader.conf alone and the log lives beside it.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from borne.ccid import messages as m
from borne.ccid.descriptor import CcidSettings
from borne.ccid.device import CcidDevice
from borne.ccid.serial_frame import (
    MAX_MESSAGE, NAK_FRAME, BadFrame, FrameDecoder, Message, NakReceived, encode,
)

from support.workstation_pcscd import WorkstationPcscd

#: The simulator's CPS ATR: T=0 only (no TD1).
CPS_ATR = bytes.fromhex("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00")
#: The nurse CPS ATR: T=0 then T=1 offered (TD1 80, TD2 01); libccid runs it at T=1.
CPS_T1_ATR = bytes.fromhex("3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44")
XFR_BLOCK = m.XFR_BLOCK
NAMES = {m.ICC_POWER_ON: "IccPowerOn", m.ICC_POWER_OFF: "IccPowerOff",
         m.GET_SLOT_STATUS: "GetSlotStatus", m.XFR_BLOCK: "XfrBlock",
         m.GET_PARAMETERS: "GetParameters", m.RESET_PARAMETERS: "ResetParameters",
         m.SET_PARAMETERS: "SetParameters", m.ESCAPE: "Escape",
         m.SET_DATA_RATE_AND_CLOCK: "SetDataRateAndClock"}
#: The twin's CCID settings: two slots, libccid's serial maximum, TPDU level.
TWIN_SETTINGS = CcidSettings(slot_count=2, max_message_length=MAX_MESSAGE, exchange_level="tpdu")
#: The responder's frame limit: above the twin's 271, so an over-long message reaches the
#: core and gets the CCID error for it; small enough that a lying dwLength waits little.
FRAME_LIMIT = 1024
#: A frame begun and not finished within this long is dropped with a NAK frame (libccid's
#: own reads give up after a few seconds): a torn frame never holds the line.
PARTIAL_FRAME_TIMEOUT = 0.5


def fixed_answer(apdu: bytes) -> bytes:
    """A card that answers ``CA FE 01 02 90 00`` to everything."""
    return bytes.fromhex("CA FE 01 02 90 00")


def mirror_answer(apdu: bytes) -> bytes:
    """A card whose answer tells the test what it received, byte for byte.

    Case 2 (``CLA INS P1 P2 Le``): Le bytes counting up from P1 (Le 00: 256 bytes). Case 4:
    the command's data reversed (then cut to Le). Case 1 and 3: nothing. Then ``90 00``.
    """
    if len(apdu) <= 4:
        return b"\x90\x00"
    if len(apdu) == 5:
        return bytes((apdu[2] + i) & 0xFF for i in range(apdu[4] or 256)) + b"\x90\x00"
    data = apdu[5:5 + apdu[4]]
    le = apdu[5 + apdu[4]:]
    return (data[::-1][:le[0] or 256] if le else b"") + b"\x90\x00"


@dataclass
class FakeSlot:
    """An in-memory :class:`borne.ccid.device.Slot`: a card with ``atr`` (None: no card).

    ``answer`` gives the card's response to each command APDU; ``received`` keeps them.
    """

    atr: bytes | None = None
    answer: Callable[[bytes], bytes] = fixed_answer
    received: list[bytes] = field(default_factory=list)
    powered: bool = False
    busy: bool = False

    @property
    def present(self) -> bool:
        """A card is in the slot."""
        return self.atr is not None

    def power_on(self) -> bytes:
        """The ATR, or ``TimeoutError`` without a card."""
        if self.atr is None:
            self.powered = False
            raise TimeoutError("no card")
        self.powered = True
        return self.atr

    def power_off(self) -> None:
        """The card is unpowered."""
        self.powered = False

    def transmit(self, apdu: bytes) -> bytes:
        """The card's answer to one whole APDU."""
        self.received.append(apdu)
        return self.answer(apdu)


def twin_device(slots: list[FakeSlot]) -> CcidDevice:
    """The box's CCID core as the twin runs it: TPDU level, 271 bytes, a SEC1210's Escape."""
    # libccidtwin opens a SEC1210 only after a successful Escape 06 (its firmware version).
    return CcidDevice(slots, TWIN_SETTINGS, escape=lambda data: b"borne-twin")


@dataclass
class TwinResponder:
    """The reader end of the pty: decodes libccid's frames and answers with ``device``.

    ``log`` keeps every (direction, CCID message) pair, ``"<-"`` from libccid, ``"->"`` ours.
    """

    fd: int
    device: CcidDevice
    log: list[tuple[str, bytes]] = field(default_factory=list)
    #: Message types to answer once with the NAK frame instead (each is removed when used).
    nak_once: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        #: While set, what arrives is read and dropped: the box's daemon is down.
        self.silent = threading.Event()
        #: Bytes the host sent while :attr:`silent` was set (and left unanswered).
        self.unanswered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ccid-twin", daemon=True)
        self._last = b""

    def start(self) -> None:
        """Answer in a thread until :meth:`stop`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering (the thread ends within 0.1 s)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def conversation(self) -> list[str]:
        """The log as readable lines: direction, message name, hex."""
        return [f"{way} {'NAK frame' if msg == NAK_FRAME else NAMES.get(msg[0], hex(msg[0]))} "
                f"{msg.hex(' ').upper()}" for way, msg in list(self.log)]

    def _run(self) -> None:
        decoder = FrameDecoder(max_message=FRAME_LIMIT)
        last_byte = time.monotonic()
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                if decoder.pending and time.monotonic() - last_byte > PARTIAL_FRAME_TIMEOUT:
                    decoder = FrameDecoder(max_message=FRAME_LIMIT)
                    self._write(NAK_FRAME)
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)  # no slave open yet (EIO): pcscd opens it later
                continue
            last_byte = time.monotonic()
            if self.silent.is_set():
                self.unanswered += len(data)
                decoder = FrameDecoder(max_message=FRAME_LIMIT)  # a restarted daemon starts empty
                continue
            for event in decoder.feed(data):
                self._on(event)

    def _on(self, event: object) -> None:
        if isinstance(event, Message) and event.data[0] in self.nak_once:
            self.nak_once.discard(event.data[0])
            self.log.append(("<-", event.data))
            self.log.append(("->", NAK_FRAME))
            self._write(NAK_FRAME)
        elif isinstance(event, Message):
            self.log.append(("<-", event.data))
            for answer in self.device.handle(event.data):
                self.log.append(("->", answer))
                self._last = encode(answer)
                self._write(self._last)
        elif isinstance(event, BadFrame):
            self._write(NAK_FRAME)
        elif isinstance(event, NakReceived) and self._last:
            self._write(self._last)

    def _write(self, frame: bytes) -> None:
        try:
            os.write(self.fd, frame)
        except OSError:
            pass  # nobody on the line any more


class CcidTwin:
    """A pty; the box's CCID core on its master (:class:`TwinResponder`); pcscd on its slave.

    ``slots`` are the two :class:`FakeSlot` of the SEC1210 (empty unless given).
    """

    def __init__(self, work_dir: Path, name: str = "Borne USB", debug: bool = True,
                 slots: list[FakeSlot] | None = None) -> None:
        """Nothing starts before :meth:`start`."""
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.tty_path = os.ttyname(self.slave)
        self.slots = slots or [FakeSlot(), FakeSlot()]
        self.responder = TwinResponder(self.master, twin_device(self.slots))
        self.pcscd = WorkstationPcscd(work_dir, self.tty_path, name, debug=debug)

    @property
    def socket(self) -> str:
        """pcscd's socket, for a client's ``PCSCLITE_CSOCK_NAME``."""
        return self.pcscd.socket

    @property
    def readers(self) -> list[str]:
        """The PC/SC names of the twin's two slots."""
        return self.pcscd.readers

    @property
    def log_path(self) -> Path:
        """pcscd's log."""
        return self.pcscd.log_path

    def client_env(self) -> dict[str, str]:
        """The environment of a PC/SC client of this pcscd."""
        return self.pcscd.client_env()

    def start(self, pcscd: bool = True) -> CcidTwin:
        """Start the responder, and pcscd unless ``pcscd`` is False (a test then writes the
        slave end itself, as :meth:`exchange` does)."""
        self.responder.start()
        if pcscd:
            try:
                self.pcscd.start()
            except RuntimeError:
                self.responder.stop()
                raise
        return self

    def exchange(self, frame: bytes, timeout: float = 2.0) -> bytes:
        """Write ``frame`` raw on the host's end of the line; return what comes back.

        Reads until a whole answer frame (or a NAK frame) arrived, or ``timeout`` passed
        (then whatever came, maybe nothing): a test sees a hang as an empty answer.
        """
        os.write(self.slave, frame)
        got = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.slave], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            got += os.read(self.slave, 4096)
            if _whole_frame(got):
                break
        return bytes(got)

    def stop(self) -> None:
        """Stop pcscd and the responder, close the pty."""
        self.pcscd.stop()
        self.responder.stop()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def log_tail(self, lines: int = 40) -> str:
        """The end of pcscd's log."""
        return self.pcscd.log_tail(lines)


def _whole_frame(data: bytes) -> bool:
    if data[:3] == NAK_FRAME:
        return True
    return len(data) >= 7 and len(data) >= 2 + 10 + int.from_bytes(data[3:7], "little") + 1
