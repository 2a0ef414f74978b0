"""CCID over a serial line to a real pcscd with libccidtwin: the path issue 18's tests take.

A pseudo-terminal carries libccid's GemPC Twin framing (``borne.ccid.serial_frame``) between a
private pcscd with ``libccidtwin.so`` (``DEVICENAME /dev/pts/N:SEC1210``) and
``support.ccid_twin.TwinResponder``, a stand-in for the box's CCID core. A plain pyscard
program (a subprocess, as on a workstation) lists the two slots as readers, reads a card and
sees it leave.

What libccid sends to a SEC1210 (observed with ``LIBCCID_ifdLogLevel=0x0F``; seq grows by one
per message, over both slots):

- at open: ``PC_to_RDR_Escape`` ``6B 01 00 00 00 00 00 00 00 00 06`` (slot 0, data ``06``); it
  accepts any ``RDR_to_PC_Escape`` (``83``, bStatus 0) and logs its data as the firmware;
- then ``GetSlotStatus`` (``65``) on slot 0 and slot 1, every 400 ms while pcscd runs
  (bmICCStatus 0 active, 1 present and inactive, 2 absent: absent is how a removal is seen;
  the ``50 0x`` serial card-movement message is only logged by libccid);
- on a card: ``IccPowerOn`` ``62 ... 01 00 00`` (bPowerSelect 01 = 5 V), answered by a
  ``DataBlock`` (``80``) carrying the ATR. With a T=0-only ATR (the CPS ATR, no TA1, no TD1)
  NO GetParameters, SetParameters nor PPS follow: dwFeatures 0x000100B2 lets the reader do
  them; ``IccPowerOff`` (``63``) when pcscd idles the card;
- APDUs: ``XfrBlock`` (``6F``) at TPDU level (dwFeatures 0x00010000). With T=0 a case-2 APDU
  is sent as is (5 bytes, P3 = Le); a case-4 APDU comes as a TPDU WITHOUT Le, the card's
  ``61 xx`` goes back to the application unchanged (libccid sends no GET RESPONSE itself: the
  application, or pyscard's/pcsc-lite's caller, does); see ``test_apdus_reach_the_card_as_t0_tpdus``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.ccid_twin import CPS_ATR, XFR_BLOCK, CcidTwin

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
"""


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[CcidTwin]:
    """The twin, a CPS (T=0 ATR) in slot 0 and slot 1 empty."""
    twin = CcidTwin(tmp_path / "twin")
    twin.responder.slots[0].atr = CPS_ATR
    twin.start()
    yield twin
    twin.stop()


def test_apdus_reach_the_card_as_t0_tpdus(twin: CcidTwin) -> None:
    workstation = subprocess.Popen([sys.executable, "-c", WORKSTATION], env=twin.client_env(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert workstation.stdout is not None and workstation.stdin is not None
        listing = json.loads(workstation.stdout.readline() or "{}")
        assert listing.get("readers") == twin.readers, twin.log_tail()
        assert listing["present"] == {twin.readers[0]: True, twin.readers[1]: False}

        reading = json.loads(workstation.stdout.readline() or "{}")
        assert reading["connect"] == 0 and reading["protocol"] == 1  # SCARD_PROTOCOL_T0
        assert reading["answers"] == {
            "case2": "CA FE 01 02 90 00",
            "case4": "61 04",  # libccid leaves GET RESPONSE to the application
            "get_response": "CA FE 01 02 90 00",
        }
        tpdus = [m[10:].hex(" ").upper() for way, m in twin.responder.log
                 if way == "<-" and m[0] == XFR_BLOCK]
        # The case-4 APDU arrives WITH its Le: a T=0 TPDU has none, so the box must drop it.
        assert tpdus == ["00 B0 00 00 04", "00 A4 04 00 02 3F 00 00", "00 C0 00 00 04"]

        twin.responder.slots[0].atr = None  # the card leaves
        workstation.stdin.write("\n")
        workstation.stdin.flush()
        assert json.loads(workstation.stdout.readline() or "{}") == {"removed": True}
        assert workstation.wait(10) == 0
    finally:
        if workstation.poll() is None:
            workstation.kill()
            workstation.wait()
        print("\n".join(twin.responder.conversation()))
