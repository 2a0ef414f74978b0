"""A "workstation" pcscd driving the box's CCID core over a serial cable (issue 18's test path).

Debian's ``libccidtwin.so`` is pcsc-lite's CCID driver for serial readers: it speaks CCID
messages in the GemPC Twin framing (:mod:`borne.ccid.serial_frame`). Here its serial line is
one end of a :class:`support.serial_cable.SerialCable` (two ptys and a relay); on the other
end the product's own :class:`borne.ccid.serial_transport.SerialTransport` answers with a real
:class:`borne.ccid.device.CcidDevice` at TPDU exchange level (libccid names the reader
``SEC1210``: dual slot, a hard-coded descriptor with TPDU level, dwFeatures 0x000100B2,
271-byte messages) over in-memory :class:`FakeSlot` cards, which answer at once.

The test code is the cable and the cards only: the cable logs the frames it carries
(:meth:`CcidTwin.conversation`), unplugs (:attr:`CcidTwin.silent`: the box's daemon down) and
puts a NAK frame in place of one answer (:meth:`CcidTwin.nak_once`). Without pcscd
(``start(pcscd=False)``) a test is the host itself: :meth:`CcidTwin.exchange` writes raw
frames on the host's tty.

The workstation's pcscd is :class:`support.workstation_pcscd.WorkstationPcscd`: in a mount
namespace of its own, its socket reached with ``PCSCLITE_CSOCK_NAME`` (:meth:`client_env`).
"""

from __future__ import annotations

import os
import select
import termios
import threading
import time
import tty
from pathlib import Path

from borne.ccid import messages as m
from borne.ccid.descriptor import CcidSettings
from borne.ccid.device import CcidDevice
from borne.ccid.serial_frame import MAX_MESSAGE, NAK_FRAME
from borne.ccid.serial_transport import SerialTransport
from borne.ccid.service import SERIAL_FIRMWARE

from support.serial_cable import SerialCable
from support.ccid_cards import FakeSlot
from support.workstation_pcscd import WorkstationPcscd

#: The simulator's CPS ATR: T=0 only (no TD1).
CPS_ATR = bytes.fromhex("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00")
#: The nurse CPS ATR: T=0 then T=1 offered (TD1 80, TD2 01); libccid runs it at T=1.
CPS_T1_ATR = bytes.fromhex("3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44")
XFR_BLOCK = m.XFR_BLOCK
#: Message names for :meth:`CcidTwin.conversation` (answers by their RDR_to_PC name).
NAMES = {m.ICC_POWER_ON: "IccPowerOn", m.ICC_POWER_OFF: "IccPowerOff",
         m.GET_SLOT_STATUS: "GetSlotStatus", m.XFR_BLOCK: "XfrBlock",
         m.GET_PARAMETERS: "GetParameters", m.RESET_PARAMETERS: "ResetParameters",
         m.SET_PARAMETERS: "SetParameters", m.ESCAPE: "Escape",
         m.SET_DATA_RATE_AND_CLOCK: "SetDataRateAndClock",
         m.DATA_BLOCK: "DataBlock", m.SLOT_STATUS: "SlotStatus", m.PARAMETERS: "Parameters",
         m.ESCAPE_ANSWER: "Escape answer"}
#: The twin's CCID settings: two slots, libccid's serial maximum, TPDU level.
TWIN_SETTINGS = CcidSettings(slot_count=2, max_message_length=MAX_MESSAGE, exchange_level="tpdu")


def twin_device(slots: list[FakeSlot]) -> CcidDevice:
    """The box's CCID core as the twin runs it: TPDU level, 271 bytes, a SEC1210's Escape."""
    # libccidtwin opens a SEC1210 only after a successful Escape 06 (its firmware version):
    # the box's serial service answers it with SERIAL_FIRMWARE.
    return CcidDevice(slots, TWIN_SETTINGS, escape=lambda data: SERIAL_FIRMWARE)


class CcidTwin:
    """A serial cable; the product's :class:`SerialTransport` and CCID core on its box end;
    pcscd (or a test writing raw frames) on its host end.

    ``slots`` are the two :class:`FakeSlot` of the SEC1210 (empty unless given).
    """

    def __init__(self, work_dir: Path, name: str = "Borne USB", debug: bool = True,
                 slots: list[FakeSlot] | None = None) -> None:
        """Nothing starts before :meth:`start`."""
        self.slots = slots or [FakeSlot(), FakeSlot()]
        self.device = twin_device(self.slots)
        self.cable = SerialCable()
        self.transport = SerialTransport(self.cable.box_end, self.device)
        self.tty_path = self.cable.host_end
        self.pcscd = WorkstationPcscd(work_dir, self.cable.host_end, name, debug=debug)
        self._host_fd: int | None = None

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

    @property
    def log(self) -> list[tuple[str, bytes]]:
        """Every CCID message on the line, in order: ``"<-"`` from the host, ``"->"`` to it
        (a NAK frame as :data:`NAK_FRAME`)."""
        return self.cable.frames

    @property
    def silent(self) -> threading.Event:
        """While set, the cable is unplugged: the host's frames get no answer (the box's
        daemon is down, as far as the host can tell)."""
        return self.cable.unplugged

    @property
    def unanswered(self) -> int:
        """Bytes the host sent while :attr:`silent` was set (dropped on the cable)."""
        return self.cable.dropped["to_box"]

    def nak_once(self, message_type: int) -> None:
        """The box's answer to the next message of ``message_type`` reaches the host as a
        NAK frame instead (the box answered; the line garbled the answer)."""
        self.cable.nak_answer_once(message_type)

    def client_env(self) -> dict[str, str]:
        """The environment of a PC/SC client of this pcscd."""
        return self.pcscd.client_env()

    def start(self, pcscd: bool = True) -> CcidTwin:
        """Start the cable and the box's transport, and pcscd unless ``pcscd`` is False (a
        test then is the host, through :meth:`exchange`)."""
        self.cable.start()
        try:
            self.transport.start()  # first: libccidtwin opens a reader only if it answers
            if pcscd:
                self.pcscd.start()
            else:
                self._host_fd = _open_raw(self.cable.host_end)
        except BaseException:
            self.stop()
            raise
        return self

    def exchange(self, frame: bytes, timeout: float = 2.0) -> bytes:
        """Write ``frame`` raw on the host's end of the line; return what comes back.

        Reads until a whole answer frame (or a NAK frame) arrived, or ``timeout`` passed
        (then whatever came, maybe nothing): a test sees a hang as an empty answer.
        """
        if self._host_fd is None:
            raise RuntimeError("exchange() needs start(pcscd=False): pcscd holds the host end")
        os.write(self._host_fd, frame)
        got = bytearray()
        deadline = time.monotonic() + timeout
        poller = select.poll()  # not select(): a long run holds descriptors past 1024
        poller.register(self._host_fd, select.POLLIN)
        while time.monotonic() < deadline:
            if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                break
            got += os.read(self._host_fd, 4096)
            if _whole_frame(got):
                break
        return bytes(got)

    def conversation(self) -> list[str]:
        """The line's log as readable lines: direction, message name, hex."""
        return [f"{way} {'NAK frame' if msg == NAK_FRAME else NAMES.get(msg[0], hex(msg[0]))} "
                f"{msg.hex(' ').upper()}" for way, msg in list(self.log)]

    def stop(self) -> None:
        """Stop pcscd, the box's transport and the cable (idempotent)."""
        self.pcscd.stop()
        self.transport.stop()
        if self._host_fd is not None:
            os.close(self._host_fd)
            self._host_fd = None
        self.cable.close()

    def log_tail(self, lines: int = 40) -> str:
        """The end of pcscd's log."""
        return self.pcscd.log_tail(lines)


def _open_raw(path: str) -> int:
    """The host's end of the line, opened raw as libccidtwin opens it."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd, termios.TCSANOW)
    return fd


def _whole_frame(data: bytes) -> bool:
    if data[:3] == NAK_FRAME:
        return True
    return len(data) >= 7 and len(data) >= 2 + 10 + int.from_bytes(data[3:7], "little") + 1
