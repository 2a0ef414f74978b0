"""CPS decoding: EF.SN.ICC bytes, certificate subject, and the CPS script."""

from __future__ import annotations

import pytest

from borne.errors import CardError
from borne.readers.cards import cps
from borne.readers.cards.script import drive
from borne.sim.cards.build import SIM_CERT_PATH, holder_certificate

H = bytes.fromhex


@pytest.mark.parametrize(
    ("data", "serial"),
    [
        ("5A0A8025000001100000214F", "10000021"),
        ("5A0A8025000001290099523F", "29009952"),
    ],
)
def test_serial(data: str, serial: str) -> None:
    assert cps.decode_serial(H(data)) == serial


@pytest.mark.parametrize(
    "data",
    [
        "5A0A9025000001100000214F",  # another issuer
        "5A0A80250000011000",  # truncated
        "5B0A8025000001100000214F",  # not tag 5A
        "5A0A80250000011A0000214F",  # not BCD
        "5A03802500",  # too short for a serial
    ],
)
def test_serial_invalid(data: str) -> None:
    with pytest.raises(CardError) as err:
        cps.decode_serial(H(data))
    assert err.value.code == "card_data_invalid"


def test_certificate_subject() -> None:
    der = holder_certificate("DURAND-TEST", "PAUL", "899900000021", "21")
    holder, code = cps.decode_certificate(der)
    assert (holder.surname, holder.first_name, holder.identifier, code) == (
        "DURAND-TEST",
        "PAUL",
        "899900000021",
        "21",
    )


def test_layout_override_changes_attributes() -> None:
    der = holder_certificate("DURAND-TEST", "PAUL", "899900000021", "21")
    swapped = cps.CpsLayout(profession_oid="2.5.4.5", identifier_oid="2.5.4.12")
    holder, code = cps.decode_certificate(der, swapped)
    assert (holder.identifier, code) == ("21", "899900000021")


@pytest.mark.parametrize("der", [b"", b"\x30\x03\x02\x01\x01", b"not a certificate"])
def test_certificate_garbage(der: bytes) -> None:
    with pytest.raises(CardError) as err:
        cps.decode_certificate(der)
    assert err.value.code == "card_data_invalid"


@pytest.mark.parametrize(
    ("code", "key"),
    [("10", "doctor"), ("21", "pharmacist"), ("40", "dentist"), ("50", "midwife"), ("60", "nurse"),
     ("70", "physiotherapist"), ("80", "podiatrist"), ("99", None), (None, None)],
)
def test_professions(code: str | None, key: str | None) -> None:
    assert cps.profession_for(code)[0] == key


def test_simulator_layout_matches_default() -> None:
    assert cps.CpsLayout().cert_path == SIM_CERT_PATH


def test_script_without_certificate_keeps_serial() -> None:
    rows = iter(
        [
            ("00A4080002D003", "9000"),
            ("00B000000C", "5A0A8025000001100000214F9000"),
            ("00A4080004B02EC001", "6A82"),
        ]
    )

    def transmit(command: bytes) -> bytes:
        expected, answer = next(rows)
        assert command.hex().upper() == expected
        return H(answer)

    card = drive(cps.read_cps(b"\x3b", "CPS3"), transmit)
    assert (card.serial, card.holder, card.profession, card.generation) == ("10000021", None, None, "CPS3")


def test_script_truncated_certificate() -> None:
    der = holder_certificate("DURAND-TEST", "PAUL", "899900000021", "21")
    rows = iter(
        [
            ("00A4080002D003", "6A82"),
            ("00A4080004B02EC001", "9000"),
            ("00B0000000", (der[:100] + b"\x90\x00").hex()),
            (f"00B00064{min(256, len(der) - 100) & 0xFF:02X}", "6B00"),
        ]
    )

    def transmit(command: bytes) -> bytes:
        expected, answer = next(rows)
        assert command.hex().upper() == expected
        return H(answer)

    with pytest.raises(CardError) as err:
        drive(cps.read_cps(b"\x3b", "CPS4"), transmit)
    assert err.value.code == "card_data_invalid"


@pytest.mark.parametrize("kind", ["CPS", "CPE", "CPF", "CPA"])
def test_kind_read_where_the_layout_says(kind: str) -> None:
    der = holder_certificate("BLANC-TEST", "CLAIRE", "899900000035", None, kind)
    subject = cps.decode_subject(der)
    assert (subject.kind, subject.profession_code, subject.holder.surname) == (kind, None, "BLANC-TEST")


@pytest.mark.parametrize("value", [None, "cps", "Médecin", "CPX", "21", ""])
def test_anything_but_a_tre_r87_code_is_no_kind(value: str | None) -> None:
    der = holder_certificate("ROUX-TEST", "HELENE", "899900000010", "10", value)
    assert cps.decode_subject(der).kind is None


def test_kind_not_read_when_the_layout_has_no_attribute_for_it() -> None:
    der = holder_certificate("BLANC-TEST", "CLAIRE", "899900000035", None, "CPE")
    assert cps.decode_subject(der, cps.CpsLayout(kind_oid="")).kind is None
    # Another deployment's attribute: here the profession's (title) holds no TRE_R87 code.
    assert cps.decode_subject(der, cps.CpsLayout(kind_oid="2.5.4.12")).kind is None


def _card_from(der: bytes):  # type: ignore[no-untyped-def]
    rows = iter([("00A4080002D003", "6A82"), ("00A4080004B02EC001", "9000"),
                 ("00B0000000", (der[:200] + b"\x90\x00").hex())]
                + [(None, (der[o:o + 256] + b"\x90\x00").hex()) for o in range(200, len(der), 256)])

    def transmit(command: bytes) -> bytes:
        expected, answer = next(rows)
        assert expected is None or command.hex().upper() == expected
        return H(answer)

    return drive(cps.read_cps(b"\x3b", "CPS3"), transmit)


@pytest.mark.parametrize(("kind", "profession", "label"), [
    ("CPS", "pharmacist", "Pharmacien"),
    (None, "pharmacist", "Pharmacien"),
    # On a CPF the code is TRE_G16's: the same "21" is a pharmacist in training.
    ("CPF", "pharmacist_in_training", "Pharmacien en formation"),
])
def test_a_cpf_profession_is_read_in_the_training_table(kind, profession, label) -> None:  # type: ignore[no-untyped-def]
    card = _card_from(holder_certificate("MOREAU-TEST", "THEO", "899900000121", "21", kind))
    assert (card.kind, card.profession, card.profession_code, card.profession_label) == (kind, profession, "21", label)
    assert card.to_dict()["kind"] == kind


def test_kind_attribute_is_a_setting() -> None:
    from borne.config import parse_config

    assert parse_config({}).readers.cps.to_layout().kind_oid == cps.CpsLayout().kind_oid == "2.5.4.15"
    assert parse_config({"readers": {"cps": {"kind_oid": ""}}}).readers.cps.to_layout().kind_oid == ""
