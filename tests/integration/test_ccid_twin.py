"""CCID over a serial line to a real pcscd with libccidtwin: the path issue 18's tests take.

A serial line carries libccid's GemPC Twin framing (``borne.ccid.serial_frame``) between a
private pcscd with ``libccidtwin.so`` (``DEVICENAME /dev/pts/N:SEC1210``) and the box's
serial transport (``borne.ccid.serial_transport.SerialTransport``), which answers with the
box's CCID core (``borne.ccid.device.CcidDevice`` at TPDU exchange level) over in-memory
cards; a serial cable of two ptys (``support.serial_cable``) joins them and logs the frames.
A plain pyscard program (a subprocess, as on a workstation) lists the two slots as readers,
reads a T=0 card and a T=1 card byte for byte (APDUs of 1 to 254 data bytes, responses of 1
to 256), and sees cards leave and come; ``pcsc_scan`` and ``opensc-tool`` work against it;
malformed CCID messages written raw on the line get the CCID errors (rev 1.1, table 6.2-2),
never a hang.

What libccid (Debian's libccid 1.5.2, pcscd 1.9.9) sends to a SEC1210, observed with
``LIBCCID_ifdLogLevel=0x0F`` and ``pcscd --debug`` (``bSeq`` grows by one per message, over
both slots; every answer below was accepted):

- at open: ``PC_to_RDR_Escape`` ``6B 01 00 00 00 00 00 00 00 00 06`` (slot 0, data ``06``,
  frame ``03 06 6B 01 00 00 00 00 00 00 00 00 06 69``); it takes any ``RDR_to_PC_Escape``
  (``83``, bStatus 0) and logs its data as the firmware. Nothing else is asked of the reader:
  over serial libccid reads no descriptor (it hard-codes one per reader name);
- then ``GetSlotStatus`` (``65``) on slot 0 and slot 1 about every 400 ms while pcscd runs.
  Answer ``81`` with bmICCStatus 0 (active), 1 (present, inactive) or 2 (absent): a removal or
  an insertion is seen only so (the serial ``50 0x`` card-movement message is only logged);
- on an insertion pcscd powers the card to read its ATR: ``IccPowerOn``
  ``62 00 00 00 00 00 seq 01 00 00`` (bPowerSelect 01 = 5 V), answered by a ``DataBlock``
  (``80``) carrying the ATR, then ``IccPowerOff`` (``63``, answered ``81`` status 1) when idle;
  ``SCardConnect`` powers it on again;
- at connect with the CPS ATR (T=0; TC2 = 2A): ``SetParameters``
  ``61 05 00 00 00 00 seq 00 00 00 11 00 00 2A 00`` (bProtocolNum 0, Fi/Di 11, WI 2A: the
  ATR's values; no PPS, dwFeatures 0x000100B2 leaves it to the reader). Answered with a
  ``Parameters`` (``82``) echoing those five bytes;
- APDUs: ``XfrBlock`` (``6F``, bBWI 0, wLevelParameter 0) carrying the command exactly as the
  application gave it, answered by a ``DataBlock`` with the card's bytes, returned unchanged:
  a case-2 APDU is a T=0 TPDU already (P3 = Le); a case-4 APDU arrives WITH its Le (not a
  TPDU: the box's core passes it to the slot as the APDU it is); the card's ``61 xx``
  reaches the application as is: libccid sends no GET RESPONSE (pcsc-lite neither);
- with an ATR offering T=1 (the simulator's other CPS ATR ``3B 9B 18 80 01 ...``: TD1 80,
  TD2 01) libccid chooses T=1: ``SetParameters`` ``61 07 00 00 00 slot seq 01 00 00
  18 10 00 4D 00 20 00`` (bProtocolNum 1: Fi/Di 18, TCCKS 10, guard 00, BWI/CWI 4D, clock stop
  00, IFSC 20, NAD 00; our ``Parameters`` answer carries bProtocolNum 1), then an S(IFS
  request) block ``00 C1 01 FE 3E`` (IFSD 254) answered ``00 E1 01 FE 1E``, then each APDU,
  Le included, in an I-block (``00 00 08 00 A4 04 00 02 3F 00 00 95``), answered by our
  I-block (``00 00 06 CA FE 01 02 90 00 A1``; N(S) alternates): the box's CCID core runs
  ``borne.ccid.t1_blocks.T1Card`` per slot for such cards. IFSC stays 32 (no TA3), so a long
  command comes in 32-byte I-blocks; after S(IFS) the response goes in 254-byte ones (the
  Vitale ATRs ``3B 75 13 ...`` are T=0 only: libccid sets ``13 00 00 0A 00``, Fi/Di 13 from TA1);
- a silent reader (the box's daemon restarting): libccid's reads time out (3 s each), pcscd
  logs "Error communicating to: Borne USB 00 0x", keeps both readers listed, marks the empty
  slot unavailable and refuses connections (SCARD_W_UNPOWERED_CARD 0x80100067 seen after 6 s);
  once the reader answers again the slots come back with no driver reload, and the card is read;
- a NAK frame (``03 15 16``) in answer makes ``SCardTransmit`` fail with
  SCARD_E_NOT_TRANSACTED: libccid does not resend. And it only logs a wrong LRC in our frames.
  So the box must answer every well-formed frame, and NAK only what it cannot parse.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from borne.ccid.serial_frame import NAK_FRAME, encode, lrc
from borne.ccid.t1_blocks import block
from support.ccid_cards import FakeSlot, mirror_answer
from support.ccid_twin import CPS_ATR, CPS_T1_ATR, XFR_BLOCK, CcidTwin

# The workstation: a pyscard program talking to the twin's pcscd (PCSCLITE_CSOCK_NAME).
WORKSTATION = r"""
import json, sys
from smartcard import scard

def say(**what):
    print(json.dumps(what), flush=True)

_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
_, readers = scard.SCardListReaders(context, [])
states = {}
for reader in readers:
    _, found = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
    states[reader] = bool(found[0][1] & scard.SCARD_STATE_PRESENT)
say(readers=readers, present=states)
hresult, card, protocol = scard.SCardConnect(context, readers[0], scard.SCARD_SHARE_SHARED,
                                             scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
answers = {}
for name, apdu in (("case2", "00 B0 00 00 04"), ("case4", "00 A4 04 00 02 3F 00 00"),
                   ("get_response", "00 C0 00 00 04")):
    hresult, answer = scard.SCardTransmit(card, protocol, list(bytes.fromhex(apdu)))
    answers[name] = bytes(answer).hex(" ").upper() if hresult == 0 else scard.SCardGetErrorMessage(hresult)
scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD)
say(connect=hresult, protocol=protocol, answers=answers)
sys.stdin.readline()  # the test removes the card, then lets us watch
_, found = scard.SCardGetStatusChange(context, 0, [(readers[0], scard.SCARD_STATE_UNAWARE)])
state = found[0][1]
while state & scard.SCARD_STATE_PRESENT:
    hresult, found = scard.SCardGetStatusChange(context, 10000, [(readers[0], state)])
    if hresult != scard.SCARD_S_SUCCESS:
        break
    state = found[0][1] & ~scard.SCARD_STATE_CHANGED
say(removed=not state & scard.SCARD_STATE_PRESENT)
sys.stdin.readline()  # the test puts a card in the second slot
hresult, found = scard.SCardGetStatusChange(context, 10000, [(readers[1], scard.SCARD_STATE_EMPTY)])
say(inserted=bytes(found[0][2]).hex(" ").upper() if hresult == 0 else scard.SCardGetErrorMessage(hresult))
"""


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[CcidTwin]:
    """The twin, a CPS (T=0 ATR) in slot 0 and slot 1 empty."""
    twin = CcidTwin(tmp_path / "twin", slots=[FakeSlot(CPS_ATR), FakeSlot()])
    twin.start()
    yield twin
    twin.stop()


def test_apdus_reach_a_t0_card_as_they_come(twin: CcidTwin) -> None:
    workstation = subprocess.Popen([sys.executable, "-c", WORKSTATION], env=twin.client_env(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert workstation.stdout is not None and workstation.stdin is not None
        listing = json.loads(workstation.stdout.readline() or "{}")
        assert listing.get("readers") == twin.readers, twin.log_tail()
        assert listing["present"] == {twin.readers[0]: True, twin.readers[1]: False}

        reading = json.loads(workstation.stdout.readline() or "{}")
        assert reading["connect"] == 0 and reading["protocol"] == 1  # SCARD_PROTOCOL_T0
        assert reading["answers"] == dict.fromkeys(("case2", "case4", "get_response"),
                                                   "CA FE 01 02 90 00")
        # At TPDU level T=0 goes through as libccid sends it: the case-4 APDU WITH its Le.
        sent = ["00 B0 00 00 04", "00 A4 04 00 02 3F 00 00", "00 C0 00 00 04"]
        tpdus = [m[10:].hex(" ").upper() for way, m in twin.log
                 if way == "<-" and m[0] == XFR_BLOCK]
        assert tpdus == sent
        assert [apdu.hex(" ").upper() for apdu in twin.slots[0].received] == sent

        twin.slots[0].atr = None  # the card leaves
        workstation.stdin.write("\n")
        workstation.stdin.flush()
        assert json.loads(workstation.stdout.readline() or "{}") == {"removed": True}

        twin.slots[1].atr = CPS_ATR  # a card comes into the second slot
        workstation.stdin.write("\n")
        workstation.stdin.flush()
        assert json.loads(workstation.stdout.readline() or "{}") == {"inserted": CPS_ATR.hex(" ").upper()}
        assert workstation.wait(10) == 0
    finally:
        if workstation.poll() is None:
            workstation.kill()
            workstation.wait()
        print("\n".join(twin.conversation()))


def test_pcsc_scan_lists_both_slots(twin: CcidTwin) -> None:
    listing = subprocess.run(["pcsc_scan", "-r"], env=twin.client_env(), capture_output=True,
                             text=True, timeout=20)
    assert listing.stdout.split("\n")[:2] == [f"0: {twin.readers[0]}", f"1: {twin.readers[1]}"]


def test_opensc_tool_lists_the_readers_and_reads_the_atr(twin: CcidTwin) -> None:
    listing = subprocess.run(["opensc-tool", "--list-readers"], env=twin.client_env(),
                             capture_output=True, text=True, timeout=20)
    assert listing.returncode == 0, listing.stderr
    for reader in twin.readers:
        assert reader in listing.stdout, listing.stdout
    atr = subprocess.run(["opensc-tool", "-r", "0", "-a"], env=twin.client_env(),
                         capture_output=True, text=True, timeout=20)
    assert atr.returncode == 0, (atr.stdout, atr.stderr, twin.log_tail())
    assert CPS_ATR.hex(":") in atr.stdout.lower(), atr.stdout


def test_a_nak_frame_fails_the_transmit_libccid_does_not_resend(twin: CcidTwin) -> None:
    twin.nak_once(XFR_BLOCK)
    read = subprocess.run([sys.executable, "-c", TRANSMIT_TWICE], env=twin.client_env(),
                          capture_output=True, text=True, timeout=30)
    assert read.stdout.split() == ["80100016", "CAFE01029000"], read.stderr
    assert [m[0] for way, m in twin.log if way == "<-"].count(XFR_BLOCK) == 2


TRANSMIT_TWICE = r"""
from smartcard import scard
_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
_, readers = scard.SCardListReaders(context, [])
_, card, protocol = scard.SCardConnect(context, readers[0], scard.SCARD_SHARE_SHARED,
                                       scard.SCARD_PROTOCOL_T0)
for attempt in range(2):
    hresult, answer = scard.SCardTransmit(card, protocol, [0, 0xB0, 0, 0, 4])
    print(f"{hresult & 0xFFFFFFFF:08X}" if hresult else bytes(answer).hex().upper())
"""


def test_a_t1_card_gets_blocks(twin: CcidTwin) -> None:
    """libccid chooses T=1, sets its parameters and sends S(IFS request) before any APDU."""
    twin.slots[0].atr = None
    twin.slots[1].atr = CPS_T1_ATR
    read = subprocess.run([sys.executable, "-c", TRANSMIT_T1], env=twin.client_env(),
                          capture_output=True, text=True, timeout=30)
    assert read.stdout.split() == ["2", "CAFE01029000", "CAFE01029000"], read.stderr[-800:]
    assert twin.slots[1].received == [bytes.fromhex("00 B0 00 00 04"),
                                      bytes.fromhex("00 A4 04 00 02 3F 00 00")]
    log = twin.log
    sent = [m for way, m in log if way == "<-"]
    assert bytes.fromhex("61 07 00 00 00 01") in {m[:6] for m in sent}  # SetParameters T=1, slot 1
    xfr = [index for index, (way, m) in enumerate(log) if way == "<-" and m[0] == XFR_BLOCK]
    assert log[xfr[0]][1][10:] == bytes.fromhex("00 C1 01 FE 3E")  # S(IFS request), IFSD 254
    assert log[xfr[0] + 1][1][10:] == bytes.fromhex("00 E1 01 FE 1E")  # our S(IFS response)


TRANSMIT_T1 = r"""
from smartcard import scard
_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
_, readers = scard.SCardListReaders(context, [])
state = scard.SCARD_STATE_UNAWARE
while not state & scard.SCARD_STATE_PRESENT:
    _, found = scard.SCardGetStatusChange(context, 5000, [(readers[1], state)])
    state = found[0][1] & ~scard.SCARD_STATE_CHANGED
_, card, protocol = scard.SCardConnect(context, readers[1], scard.SCARD_SHARE_SHARED,
                                       scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
print(protocol)
for apdu in ("00 B0 00 00 04", "00 A4 04 00 02 3F 00 00"):
    hresult, answer = scard.SCardTransmit(card, protocol, list(bytes.fromhex(apdu)))
    print(f"{hresult & 0xFFFFFFFF:08X}" if hresult else bytes(answer).hex().upper())
"""


def sweep_apdus() -> list[bytes]:
    """Case 4 with 1..254 data bytes (Le 00), then case 2 with Le 1..255 and 00 (256)."""
    commands = [bytes([0x80, 0xE0, 0, 0, size]) + bytes((size * 7 + i) & 0xFF for i in range(size))
                + b"\x00" for size in range(1, 255)]
    return commands + [bytes([0x00, 0xB0, le & 0xFF, 0, le & 0xFF]) for le in range(1, 257)]


SWEEP = r"""
import json, sys
from smartcard import scard
reader_index, apdus = json.loads(sys.stdin.read())
_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
_, readers = scard.SCardListReaders(context, [])
state = scard.SCARD_STATE_UNAWARE
while not state & scard.SCARD_STATE_PRESENT:  # a card just put in slot 1 is seen within 0.4 s
    _, found = scard.SCardGetStatusChange(context, 5000, [(readers[reader_index], state)])
    state = found[0][1] & ~scard.SCARD_STATE_CHANGED
hresult, card, protocol = scard.SCardConnect(context, readers[reader_index], scard.SCARD_SHARE_SHARED,
                                             scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
answers = []
for apdu in apdus:
    hresult, answer = scard.SCardTransmit(card, protocol, list(bytes.fromhex(apdu)))
    answers.append(bytes(answer).hex() if hresult == 0 else f"error {hresult & 0xFFFFFFFF:08X}")
print(json.dumps({"protocol": protocol, "answers": answers}))
"""


@pytest.mark.parametrize(("index", "protocol"), [(0, 1), (1, 2)], ids=["T=0", "T=1"])
def test_every_short_apdu_size_goes_through_byte_for_byte(twin: CcidTwin, index: int,
                                                          protocol: int) -> None:
    """Commands of 1..254 data bytes and responses of 1..256 bytes (+ SW), unchanged.

    At T=1 libccid cuts each command into IFSC-sized I-blocks (32: the ATR has no TA3) and
    the box cuts each response into IFSD-sized ones (254, after S(IFS)): chaining both ways.
    """
    slot = twin.slots[index]
    slot.answer = mirror_answer
    if index == 1:
        slot.atr = CPS_T1_ATR  # the nurse CPS comes into the empty slot
    apdus = sweep_apdus()
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-c", SWEEP], env=twin.client_env(),
                         input=json.dumps([index, [a.hex() for a in apdus]]),
                         capture_output=True, text=True, timeout=60)
    result = json.loads(run.stdout or "{}")
    assert result.get("protocol") == protocol, (run.stderr[-800:], twin.log_tail())
    assert result["answers"] == [mirror_answer(a).hex() for a in apdus]
    assert slot.received == apdus
    if protocol == 2:  # I-blocks with M set went both ways
        log = twin.log
        pairs = [(m[10:], log[i + 1][1][10:]) for i, (way, m) in enumerate(log[:-1])
                 if way == "<-" and m[0] == XFR_BLOCK]
        assert any(asked[1] & 0xA0 == 0x20 for asked, _ in pairs)
        assert any(len(answer) > 2 and answer[1] & 0xA0 == 0x20 for _, answer in pairs)
    print(f"{len(apdus)} APDUs in {time.monotonic() - started:.1f} s")


def test_the_workstation_survives_the_reader_falling_silent(twin: CcidTwin) -> None:
    """The box's daemon restarting: no answer for 5 s, then the card is read again."""
    twin.silent.set()
    time.sleep(5)
    twin.silent.clear()
    read = subprocess.run([sys.executable, "-c", READ_UNTIL_ANSWERED], env=twin.client_env(),
                          capture_output=True, text=True, timeout=40)
    assert read.stdout.split()[-1] == "CAFE01029000", (read.stdout, read.stderr[-800:], twin.log_tail())
    # The silence was met (the test would prove nothing otherwise): pcscd asked during it and
    # got no answer. (Its "Error communicating" log line is buffered: not a reliable witness.)
    assert twin.unanswered > 0


READ_UNTIL_ANSWERED = r"""
import time
from smartcard import scard
_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    hresult, readers = scard.SCardListReaders(context, [])
    if hresult == 0:
        hresult, card, protocol = scard.SCardConnect(context, readers[0], scard.SCARD_SHARE_SHARED,
                                                     scard.SCARD_PROTOCOL_T0)
    if hresult == 0:
        hresult, answer = scard.SCardTransmit(card, protocol, [0, 0xB0, 0, 0, 4])
    print(bytes(answer).hex().upper() if hresult == 0 else f"{hresult & 0xFFFFFFFF:08X}", flush=True)
    if hresult == 0:
        break
    time.sleep(0.5)
"""


# --- malformed CCID messages written raw on the line (no pcscd: the test is the host) ---


@pytest.fixture
def line(tmp_path: Path) -> Iterator[CcidTwin]:
    """The twin's core on a pty with nobody else on the host's end: the nurse CPS in slot 0."""
    twin = CcidTwin(tmp_path / "twin", slots=[FakeSlot(CPS_T1_ATR, answer=mirror_answer),
                                              FakeSlot()])
    twin.start(pcscd=False)
    yield twin
    twin.stop()


def ccid(kind: int, seq: int, data: bytes = b"", slot: int = 0,
         specific: bytes = b"\x00\x00\x00") -> bytes:
    """A PC_to_RDR message (CCID 6.1): header then data."""
    return bytes([kind]) + struct.pack("<I", len(data)) + bytes([slot, seq]) + specific + data


def framed(message: bytes) -> bytes:
    """libccid's frame around any message, even one longer than libccid would send."""
    head = bytes([0x03, 0x06]) + message
    return head + bytes([lrc(head)])


def answer_of(frame: bytes) -> bytes:
    """The CCID message in a normal answer frame."""
    assert frame[:2] == b"\x03\x06" and lrc(frame) == 0, frame.hex(" ")
    return frame[2:-1]


@pytest.mark.parametrize(("message", "answer"), [
    # Unknown bMessageType: "command not supported" (bError 0, failed) in a SlotStatus.
    (ccid(0x99, 1), "81 00000000 00 01 41 00 00"),
    # A slot the reader does not have: bError 5, the offset of bSlot.
    (ccid(0x65, 2, slot=5), "81 00000000 05 02 42 05 00"),
    # An XfrBlock longer than dwMaxCCIDMessageLength (271 = 10 + 261): bError 1 (dwLength).
    (ccid(0x6F, 3, bytes(262)), "80 00000000 00 03 41 01 00"),
    # Data on a GetSlotStatus, whose dwLength is 0: bError 1.
    (ccid(0x65, 4, bytes(3)), "81 00000000 00 04 41 01 00"),
    # SetParameters T=1 with T=0's 5-byte structure: bError 1.
    (ccid(0x61, 5, bytes(5), specific=b"\x01\x00\x00"), "82 05000000 00 05 41 01 00 11 00 00 0A 00"),
    # IccPowerOn with bPowerSelect 4: bError 7, its offset.
    (ccid(0x62, 6, specific=b"\x04\x00\x00"), "80 00000000 00 06 41 07 00"),
    # Sequence error: an XfrBlock before the card was powered: ICC mute (bError FE).
    (ccid(0x6F, 7, bytes.fromhex("00 00 02 00 B0 B2")), "80 00000000 00 07 41 FE 00"),
    # An XfrBlock to an empty slot: ICC absent, mute.
    (ccid(0x6F, 8, bytes(4), slot=1), "80 00000000 01 08 42 FE 00"),
])
def test_a_malformed_message_gets_the_ccid_error(line: CcidTwin, message: bytes,
                                                 answer: str) -> None:
    assert answer_of(line.exchange(framed(message))) == bytes.fromhex(answer)


def test_sequence_errors_get_answers_never_a_hang(line: CcidTwin) -> None:
    # bSeq is echoed whatever it is: repeated, going back.
    for seq in (7, 7, 3):
        assert answer_of(line.exchange(framed(ccid(0x65, seq))))[6] == seq
    # T=1 out of sequence: an I-block N(S) 1 where 0 is expected gets R(0, other error).
    assert answer_of(line.exchange(framed(ccid(0x62, 10, specific=b"\x01\x00\x00"))))[10:] == CPS_T1_ATR
    t1 = bytes.fromhex("18 10 00 4D 00 20 00")
    assert answer_of(line.exchange(framed(ccid(0x61, 11, t1, specific=b"\x01\x00\x00"))))[7:9] == b"\x00\x00"
    assert answer_of(line.exchange(framed(ccid(0x6F, 12, block(0x40, bytes(5))))))[10:] == block(0x82)
    # An R-block asking for nothing sent yet, then a good I-block: the exchange goes on.
    assert answer_of(line.exchange(framed(ccid(0x6F, 13, block(0x90)))))[10:] == block(0x82)
    assert answer_of(line.exchange(framed(ccid(0x6F, 14, block(0x00, bytes.fromhex(
        "00 B0 00 00 02"))))))[10:] == block(0x00, bytes.fromhex("00 01 90 00"))
    # A frame with a wrong LRC, garbage, a torn frame: NAK frames, then a good frame works.
    bad = bytearray(framed(ccid(0x65, 15)))
    bad[-1] ^= 0xFF
    assert line.exchange(bytes(bad)) == NAK_FRAME
    started = time.monotonic()
    assert line.exchange(framed(ccid(0x65, 16))[:8], timeout=3) == NAK_FRAME  # torn: dropped
    assert time.monotonic() - started < 2
    assert answer_of(line.exchange(bytes.fromhex("00 FF 42") + encode(ccid(0x65, 17)))) == (
        bytes.fromhex("81 00000000 00 11 00 00 00"))
    # The box's transport counted the two frames it refused (garbage is skipped, not refused).
    assert line.transport.counts["bad_frames"] == 2


def test_a_nak_from_the_host_gets_the_last_answer_again(line: CcidTwin) -> None:
    answer = line.exchange(framed(ccid(0x65, 1)))
    assert answer_of(answer) == bytes.fromhex("81 00000000 00 01 01 00 00")
    assert line.exchange(NAK_FRAME) == answer  # libccid's "resend your last frame"
    assert line.transport.counts == {"frames": 1, "bad_frames": 0, "naks": 1}
    assert [way for way, _ in line.log] == ["<-", "->", "<-", "->"]
    assert line.log[2][1] == NAK_FRAME
