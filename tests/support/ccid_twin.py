"""A "workstation" pcscd driving a CCID reader twin over a pseudo-terminal (issue 18's test path).

Debian's ``libccidtwin.so`` is pcsc-lite's CCID driver for serial readers: it speaks CCID
messages in the GemPC Twin framing (:mod:`borne.ccid.serial_frame`). Here its serial line is
one end of a pty pair; on the other end :class:`TwinResponder`, a thread, answers as a
``SEC1210`` (libccid's name for a dual-slot serial reader, with a hard-coded descriptor:
TPDU exchange level, ``dwFeatures`` 0x000100B2, 271-byte messages). The CCID core of the box
(``borne.ccid``) takes the responder's place once it exists.

The pcscd runs in a mount namespace of its own (``unshare --mount``) with a tmpfs of ours
bound on ``/run/pcscd``, so it never meets the machine's pcscd nor the tests' ``sim_pcscd``:
its socket is ``run_dir/pcscd.comm``, which a PC/SC client reaches with
``PCSCLITE_CSOCK_NAME`` (read once per process by libpcsclite: run the client as a
subprocess, as a workstation's program would be). pcscd reads EVERY file of its config
folder as a reader entry, so the folder holds reader.conf alone and the log lives beside it.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from borne.ccid.serial_frame import NAK_FRAME, BadFrame, FrameDecoder, Message, NakReceived, encode

TWIN_DRIVER = "/usr/lib/pcsc/drivers/serial/libccidtwin.so"
#: The simulator's CPS ATR: T=0 only (no TD1).
CPS_ATR = bytes.fromhex("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00")

# CCID message types (CCID rev 1.1, section 6.1 and 6.2).
POWER_ON, POWER_OFF, SLOT_STATUS, XFR_BLOCK = 0x62, 0x63, 0x65, 0x6F
GET_PARAMETERS, RESET_PARAMETERS, SET_PARAMETERS, ESCAPE = 0x6C, 0x6D, 0x61, 0x6B
SET_RATE_CLOCK = 0x73
DATA_BLOCK, SLOT_STATUS_ANSWER, PARAMETERS, ESCAPE_ANSWER, RATE_CLOCK = 0x80, 0x81, 0x82, 0x83, 0x84
NAMES = {POWER_ON: "IccPowerOn", POWER_OFF: "IccPowerOff", SLOT_STATUS: "GetSlotStatus",
         XFR_BLOCK: "XfrBlock", GET_PARAMETERS: "GetParameters", RESET_PARAMETERS: "ResetParameters",
         SET_PARAMETERS: "SetParameters", ESCAPE: "Escape", SET_RATE_CLOCK: "SetDataRateAndClock"}

#: T=0 parameters (CCID 6.2.3): Fi/Di 11, TCCKS 00, guard time 00, WI 0A, clock stop 00.
T0_PARAMETERS = bytes.fromhex("11 00 00 0A 00")


@dataclass
class TwinSlot:
    """One slot of the twin: its card's ATR (None: no card), and whether the card is powered."""

    atr: bytes | None = None
    powered: bool = False
    parameters: bytes = T0_PARAMETERS


@dataclass
class T0Card:
    """A T=0 card at TPDU level answering every command with ``answer`` (and 90 00).

    A command with data (case 3/4) gets ``61 len(answer)``; GET RESPONSE and a case-2
    command (5 bytes, ``P3`` = Le) get the answer's first bytes and 90 00: what libccid
    must turn back into an APDU response.
    """

    answer: bytes = bytes.fromhex("CA FE 01 02")

    def __call__(self, slot: int, tpdu: bytes) -> bytes:
        """The card's answer to one TPDU."""
        if len(tpdu) > 5:
            return bytes([0x61, len(self.answer)])
        length = tpdu[4] if len(tpdu) == 5 else 0
        return self.answer[:length or 256] + b"\x90\x00"


@dataclass
class T1Card:
    """A T=1 card at TPDU level (ISO 7816-3 blocks: NAD PCB LEN INF LRC) answering every
    APDU with ``answer`` and 90 00; enough for libccid: S(IFS) requests, chaining, R-blocks.

    No error recovery beyond resending the last block on an R-block: the line is a pty.
    """

    answer: bytes = bytes.fromhex("CA FE 01 02")
    apdus: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._send_seq = 0
        self._chained = b""
        self._last = b""

    def __call__(self, slot: int, block: bytes) -> bytes:
        """The card's block in answer to one block."""
        pcb, inf = block[1], block[3:3 + block[2]]
        if pcb & 0xC0 == 0xC0:  # S-block request: answer the matching response, same INF
            return self._block(pcb | 0x20, inf)
        if pcb & 0xC0 == 0x80:  # R-block: the terminal wants our last block again
            return self._last
        received_seq = (pcb >> 6) & 1
        self._chained += inf
        if pcb & 0x20:  # more to come: acknowledge with R(N(R) = the next block's N(S))
            return self._block(0x80 | ((received_seq ^ 1) << 4), b"")
        apdu, self._chained = self._chained, b""
        self.apdus.append(apdu)
        self._last = self._block(self._send_seq << 6, self.answer + b"\x90\x00")
        self._send_seq ^= 1
        return self._last

    @staticmethod
    def _block(pcb: int, inf: bytes) -> bytes:
        head = bytes([0x00, pcb, len(inf)]) + inf
        lrc = 0
        for byte in head:
            lrc ^= byte
        return head + bytes([lrc])


@dataclass
class TwinResponder:
    """The reader end of the pty: decodes libccid's frames and answers as a SEC1210.

    ``log`` keeps every (direction, CCID message) pair, ``"<-"`` from libccid, ``"->"`` ours.
    """

    fd: int
    slots: list[TwinSlot] = field(default_factory=lambda: [TwinSlot(), TwinSlot()])
    card: Callable[[int, bytes], bytes] = field(default_factory=T0Card)
    log: list[tuple[str, bytes]] = field(default_factory=list)
    #: Message types to answer once with the NAK frame instead (each is removed when used).
    nak_once: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        #: While set, what arrives is read and dropped: the box's daemon is down.
        self.silent = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ccid-twin", daemon=True)
        self._last = b""

    def start(self) -> None:
        """Answer in a thread until :meth:`stop`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering (the thread ends within 0.1 s)."""
        self._stop.set()
        self._thread.join(timeout=2)

    def conversation(self) -> list[str]:
        """The log as readable lines: direction, message name, hex."""
        return [f"{way} {'NAK frame' if m == NAK_FRAME else NAMES.get(m[0], hex(m[0]))} "
                f"{m.hex(' ').upper()}" for way, m in self.log]

    def _run(self) -> None:
        import select

        decoder = FrameDecoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)  # no slave open yet (EIO): pcscd opens it later
                continue
            if self.silent.is_set():
                decoder = FrameDecoder()  # a restarted daemon starts with an empty decoder
                continue
            for event in decoder.feed(data):
                if isinstance(event, Message) and event.data[0] in self.nak_once:
                    self.nak_once.discard(event.data[0])
                    self.log.append(("<-", event.data))
                    self.log.append(("->", NAK_FRAME))
                    os.write(self.fd, NAK_FRAME)
                elif isinstance(event, Message):
                    self.log.append(("<-", event.data))
                    answer = self.answer(event.data)
                    self.log.append(("->", answer))
                    self._last = encode(answer)
                    os.write(self.fd, self._last)
                elif isinstance(event, BadFrame):
                    os.write(self.fd, NAK_FRAME)
                elif isinstance(event, NakReceived) and self._last:
                    os.write(self.fd, self._last)

    def answer(self, message: bytes) -> bytes:
        """Our CCID answer to one PC_to_RDR message."""
        kind, slot_index, seq = message[0], message[5], message[6]
        data = message[10:]
        if slot_index >= len(self.slots):
            return _reply(SLOT_STATUS_ANSWER, slot_index, seq, 0x42, 0x05)  # bad slot (bError 5)
        slot = self.slots[slot_index]
        if kind == ESCAPE:
            return _reply(ESCAPE_ANSWER, slot_index, seq, 0, 0, data=b"borne-twin")
        if kind == SET_RATE_CLOCK:
            return _reply(RATE_CLOCK, slot_index, seq, 0, 0, data=data[:8])
        if slot.atr is None:
            slot.powered = False
            if kind in (SLOT_STATUS, POWER_OFF):
                return _reply(SLOT_STATUS_ANSWER, slot_index, seq, 0x02, 0)
            return _reply(_answer_type(kind), slot_index, seq, 0x42, 0xFE)  # ICC_MUTE
        if kind == POWER_ON:
            slot.powered = True
            return _reply(DATA_BLOCK, slot_index, seq, 0, 0, data=slot.atr)
        if kind == POWER_OFF:
            slot.powered = False
            return _reply(SLOT_STATUS_ANSWER, slot_index, seq, 0x01, 0)
        state = 0x00 if slot.powered else 0x01
        if kind == SLOT_STATUS:
            return _reply(SLOT_STATUS_ANSWER, slot_index, seq, state, 0)
        if kind == SET_PARAMETERS:
            # libccid sets the ATR's values (the CPS's TC2 gives WI 2A): accept them as sent.
            slot.parameters = data
        if kind in (GET_PARAMETERS, SET_PARAMETERS, RESET_PARAMETERS):
            protocol = 1 if len(slot.parameters) == 7 else 0  # T=1 parameters are 7 bytes
            return _reply(PARAMETERS, slot_index, seq, state, 0, data=slot.parameters,
                          protocol=protocol)
        if kind == XFR_BLOCK and slot.powered:
            return _reply(DATA_BLOCK, slot_index, seq, 0, 0, data=self.card(slot_index, data))
        if kind == XFR_BLOCK:
            return _reply(DATA_BLOCK, slot_index, seq, 0x41, 0xFE)
        return _reply(SLOT_STATUS_ANSWER, slot_index, seq, 0x40 | state, 0x00)  # not supported


def _answer_type(kind: int) -> int:
    return {POWER_ON: DATA_BLOCK, XFR_BLOCK: DATA_BLOCK, GET_PARAMETERS: PARAMETERS,
            SET_PARAMETERS: PARAMETERS, RESET_PARAMETERS: PARAMETERS}.get(kind, SLOT_STATUS_ANSWER)


def _reply(kind: int, slot: int, seq: int, status: int, error: int, *, data: bytes = b"",
           protocol: int = 0) -> bytes:
    # The last header byte: bProtocolNum for Parameters, 0 (bChainParameter...) for the others.
    return (bytes([kind]) + len(data).to_bytes(4, "little")
            + bytes([slot, seq, status, error, protocol]) + data)


class CcidTwin:
    """A pty, a :class:`TwinResponder` on its master, a private pcscd with libccidtwin on its slave."""

    def __init__(self, work_dir: Path, name: str = "Borne USB", debug: bool = True) -> None:
        """Nothing starts before :meth:`start`; ``work_dir`` holds config, socket dir and log."""
        self.work_dir = work_dir
        self.name = name
        self.debug = debug
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.device = os.ttyname(self.slave)
        self.responder = TwinResponder(self.master)
        self.run_dir = work_dir / "run"
        self.config_dir = work_dir / "readers"
        self.log_path = work_dir / "pcscd.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> str:
        """pcscd's socket, for a client's ``PCSCLITE_CSOCK_NAME``."""
        return str(self.run_dir / "pcscd.comm")

    @property
    def readers(self) -> list[str]:
        """The PC/SC names of the twin's two slots."""
        return [f"{self.name} 00 00", f"{self.name} 00 01"]

    def client_env(self) -> dict[str, str]:
        """The environment of a PC/SC client of this pcscd."""
        return {**os.environ, "PCSCLITE_CSOCK_NAME": self.socket}

    def start(self) -> CcidTwin:
        """Start the responder and pcscd; return once pcscd's socket exists (10 s at most)."""
        for folder in (self.run_dir, self.config_dir):
            folder.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "reader.conf").write_text(
            f'FRIENDLYNAME "{self.name}"\nDEVICENAME {self.device}:SEC1210\nLIBPATH {TWIN_DRIVER}\n')
        self.responder.start()
        inner = (f"mount --make-rprivate / && mount --bind {self.run_dir} /run/pcscd && "
                 f"exec pcscd --foreground --config {self.config_dir}"
                 + (" --debug --apdu" if self.debug else ""))
        env = {**os.environ, "LIBCCID_ifdLogLevel": "0x000F" if self.debug else "0x0003"}
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(["unshare", "--mount", "sh", "-c", inner], env=env,
                                             stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pcscd did not start:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Stop pcscd and the responder, close the pty."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.responder.stop()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def log_tail(self, lines: int = 40) -> str:
        """The end of pcscd's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
