"""The apCV presentation script (SELECT by AID + configured commands) against tables of bytes."""

from __future__ import annotations

import pytest

from borne.errors import CardError, ConfigError
from borne.readers.cards.script import drive
from borne.readers.nfc.apcv_script import apcv_settings, read_presentation, split_presentation

H = bytes.fromhex
AID = H("F0424F524E4553494D")
SELECT = H("00A4040009F0424F524E4553494D00")
GET_DATA = H("80CA000000")


def run(table: list[tuple[str, str]], commands: list[bytes] = [GET_DATA], **kwargs) -> bytes:
    """Drive the script through ``table``: (expected command, response), both hex, in order."""
    exchanges = iter(table)

    def transmit(apdu: bytes) -> bytes:
        expected, response = next(exchanges)
        assert apdu.hex().upper() == expected.upper()
        return H(response)

    result = drive(read_presentation(AID, commands, **kwargs), transmit)
    assert next(exchanges, None) is None, "the script stopped early"
    return result


def framed(*answers: bytes) -> bytes:
    return b"".join(len(a).to_bytes(2, "big") + a for a in answers)


def test_select_then_command_gives_the_framed_answer():
    assert run([(SELECT.hex(), "9000"), ("80CA000000", "0102039000")]) == framed(H("010203"))


def test_several_commands_are_framed_in_order_and_split_back():
    commands = [H("80CA000000"), H("80CB010204AABBCCDD00"), H("80CC0000")]
    result = run([(SELECT.hex(), "6F009000"),  # the FCI is not part of the presentation
                  ("80CA000000", "AA9000"),
                  ("80CB010204AABBCCDD00", "9000"),  # an empty answer still has its frame
                  ("80CC0000", "BBCC9000")], commands)
    assert result == H("0001AA" "0000" "0002BBCC")
    assert split_presentation(result) == [H("AA"), b"", H("BBCC")]


def test_61xx_is_followed_with_get_response_and_concatenated():
    first, rest = bytes(range(256)), bytes(range(44))
    result = run([(SELECT.hex(), "612A"),
                  ("00C000002A", "9000"),
                  ("80CA000000", first.hex() + "612C"),
                  ("00C000002C", rest.hex() + "9000")])
    assert split_presentation(result) == [first + rest]


def test_6cxx_resends_the_command_with_the_right_le():
    result = run([(SELECT.hex(), "6C00"),
                  ("00A4040009F0424F524E4553494D00", "9000"),
                  ("80CA000000", "6C03"),
                  ("80CA000003", "0A0B0C9000")])
    assert result == framed(H("0A0B0C"))


@pytest.mark.parametrize("sw", ["6A82", "6A81", "6D00", "6999"])
def test_select_refused_is_apcv_not_selected(sw):
    with pytest.raises(CardError) as caught:
        run([(SELECT.hex(), sw)])
    assert caught.value.code == "apcv_not_selected"
    assert caught.value.details["sw"] == sw


@pytest.mark.parametrize("sw", ["6985", "6D00", "6282", "6300"])
def test_a_command_not_answered_9000_is_apcv_refused(sw):
    with pytest.raises(CardError) as caught:
        run([(SELECT.hex(), "9000"), ("80CA000000", "0102" + sw)])
    assert caught.value.code == "apcv_refused"
    assert caught.value.details == {"command": 0, "sw": sw}


def test_the_second_command_refused_names_its_index():
    with pytest.raises(CardError) as caught:
        run([(SELECT.hex(), "9000"), ("80CA000000", "019000"), ("80CB0000", "6A88")],
            [GET_DATA, H("80CB0000")])
    assert caught.value.code == "apcv_refused"
    assert caught.value.details["command"] == 1


def test_a_presentation_over_the_limit_is_apcv_payload_too_large():
    chunk = bytes(256).hex()
    # 16 pieces of 256 bytes = 4096 data bytes, + 2 bytes of framing > 4096.
    table = [(SELECT.hex(), "9000"), ("80CA000000", chunk + "6100")]
    table += [("00C0000000", chunk + "6100")] * 14 + [("00C0000000", chunk + "9000")]
    with pytest.raises(CardError) as caught:
        run(table)
    assert caught.value.code == "apcv_payload_too_large"


def test_a_presentation_exactly_at_the_limit_is_accepted():
    answer = bytes(range(256)) * 15 + bytes(254)  # 4094 bytes + 2 bytes of framing = 4096
    table = [(SELECT.hex(), "9000"), ("80CA000000", answer[:256].hex() + "6100")]
    for offset in range(256, len(answer), 256):
        piece = answer[offset:offset + 256]
        last = offset + 256 >= len(answer)
        table.append(("00C0000000", piece.hex() + ("9000" if last else "6100")))
    assert run(table) == framed(answer)


def test_the_limit_adds_up_over_commands():
    with pytest.raises(CardError) as caught:
        run([(SELECT.hex(), "9000"), ("80CA000000", "AABB9000"), ("80CB0000", "CC9000")],
            [GET_DATA, H("80CB0000")], max_bytes=6)
    assert caught.value.code == "apcv_payload_too_large"
    assert caught.value.details["command"] == 1


def test_an_answer_without_status_word_is_a_protocol_error():
    with pytest.raises(CardError) as caught:
        run([(SELECT.hex(), "90")])
    assert caught.value.code == "card_protocol_error"


def test_endless_61xx_stops():
    with pytest.raises(CardError) as caught:
        run([(SELECT.hex(), "6101")] + [("00C0000001", "006101")] * 63)
    assert caught.value.code == "card_protocol_error"


@pytest.mark.parametrize("commands", [[], [H("80CA00")]])
def test_a_bad_script_is_refused_before_any_apdu(commands):
    with pytest.raises(ValueError):
        run([], commands)


@pytest.mark.parametrize("bad", [H("000202"), H("000001")])
def test_split_refuses_truncated_frames(bad):
    with pytest.raises(ValueError):
        split_presentation(bad)


def test_settings_decode_the_nfc_section():
    assert apcv_settings("F0424F524E4553494D", ["80CA000000", "80cb0000"]) == (
        AID, [GET_DATA, H("80CB0000")])


@pytest.mark.parametrize(("aid", "script", "key"), [
    ("F0ZZ", ["80CA000000"], "nfc.aid"),
    ("", ["80CA000000"], "nfc.aid"),
    ("00" * 17, ["80CA000000"], "nfc.aid"),
    ("F0424F524E4553494D", [], "nfc.script"),
    ("F0424F524E4553494D", ["80CA000000", "80CA"], "nfc.script[1]"),
    ("F0424F524E4553494D", ["not hex"], "nfc.script[0]"),
])
def test_bad_settings_name_the_key(aid, script, key):
    with pytest.raises(ConfigError) as caught:
        apcv_settings(aid, script, source="borne.toml")
    assert caught.value.key == key
