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
