"""A workstation gone bad on the CCID line, at T=1: it cannot make the box hold unbounded data.

At TPDU level (the serial twin) the host cuts each command into I-blocks and the box
reassembles them (``borne.ccid.t1_blocks``). A host that chains forever (M = 1 on every
block) must not grow the box's buffer without end: beyond the largest APDU the box takes
(an extended APDU, 65 545 bytes) the chain is dropped and the host gets R-blocks naming
the error. Garbage in any XfrBlock gets one well-formed block back, never an exception.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from borne.ccid.descriptor import CcidSettings
from borne.ccid.device import CcidDevice
from borne.ccid.t1_blocks import MAX_COMMAND, T1Card, block, lrc

from support.ccid_cards import FakeSlot

CPS_T1 = bytes.fromhex("3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44")


def test_an_endless_chain_is_dropped_at_the_largest_apdu():
    card = T1Card(ifsc=254)
    piece = bytes(254)
    answers = [card.receive(block((n % 2) << 6 | 0x20, piece)) for n in range(300)]
    assert 300 * 254 > MAX_COMMAND
    assert card.pending_command <= MAX_COMMAND
    refused = [a for a in answers if a[1] & 0x03]
    assert refused and all(a[1] & 0xEF == 0x82 for a in refused)  # R-block, other error


def _xfr(data: bytes, seq: int) -> bytes:
    return bytes([0x6F]) + struct.pack("<I", len(data)) + bytes([0, seq, 0, 0, 0]) + data


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=261), max_size=8))
def test_garbage_blocks_always_get_one_block_back(blocks):
    card = FakeSlot(CPS_T1, answer=lambda apdu: b"\x90\x00")
    device = CcidDevice([card], CcidSettings(slot_count=1, max_message_length=271,
                                             exchange_level="tpdu"))
    device.handle(bytes.fromhex("62 00000000 00 00 01 00 00"))
    t1 = bytes.fromhex("18 10 00 4D 00 20 00")
    device.handle(bytes.fromhex("61 07000000 00 00 01 00 00") + t1)
    for seq, data in enumerate(blocks):
        [answer] = device.handle(_xfr(data, seq))
        assert answer[0] == 0x80 and answer[6] == seq
        inner = answer[10:]
        assert lrc(inner) == 0 and inner[2] == len(inner) - 4
