"""The card's side of T=1 (ISO/IEC 7816-3 section 11), block by block, as bytes.

The first rows are what libccid 1.5.2 really sent to the serial twin (plan18.md,
tests/integration/test_ccid_twin.py's docstring); the others follow section 11's rules.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.ccid.t1_blocks import Apdu, T1Card, block, lrc


def hx(text: str) -> bytes:
    return bytes.fromhex(text)


def test_libccids_ifs_request_gets_the_ifs_response_it_saw():
    card = T1Card()
    assert card.receive(hx("00 C1 01 FE 3E")) == hx("00 E1 01 FE 1E")
    assert card.ifsd == 254


def test_libccids_i_block_is_one_apdu_and_the_answer_is_one_i_block():
    card = T1Card()
    assert card.receive(hx("00 00 08 00 A4 04 00 02 3F 00 00 95")) == Apdu(
        hx("00 A4 04 00 02 3F 00 00"))
    assert card.respond(hx("CA FE 01 02 90 00")) == hx("00 00 06 CA FE 01 02 90 00 A1")


def test_sequence_numbers_alternate_in_both_directions():
    card = T1Card()
    assert card.receive(block(0x00, hx("00 B0 00 00 02"))) == Apdu(hx("00 B0 00 00 02"))
    assert card.respond(hx("90 00")) == block(0x00, hx("90 00"))
    assert card.receive(block(0x40, hx("00 B0 00 00 02"))) == Apdu(hx("00 B0 00 00 02"))
    assert card.respond(hx("6A 82")) == block(0x40, hx("6A 82"))
    assert card.receive(block(0x00, hx("00 B0"))) == Apdu(hx("00 B0"))


def test_the_lrc_is_the_xor_of_the_block():
    assert lrc(hx("00 C1 01 FE")) == 0x3E
    assert block(0x81) == hx("00 81 00 81")
    with pytest.raises(ValueError):
        block(0x00, bytes(255))


def test_a_chained_command_is_acknowledged_piece_by_piece():
    """Rule 5: M = 1 gets R(N(R) = the next N(S)); the last piece completes the APDU."""
    card = T1Card(ifsc=32)
    command = hx("80 10 00 00 FE") + bytes(range(254)) + hx("00")
    pieces = [command[i:i + 32] for i in range(0, len(command), 32)]
    for index, piece in enumerate(pieces[:-1]):
        pcb = (index % 2) << 6 | 0x20
        assert card.receive(block(pcb, piece)) == block(0x80 | ((index + 1) % 2) << 4)
    last = len(pieces) - 1
    assert card.receive(block((last % 2) << 6, pieces[-1])) == Apdu(command)


def test_a_long_response_is_chained_in_ifsd_pieces():
    card = T1Card()
    card.receive(hx("00 C1 01 FE 3E"))
    response = bytes(range(256)) + hx("90 00")
    assert card.receive(block(0x00, hx("00 B0 00 00 00"))) == Apdu(hx("00 B0 00 00 00"))
    assert card.respond(response) == block(0x20, response[:254])  # I(0, M)
    assert card.receive(hx("00 90 00 90")) == block(0x40, response[254:])  # R(1) -> I(1)
    # The next command starts with the interface's N(S) 1.
    assert card.receive(block(0x40, hx("00 C0 00 00 00"))) == Apdu(hx("00 C0 00 00 00"))


def test_ifsd_starts_at_32():
    card = T1Card()
    card.receive(block(0x00, hx("00 B0 00 00 28")))
    answer = bytes(40) + hx("90 00")
    assert card.respond(answer) == block(0x20, answer[:32])
    assert card.receive(block(0x90)) == block(0x40, answer[32:])


def test_an_r_block_asking_again_gets_the_last_block_again():
    """Rule 7.3: the interface names the N(S) it did not get: retransmission."""
    card = T1Card()
    card.receive(block(0x00, hx("00 B0 00 00 02")))
    sent = card.respond(hx("12 34 90 00"))
    assert card.receive(block(0x81)) == sent  # R(0), EDC error: our I(0) again
    assert card.receive(block(0x82)) == sent
    assert card.receive(block(0x40, hx("00 B0"))) == Apdu(hx("00 B0"))


def test_a_lost_chain_piece_is_sent_again():
    card = T1Card()
    card.receive(block(0x00, hx("00 B0 00 00 00")))
    first = card.respond(bytes(40))
    assert card.receive(block(0x80)) == first  # R(0): the interface wants I(0, M) again
    assert card.receive(block(0x90)) == block(0x40, bytes(8))


def test_a_lost_acknowledgement_of_a_chained_command_is_sent_again():
    card = T1Card()
    ack = card.receive(block(0x20, hx("00 D6 00 00 04 01")))
    assert ack == block(0x90)
    assert card.receive(block(0x82)) == ack  # R(0), error: it did not get our R(1)
    assert card.receive(block(0x40, hx("02 03 04"))) == Apdu(hx("00 D6 00 00 04 01 02 03 04"))


@pytest.mark.parametrize(("received", "answer"), [
    (hx("00 00 02 00 B0 B3"), block(0x81)),  # wrong LRC: EDC error, N(R) 0
    (hx("00 00 03 00 B0 B3"), block(0x82)),  # LEN says 3, INF holds 2
    (hx("00 00"), block(0x82)),  # too short to be a block
    (block(0x40, hx("00 B0")), block(0x82)),  # N(S) 1 when 0 is expected
    (block(0x01, hx("00 B0")), block(0x82)),  # I-block PCB with reserved bits set
    (block(0xC1, hx("00")), block(0x82)),  # S(IFS request) with IFS 0
    (block(0xC1, hx("FF")), block(0x82)),  # S(IFS request) with IFS 255
    (block(0xC1, hx("20 20")), block(0x82)),  # S(IFS request) with two bytes
    (block(0xC3, hx("01")), block(0x82)),  # S(WTX request): the interface may not
    (block(0xE3, hx("01")), block(0x82)),  # S(WTX response) to no request of ours
    (block(0xC4), block(0x82)),  # S(VPP error): not an interface's block
    (block(0xA0), block(0x82)),  # R-block PCB with a reserved bit
    (block(0x80, hx("00")), block(0x82)),  # R-block with INF
    (block(0x80), block(0x82)),  # R-block before the card sent anything
])
def test_a_bad_block_gets_an_r_block_naming_the_expected_i_block(received, answer):
    assert T1Card().receive(received) == answer


def test_an_i_block_over_ifsc_is_refused():
    card = T1Card(ifsc=32)
    assert card.receive(block(0x00, bytes(33))) == block(0x82)
    assert card.receive(block(0x00, bytes(32))) == Apdu(bytes(32))


def test_a_bad_block_keeps_the_chain_being_received():
    card = T1Card()
    assert card.receive(block(0x20, hx("01 02"))) == block(0x90)
    assert card.receive(hx("00 40 01 03 00")) == block(0x91)  # wrong LRC; expects N(S) 1
    assert card.receive(block(0x40, hx("03"))) == Apdu(hx("01 02 03"))


def test_resynch_puts_sequence_numbers_and_ifsd_back():
    card = T1Card()
    card.receive(hx("00 C1 01 FE 3E"))
    card.receive(block(0x00, hx("00 B0")))
    card.respond(hx("90 00"))
    assert card.receive(hx("00 C0 00 C0")) == hx("00 E0 00 E0")  # S(RESYNCH) response
    assert card.ifsd == 32
    assert card.receive(block(0x00, hx("00 B0"))) == Apdu(hx("00 B0"))
    assert card.respond(hx("90 00")) == block(0x00, hx("90 00"))


def test_abort_drops_the_chain_in_progress():
    card = T1Card()
    card.receive(block(0x20, hx("01 02")))
    assert card.receive(block(0xC2)) == block(0xE2)  # S(ABORT) response
    assert card.receive(block(0x40, hx("09"))) == Apdu(hx("09"))


def test_reset_takes_a_new_ifsc_and_refuses_an_impossible_one():
    card = T1Card()
    card.reset(ifsc=254)
    assert card.ifsc == 254
    with pytest.raises(ValueError):
        card.reset(ifsc=0)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_get_one_block_or_an_apdu(data):
    answer = T1Card().receive(data)
    assert isinstance(answer, Apdu) or (lrc(answer) == 0 and answer[2] == len(answer) - 4)
