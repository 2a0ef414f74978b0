"""The CCID core at TPDU exchange level (the serial twin): T=0 passed through, T=1 in blocks.

The CCID messages are libccid 1.5.2's, as it sent them to the twin (a SEC1210, dwFeatures
0x000100B2): SetParameters for T=1, the S(IFS request), an I-block with an APDU.
"""

from __future__ import annotations

import struct

import pytest

from borne.ccid.descriptor import CcidSettings, class_descriptor
from borne.ccid.device import CcidDevice
from borne.ccid.t1_blocks import block

from support.ccid_cards import FakeSlot, echo_slot

T0_ATR = bytes.fromhex("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00")
CPS_T1_ATR = bytes.fromhex("3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44")
T1_FIRST_ATR = bytes.fromhex("3B 80 01 81")  # TD1 = 01: T=1 is the first protocol offered
# libccid's SetParameters for the CPS T=1 ATR: Fi/Di 18, LRC, BWI/CWI 4D, IFSC 0x20.
LIBCCID_T1 = bytes.fromhex("18 10 00 4D 00 20 00")


def command(kind: int, slot: int = 0, seq: int = 0, data: bytes = b"",
            specific: bytes = b"\x00\x00\x00") -> bytes:
    return bytes([kind]) + struct.pack("<I", len(data)) + bytes([slot, seq]) + specific + data


def tpdu_device(*cards: FakeSlot) -> CcidDevice:
    return CcidDevice(list(cards), CcidSettings(slot_count=len(cards), max_message_length=271,
                                                exchange_level="tpdu"))


def xfr(device: CcidDevice, data: bytes, seq: int = 9) -> bytes:
    [answer] = device.handle(command(0x6F, seq=seq, data=data))
    assert answer[:10] == bytes([0x80]) + struct.pack("<I", len(answer) - 10) + bytes(
        [0, seq, 0, 0, 0])
    return answer[10:]


def test_the_exchange_level_is_apdu_unless_told_and_nothing_else():
    assert CcidSettings().exchange_level == "apdu"
    with pytest.raises(ValueError, match="exchange_level"):
        CcidSettings(exchange_level="character")  # type: ignore[arg-type]


def test_the_descriptor_says_which_level():
    def features(level: str) -> int:
        built = class_descriptor(CcidSettings(exchange_level=level))  # type: ignore[arg-type]
        return int.from_bytes(built[40:44], "little") & 0x00070000

    assert features("apdu") == 0x00040000
    assert features("tpdu") == 0x00010000


def test_t0_passes_the_bytes_through_as_they_come():
    card = FakeSlot(T0_ATR, answer=lambda apdu: bytes.fromhex("61 04"))
    device = tpdu_device(card)
    device.handle(command(0x62, specific=b"\x01\x00\x00"))
    device.handle(command(0x61, data=bytes.fromhex("11 00 00 2A 00")))
    assert xfr(device, bytes.fromhex("00 A4 04 00 02 3F 00 00")) == bytes.fromhex("61 04")
    assert card.received == [bytes.fromhex("00 A4 04 00 02 3F 00 00")]


def test_t1_as_libccid_drives_it():
    card = FakeSlot(CPS_T1_ATR, answer=lambda apdu: bytes.fromhex("CA FE 01 02 90 00"))
    device = tpdu_device(card)
    [atr] = device.handle(command(0x62, seq=1, specific=b"\x01\x00\x00"))
    assert atr[10:] == CPS_T1_ATR
    assert device.handle(command(0x61, seq=2, data=LIBCCID_T1, specific=b"\x01\x00\x00")) == [
        bytes.fromhex("82 07000000 00 02 00 00 01") + LIBCCID_T1]
    assert xfr(device, bytes.fromhex("00 C1 01 FE 3E")) == bytes.fromhex("00 E1 01 FE 1E")
    assert xfr(device, bytes.fromhex("00 00 08 00 A4 04 00 02 3F 00 00 95")) == bytes.fromhex(
        "00 00 06 CA FE 01 02 90 00 A1")
    assert card.received == [bytes.fromhex("00 A4 04 00 02 3F 00 00")]


def test_t1_chains_both_ways_within_ifsc_and_ifsd():
    card = FakeSlot(CPS_T1_ATR, answer=lambda apdu: bytes(range(256)) + b"\x90\x00")
    device = tpdu_device(card)
    device.handle(command(0x62))
    device.handle(command(0x61, data=LIBCCID_T1, specific=b"\x01\x00\x00"))
    xfr(device, bytes.fromhex("00 C1 01 FE 3E"))
    assert xfr(device, block(0x00, bytes(33))) == block(0x82)  # over IFSC 0x20: refused
    apdu = bytes.fromhex("80 CA 00 00 30") + bytes(range(48)) + b"\x00"
    assert xfr(device, block(0x20, apdu[:32])) == block(0x90)
    assert xfr(device, block(0x40, apdu[32:])) == block(0x20, bytes(range(254)))
    assert xfr(device, block(0x90)) == block(0x40, bytes([254, 255]) + b"\x90\x00")
    assert card.received == [apdu]


@pytest.mark.parametrize(("structure", "error"), [
    ("18 11 00 4D 00 20 00", 11),  # bmTCCKST1 asks for CRC: offset of bmTCCKST1
    ("18 10 00 4D 00 00 00", 15),  # bIFSC 0: offset of bIFSC
    ("18 10 00 4D 00 FF 00", 15),  # bIFSC 255
])
def test_t1_parameters_the_box_cannot_keep_are_refused(structure, error):
    device = tpdu_device(echo_slot(CPS_T1_ATR))
    device.handle(command(0x62))
    [answer] = device.handle(command(0x61, data=bytes.fromhex(structure),
                                     specific=b"\x01\x00\x00"))
    assert (answer[0], answer[7], answer[8]) == (0x82, 0x40, error)  # failed, bError offset


def test_power_off_and_on_go_back_to_the_atrs_first_protocol():
    card = echo_slot(CPS_T1_ATR)
    device = tpdu_device(card)
    device.handle(command(0x62))
    device.handle(command(0x61, data=LIBCCID_T1, specific=b"\x01\x00\x00"))
    device.handle(command(0x63))
    device.handle(command(0x62))
    # T=0 again (this ATR offers T=0 first): the bytes go through as an APDU.
    assert xfr(device, bytes.fromhex("00 B0 00 00 02 AB CD")) == bytes.fromhex("AB CD 90 00")
    [parameters] = device.handle(command(0x6C))
    assert parameters[9] == 0


def test_an_atr_offering_t1_first_starts_in_t1():
    card = echo_slot(T1_FIRST_ATR)
    device = tpdu_device(card)
    device.handle(command(0x62))
    [parameters] = device.handle(command(0x6C))
    assert parameters[9] == 1
    assert xfr(device, block(0x00, bytes.fromhex("00 B0 00 00 02 AB CD"))) == block(
        0x00, bytes.fromhex("AB CD 90 00"))


def test_a_t1_chain_does_not_survive_a_power_cycle():
    card = echo_slot(CPS_T1_ATR)
    device = tpdu_device(card)
    device.handle(command(0x62))
    device.handle(command(0x61, data=LIBCCID_T1, specific=b"\x01\x00\x00"))
    assert xfr(device, block(0x20, bytes.fromhex("00 B0"))) == block(0x90)
    device.handle(command(0x62))
    device.handle(command(0x61, data=LIBCCID_T1, specific=b"\x01\x00\x00"))
    assert xfr(device, block(0x00, bytes.fromhex("00 B0 00 00"))) == block(0x00, b"\x90\x00")
    assert card.received == [bytes.fromhex("00 B0 00 00")]


def test_at_apdu_level_t1_parameters_change_nothing_in_xfr_block():
    card = echo_slot(CPS_T1_ATR)
    device = CcidDevice([card])
    device.handle(command(0x62))
    device.handle(command(0x61, data=LIBCCID_T1, specific=b"\x01\x00\x00"))
    assert xfr(device, bytes.fromhex("00 B0 00 00 02 AB CD")) == bytes.fromhex("AB CD 90 00")
