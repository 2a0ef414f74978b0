"""A virtual phone presenting the apCV over NFC, through nfcpy's UDP driver.

**The apCV's real NFC AID and exchange are not public.** This phone speaks the
simulator's settings only (:class:`borne.config.NfcConfig` defaults: the AID
``F0424F524E4553494D``, proprietary range, and one command ``80CA000000``
answered with the payload); it says nothing about the real app.

nfcpy's UDP driver (``nfc/clf/udp.py``) simulates the RF link with datagrams
of ``"<brty> <hex frame>"`` on **one UDP port**: the phone (the target) binds
``0.0.0.0:PORT``; the box (the initiator) opens ``udp:HOST:PORT`` and sends
every poll from a fresh ephemeral socket to ``HOST:PORT``; the phone answers
to whatever address the poll came from. Both sides therefore only agree on
``HOST:PORT``. The box sends ``RFOFF`` to that port when it drops a target
(its next poll, or closing): the phone takes it as "the reader saw me go".

The phone listens as an ISO/IEC 14443-4 Type 4A target (``clf.listen(
LocalTarget("106A"))``, SAK ``20``), answers RATS with its ATS, then plays
the ISO-DEP block protocol (:class:`IsoDepCard`) around an APDU applet
(:class:`PhoneApplet`) with ``clf.exchange``:

========================  ======================================================
behaviour                 what the phone does
========================  ======================================================
``ok``                    answers SELECT of its AID and the script commands
                          (answers over 256 bytes are chunked with ``61xx``),
                          stays ``linger_s`` then goes away
``leave_mid_exchange``    answers the SELECT, then vanishes
``wrong_aid``             has no such application: SELECT answered ``6A82``
``mute``                  is activated (ATS) but never answers an APDU
``not_iso_dep``           is a plain Type 2 sticker (SAK ``00``): no ISO-DEP
========================  ======================================================

"Going away" is silence: the phone stops answering, so the reader's presence
check times out, and :meth:`VirtualPhone.present` returns once the reader's
``RFOFF`` proves it noticed (or at the deadline).

Run as a process: ``python -m borne.sim.phone --port P [--aid HEX]
[--payload-hex HEX | --payload-file F] [--behaviour B] [--times N]``; one JSON
line per presentation on stdout; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BEHAVIOURS",
    "DEFAULT_AID",
    "DEFAULT_COMMAND",
    "IsoDepCard",
    "PhoneApplet",
    "PresentationReport",
    "VirtualPhone",
    "main",
]

#: The simulator's apCV settings (``borne.config.NfcConfig`` defaults), not the real app's.
DEFAULT_AID = bytes.fromhex("F0424F524E4553494D")
DEFAULT_COMMAND = bytes.fromhex("80CA000000")

BEHAVIOURS = ("ok", "leave_mid_exchange", "wrong_aid", "mute", "not_iso_dep")

_SW_OK = b"\x90\x00"
_SW_NOT_FOUND = b"\x6a\x82"
_SW_INS_UNKNOWN = b"\x6d\x00"
_SW_CONDITIONS = b"\x69\x85"
_CHUNK = 256  # the most a short APDU answer carries


# -- the APDU applet (pure) --------------------------------------------------------------------

def _header_and_data(apdu: bytes) -> bytes:
    """CLA INS P1 P2 and the command data, without Le: what identifies a command."""
    if len(apdu) <= 5:
        return apdu[:4]
    lc = apdu[4]
    return apdu[:5 + lc] if lc and len(apdu) >= 5 + lc else apdu[:4]


class PhoneApplet:
    """The phone's card-emulation service for one AID: answers APDUs, no I/O.

    ``commands[i]`` is answered with ``answers[i]``, whatever its Le; an
    answer over 256 bytes comes in 256-byte pieces with ``61xx`` and GET
    RESPONSE. ``has_app=False`` plays a phone without the app.
    """

    def __init__(self, aid: bytes, commands: Sequence[bytes], answers: Sequence[bytes], *,
                 has_app: bool = True) -> None:
        if len(commands) != len(answers):
            raise ValueError("one answer per command")
        self.aid = bytes(aid)
        self._commands = [_header_and_data(bytes(c)) for c in commands]
        self._answers = [bytes(a) for a in answers]
        self._has_app = has_app
        self._pending = b""
        self.selected = False
        self.answered: set[int] = set()

    @property
    def done(self) -> bool:
        """Every command answered in full."""
        return len(self.answered) == len(self._commands) and not self._pending

    def respond(self, apdu: bytes) -> bytes:
        """The response APDU (data and SW) to ``apdu``."""
        apdu = bytes(apdu)
        if len(apdu) < 4:
            return _SW_INS_UNKNOWN
        if apdu[1] == 0xA4 and apdu[2] == 0x04:
            lc = apdu[4] if len(apdu) > 4 else 0
            self.selected = self._has_app and apdu[5:5 + lc] == self.aid
            self._pending = b""
            return _SW_OK if self.selected else _SW_NOT_FOUND
        if not self.selected:
            return _SW_CONDITIONS
        if apdu[:4] == b"\x00\xc0\x00\x00":  # GET RESPONSE
            return self._next_piece() if self._pending else _SW_CONDITIONS
        key = _header_and_data(apdu)
        for index, command in enumerate(self._commands):
            if command == key:
                self.answered.add(index)
                self._pending = self._answers[index]
                return self._next_piece()
        return _SW_INS_UNKNOWN

    def _next_piece(self) -> bytes:
        piece, self._pending = self._pending[:_CHUNK], self._pending[_CHUNK:]
        if self._pending:
            return piece + bytes([0x61, min(len(self._pending), _CHUNK) & 0xFF])
        return piece + _SW_OK


# -- the ISO-DEP block protocol, card side (pure) ----------------------------------------------

class IsoDepCard:
    """ISO/IEC 14443-4 blocks, PICC side, without CID or NAD (as nfcpy's reader sends them).

    :meth:`on_block` takes one block from the reader and returns the block to
    send back. Command chaining is acknowledged, long answers are chained in
    ``fsd - 3`` pieces; an R(NAK) for the block last sent resends it (a lost
    answer), any other R(NAK) is a presence check, answered R(ACK) and
    counted in :attr:`presence_checks`. ``respond`` turns an APDU into a response APDU.
    """

    def __init__(self, respond: Callable[[bytes], bytes], fsd: int = 256) -> None:
        self._respond = respond
        self._miu = fsd - 3  # PCB + 2 bytes of CRC in a real frame
        self._command = bytearray()
        self._chain: list[bytes] = []
        self._last: bytes | None = None
        self.apdus = 0
        self.presence_checks = 0

    @staticmethod
    def is_presence_check(block: bytes, last_sent: bytes | None) -> bool:
        """True for an R(NAK) that does not ask to resend ``last_sent``."""
        return (len(block) == 1 and block[0] & 0xF6 == 0xB2
                and (last_sent is None or (block[0] ^ last_sent[0]) & 1 == 1))

    @property
    def last_sent(self) -> bytes | None:
        """The last block sent, if any."""
        return self._last

    def on_block(self, block: bytes) -> bytes | None:
        """The answer to ``block``; ``None`` for a block to ignore."""
        if not block:
            return None
        pcb, number = block[0], block[0] & 1
        if pcb & 0xE2 == 0x02 and not pcb & 0x0C:  # I-block
            self._command += block[1:]
            if pcb & 0x10:  # the reader chains its command: acknowledge, wait for the rest
                return self._send(bytes([0xA2 | number]))
            response = self._respond(bytes(self._command))
            self._command.clear()
            self.apdus += 1
            pieces = [response[i:i + self._miu]
                      for i in range(0, len(response), self._miu)] or [b""]
            self._chain = pieces[1:]
            return self._send(bytes([(0x12 if self._chain else 0x02) | number]) + pieces[0])
        if pcb & 0xF6 == 0xA2 and self._chain:  # R(ACK): next piece of a chained answer
            piece = self._chain.pop(0)
            return self._send(bytes([(0x12 if self._chain else 0x02) | number]) + piece)
        if pcb & 0xF6 == 0xB2:  # R(NAK)
            if self.is_presence_check(block, self._last):
                self.presence_checks += 1
                return bytes([0xA2 | (self._last[0] & 1 if self._last else 1)])
            return self._last
        if pcb & 0xF7 == 0xC2:  # S(DESELECT)
            return bytes([pcb])
        return None

    def _send(self, block: bytes) -> bytes:
        self._last = block
        return block


# -- the phone on nfcpy's UDP driver ------------------------------------------------------------

@dataclass
class PresentationReport:
    """What happened during one :meth:`VirtualPhone.present`."""

    #: The reader activated the phone (Type 4A: RATS; sticker: a first command).
    activated: bool = False
    #: APDUs answered (ISO-DEP), or commands seen (sticker).
    apdus: int = 0
    #: Every configured command answered in full.
    completed: bool = False
    #: The reader's RFOFF came after the phone went away: it noticed the removal.
    released: bool = False


class VirtualPhone:
    """A phone in card emulation on nfcpy's UDP driver, reachable at ``udp:HOST:PORT``.

    ``payload`` answers the single command ``commands[0]`` (by default
    ``80CA000000``); pass a list of payloads, one per command, for longer
    scripts. ``linger_s`` is how long the phone stays on the reader after
    the exchange (answering presence checks) before it goes away. ``fwi``
    is the frame waiting time integer of its ATS: 10 (about 0.3 s) keeps
    the reader's presence checks robust on a loaded test machine.

    :meth:`present` blocks (run it in a thread or a process); :meth:`stop`,
    from any thread, makes it return early.
    """

    def __init__(self, port: int, aid: bytes = DEFAULT_AID, payload: bytes | Sequence[bytes] = b"",
                 behaviour: str = "ok", *, host: str = "127.0.0.1",
                 commands: Sequence[bytes] = (DEFAULT_COMMAND,), linger_s: float = 0.0,
                 fwi: int = 10, uid: bytes | None = None) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r} (known: {', '.join(BEHAVIOURS)})")
        if not 0 <= fwi <= 14:
            raise ValueError("FWI is 0..14")
        self.port = port
        self.host = host
        self.aid = bytes(aid)
        self.answers = [bytes(payload)] if isinstance(payload, (bytes, bytearray)) else [
            bytes(p) for p in payload]
        self.commands = [bytes(c) for c in commands]
        if len(self.answers) != len(self.commands):
            raise ValueError("one payload per command")
        self.behaviour = behaviour
        self.linger_s = linger_s
        self.fwi = fwi
        # Phones show a random UID (first byte 08) that changes at every tap.
        self.uid = uid
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Make :meth:`present` return soon; safe from any thread or a signal handler."""
        self._stopping.set()

    @property
    def stopped(self) -> bool:
        """:meth:`stop` was called."""
        return self._stopping.is_set()

    def present(self, timeout: float = 10.0) -> PresentationReport:
        """Wait to be read, go away, wait for the reader to notice; at most ``timeout`` s."""
        import nfc  # the simulator's phone only: never imported with borne

        deadline = time.monotonic() + timeout
        report = PresentationReport()
        clf = nfc.ContactlessFrontend(f"udp:{self.host}:{self.port}")
        try:
            while not report.activated and self._remaining(deadline) > 0:
                target = clf.listen(self._local_target(nfc), min(0.5, self._remaining(deadline)))
                if target is not None:
                    self._serve(nfc, clf, target, report, deadline)
            if report.activated and not report.released:
                report.released = self._wait_rf_off(nfc, clf, deadline)
        finally:
            clf.close()
        return report

    # -- inside present() ----------------------------------------------------------------------

    def _remaining(self, deadline: float) -> float:
        return 0.0 if self._stopping.is_set() else deadline - time.monotonic()

    def _local_target(self, nfc: Any) -> Any:
        uid = self.uid or b"\x08" + os.urandom(3)
        sticker = self.behaviour == "not_iso_dep"
        return nfc.clf.LocalTarget(
            "106A", sens_res=bytearray.fromhex("4400" if sticker else "0400"),
            sdd_res=bytearray(uid), sel_res=bytearray([0x00 if sticker else 0x20]))

    def _serve(self, nfc: Any, clf: Any, target: Any, report: PresentationReport,
               deadline: float) -> None:
        """One activation. Leaves ``report.activated`` False if it was not a real one."""
        if self.behaviour == "not_iso_dep":
            if target.tt2_cmd and target.tt2_cmd[0] == 0x30:  # READ: a reader, not a stale frame
                report.activated = True
                report.apdus = 1
                self._linger_as_sticker(nfc, clf, bytes(target.tt2_cmd), deadline)
            return
        if not target.tt4_cmd or target.tt4_cmd[0] != 0xE0:
            # Activated by a stray frame (a presence check meant for an earlier
            # phone): not a reader's RATS. Stay silent so that phone is seen gone.
            return
        applet = PhoneApplet(self.aid, self.commands, self.answers,
                             has_app=self.behaviour != "wrong_aid")
        card = IsoDepCard(applet.respond, fsd=_fsd(target.tt4_cmd))
        # ATS: TL T0 TA TB TC; T0 78: TA, TB, TC present, FSCI 8 (256 bytes).
        reply: bytes | None = bytes([0x05, 0x78, 0x00, self.fwi << 4, 0x00])
        linger_until: float | None = None
        while self._remaining(deadline) > 0:
            try:
                block = clf.exchange(reply, min(0.5, self._remaining(deadline)))
            except nfc.clf.TimeoutError:
                reply = None
                continue
            except nfc.clf.BrokenLinkError:  # RFOFF: the reader dropped us
                if card.apdus == 0:
                    return  # it gave up during activation (RATS): listen again
                report.activated = True
                report.released = True
                break
            except nfc.clf.CommunicationError:
                reply = None
                continue
            if not block:
                reply = None
                continue
            block = bytes(block)
            if block[0] & 0xE2 == 0x02:  # an I-block: a real reader's APDU
                report.activated = True
            if IsoDepCard.is_presence_check(block, card.last_sent):
                # The reader is done with its APDUs and checks we are still here.
                now = time.monotonic()
                linger_until = linger_until if linger_until is not None else now + self.linger_s
                if now >= linger_until:
                    break
            elif self.behaviour == "mute" or (
                    self.behaviour == "leave_mid_exchange" and applet.selected):
                break
            reply = card.on_block(block)
        report.apdus = card.apdus
        report.completed = applet.done

    def _linger_as_sticker(self, nfc: Any, clf: Any, command: bytes, deadline: float) -> None:
        until = time.monotonic() + self.linger_s
        while time.monotonic() < until and self._remaining(deadline) > 0:
            reply = bytes(16) if command[:1] == b"\x30" else None
            try:
                command = bytes(clf.exchange(reply, min(0.5, self._remaining(deadline))))
            except nfc.clf.BrokenLinkError:
                return
            except nfc.clf.CommunicationError:
                command = b""

    def _wait_rf_off(self, nfc: Any, clf: Any, deadline: float) -> bool:
        """Stay silent until the reader's RFOFF (it saw us go) or the deadline."""
        while self._remaining(deadline) > 0:
            try:
                clf.exchange(None, min(0.5, self._remaining(deadline)))
            except nfc.clf.BrokenLinkError:
                return True
            except nfc.clf.CommunicationError:
                continue
        return False


def _fsd(rats: bytes) -> int:
    """The reader's frame size (FSDI in RATS' parameter byte)."""
    fsdi = (rats[1] >> 4) if len(rats) > 1 else 2
    return (16, 24, 32, 40, 48, 64, 96, 128, 256)[min(fsdi, 8)]


# -- the process ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Entry point of a virtual phone process (see the module docstring).

    Prints one JSON object per presentation (:class:`PresentationReport`);
    exits 0 after ``--times`` presentations or on SIGTERM/SIGINT, 1 if a
    presentation timed out without being read.
    """
    parser = argparse.ArgumentParser(prog="python -m borne.sim.phone",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="the UDP port of udp:HOST:PORT")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--aid", default=DEFAULT_AID.hex(), help="the AID the phone answers (hex)")
    parser.add_argument("--command", action="append", metavar="HEX",
                        help="a script command (hex), repeatable; default 80CA000000")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--payload-hex", default="", help="the answer to the command (hex)")
    source.add_argument("--payload-file", help="a file whose bytes answer the command")
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default="ok")
    parser.add_argument("--times", type=int, default=1, help="presentations to make (0: forever)")
    parser.add_argument("--linger", type=float, default=0.0, help="seconds left on the reader")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per presentation")
    args = parser.parse_args(argv)
    try:
        payload = (Path(args.payload_file).read_bytes() if args.payload_file
                   else bytes.fromhex(args.payload_hex))
        commands = [bytes.fromhex(c) for c in args.command or [DEFAULT_COMMAND.hex()]]
        phone = VirtualPhone(args.port, bytes.fromhex(args.aid), [payload] * len(commands),
                             args.behaviour, host=args.host, commands=commands,
                             linger_s=args.linger)
    except (OSError, ValueError) as error:
        print(f"cannot make the phone: {error}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: phone.stop())
    count = 0
    while args.times == 0 or count < args.times:
        report = phone.present(args.timeout)
        if phone.stopped:
            return 0
        try:
            print(json.dumps(asdict(report)), flush=True)
        except OSError:
            pass  # nobody reads our stdout any more
        if not report.activated:
            return 1
        count += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
