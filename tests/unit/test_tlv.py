"""BER-TLV parser: valid layouts, and every malformation gives card_data_invalid."""

from __future__ import annotations

import pytest

from borne.errors import CardError
from borne.readers.cards import tlv

H = bytes.fromhex


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("8003414243", [(0x80, "414243", False)]),
        ("65058003414243", [(0x65, "8003414243", True)]),
        ("5F2002414A", [(0x5F20, "414A", False)]),
        ("7F218100", [(0x7F21, "", True)]),
    ],
)
def test_parse_valid(data: str, expected: list[tuple[int, str, bool]]) -> None:
    got = tlv.parse(H(data))
    assert [(o.tag, o.value.hex().upper(), o.constructed) for o in got] == [
        (t, v, c) for t, v, c in expected
    ]


def test_three_byte_tag_and_long_lengths() -> None:
    value = bytes(range(200))
    objs = tlv.parse(H("5F8101") + H("81C8") + value + H("80820003") + b"abc")
    assert [(o.tag, o.value) for o in objs] == [(0x5F8101, value), (0x80, b"abc")]


def test_padding_only_when_asked() -> None:
    data = H("0000800141FFFF00")
    assert [(o.tag, o.value) for o in tlv.parse(data, skip_padding=True)] == [(0x80, b"A")]
    with pytest.raises(CardError) as err:
        tlv.parse(data)
    assert err.value.code == "card_data_invalid"


@pytest.mark.parametrize(
    "data",
    [
        "65",  # tag without length
        "5F",  # multi-byte tag cut short
        "5F8181810100",  # tag longer than 3 bytes
        "8005414243",  # value shorter than its length
        "8081",  # long form cut short
        "80820100",  # 82 form cut short
        "808000",  # indefinite length
        "8083000001",  # 3-byte length form
        "657F8005",  # truncated beneficiary template (the sim's garbage)
    ],
)
def test_malformed_is_card_data_invalid(data: str) -> None:
    with pytest.raises(CardError) as err:
        tlv.parse(H(data))
    assert err.value.code == "card_data_invalid"


def test_children_and_find() -> None:
    (ben,) = tlv.parse(H("650A8003414243810349424A"))
    assert ben.child(0x81).value == b"IBJ"  # type: ignore[union-attr]
    assert ben.child(0x82) is None
    with pytest.raises(CardError):
        ben.child(0x80).children()  # type: ignore[union-attr]  # primitive


@pytest.mark.parametrize(
    ("data", "tags", "stopped"),
    [
        ("8001418101", [0x80], "malformed"),  # the second object's value is cut: the first stays
        ("80014181014200", [0x80, 0x81], "padding"),
        ("800141", [0x80], None),
        ("", [], None),
        ("00800141", [], "padding"),  # padding ends the data: nothing after it is read
        ("800141FF810142", [0x80], "padding"),
        ("8001418105", [0x80], "malformed"),  # length beyond the buffer
        ("80014181", [0x80], "malformed"),  # no length byte
        ("8001415F", [0x80], "malformed"),  # two-byte tag cut after its first byte
        ("80014180800141", [0x80], "malformed"),  # indefinite length
        ("6503800141" "00", [0x65], "padding"),
    ],
)
def test_parse_prefix_reads_what_is_there(data: str, tags: list[int], stopped: str | None) -> None:
    prefix = tlv.parse_prefix(H(data))
    assert ([o.tag for o in prefix.objects], prefix.stopped) == (tags, stopped)


def test_parse_prefix_keeps_values_whole() -> None:
    prefix = tlv.parse_prefix(H("800341424381024344") + b"\x00" * 5)
    assert [(o.tag, o.value) for o in prefix.objects] == [(0x80, b"ABC"), (0x81, b"CD")]
