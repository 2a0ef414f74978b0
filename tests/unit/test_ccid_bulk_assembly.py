"""Bulk-OUT reads joined into whole CCID messages by dwLength, and garbage never waited for."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from borne.ccid.bulk_assembly import STALE_AFTER_S, MessageAssembler


def message(data: bytes = b"", kind: int = 0x6F, seq: int = 0) -> bytes:
    return struct.pack("<BIBB3s", kind, len(data), 0, seq, b"\0\0\0") + data


def test_a_whole_message_in_one_read():
    assembler = MessageAssembler(271)
    assert assembler.feed(message(b"\x00\xa4\x04\x00"), 0.0) == [message(b"\x00\xa4\x04\x00")]
    assert assembler.pending == 0


@given(st.binary(max_size=300), st.integers(min_value=10, max_value=64))
def test_a_message_in_packets_comes_out_whole(data, packet):
    whole = message(data)
    assembler = MessageAssembler(65554)
    out = []
    for start in range(0, len(whole), packet):
        out += assembler.feed(whole[start:start + packet], 0.0)
    assert out == [whole]


def test_two_messages_in_one_read_come_out_in_order():
    first, second = message(b"\x01", seq=1), message(b"\x02\x03", seq=2)
    assert MessageAssembler(271).feed(first + second, 0.0) == [first, second]


def test_a_read_shorter_than_a_header_is_a_short_message_at_once():
    assert MessageAssembler(271).feed(b"\x65\x00\x00", 0.0) == [b"\x65\x00\x00"]


def test_trailing_bytes_that_cannot_be_a_header_are_a_short_message():
    whole = message(b"\x01")
    assert MessageAssembler(271).feed(whole + b"\x6f\x01", 0.0) == [whole, b"\x6f\x01"]


def test_an_oversize_dwlength_is_handed_on_at_once_and_nothing_is_buffered():
    assembler = MessageAssembler(271)
    head = struct.pack("<BIBB3s", 0x6F, 0xFFFFFFF0, 0, 7, b"\0\0\0")
    out = assembler.feed(head + b"\xAA" * 500, 0.0)
    assert out == [(head + b"\xAA" * 500)[:271]]
    assert assembler.pending == 0
    assert assembler.feed(message(), 0.1) == [message()]  # the next message is whole


def test_an_incomplete_message_is_handed_on_once_stale():
    assembler = MessageAssembler(271)
    partial = message(b"\x00" * 20)[:15]
    assert assembler.feed(partial, 0.0) == []
    assert assembler.expire(STALE_AFTER_S / 2) == []
    assert assembler.expire(STALE_AFTER_S) == [partial]
    assert assembler.pending == 0


def test_a_stale_message_is_answered_before_the_next_read():
    assembler = MessageAssembler(271)
    partial = message(b"\x00" * 20)[:15]
    assembler.feed(partial, 0.0)
    assert assembler.feed(message(), STALE_AFTER_S + 1) == [partial, message()]
