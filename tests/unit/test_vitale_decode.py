"""Carte Vitale 2 decoding from literal bytes (cardpeek / Rufus layout)."""

from __future__ import annotations

import pytest

from borne.errors import CardError
from borne.readers.cards.vitale import decode_beneficiaries, decode_birth_date, probe_vitale
from borne.readers.cards.script import drive

H = bytes.fromhex


def ident(surname: bytes, first: bytes, birth: bytes) -> bytes:
    body = b"\x80" + bytes([len(surname)]) + surname + b"\x81" + bytes([len(first)]) + first
    body += b"\x82" + bytes([len(birth)]) + birth
    return b"\x65" + bytes([len(body)]) + body


def nir(value: bytes) -> bytes:
    return b"\x65" + bytes([len(value) + 2]) + b"\x93" + bytes([len(value)]) + value


# 65 { 80 "MARTIN-TEST" 81 "ALICE" 82 "19850412" } + zero padding
IDENT_ALICE = H("651E800B4D415254494E2D544553548105414C49434582083139383530343132") + b"\0\0"
NIR_ALICE = H("6511930F323835303437353035363132333232") + b"\0\0\0"


def test_literal_layout() -> None:
    (b,) = decode_beneficiaries(IDENT_ALICE, NIR_ALICE)
    assert (b.surname, b.first_name, b.birth_date, b.birth_date_lunar) == ("MARTIN-TEST", "ALICE", "1985-04-12", False)
    assert (b.nir, b.nir_key_valid, b.nir_kind) == ("285047505612322", True, "nir")


def test_wrong_key_reported_not_corrected() -> None:
    (b,) = decode_beneficiaries(ident(b"X-TEST", b"Y", b"19951021"), nir(b"295109912611199"))
    assert (b.nir, b.nir_key_valid) == ("295109912611199", False)


def test_corsica_and_padding_in_text() -> None:
    (b,) = decode_beneficiaries(ident(b"LECLERC-TEST   ", b"JEAN\x00\x00", b"19781103"), nir(b"178112B00401746"))
    assert (b.surname, b.first_name, b.nir_key_valid) == ("LECLERC-TEST", "JEAN", True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"19850412", ("1985-04-12", False)),
        (b"20150600", ("2015-06-00", True)),
        (b"20150035", ("2015-00-35", True)),
        (b"20230229", ("2023-02-29", True)),
        (b"20240229", ("2024-02-29", False)),
    ],
)
def test_birth_dates(raw: bytes, expected: tuple[str, bool]) -> None:
    assert decode_birth_date(raw) == expected


@pytest.mark.parametrize(
    ("identity", "nirs"),
    [
        (ident(b"A", b"B", b"19850412") * 2, nir(b"285047505612322")),  # 2 names, 1 NIR
        (ident(b"A", b"B", b"1985041"), nir(b"285047505612322")),  # short date
        (ident(b"A", b"B", b"1985-4-1"), nir(b"285047505612322")),  # not digits
        (ident(b"A\x01", b"B", b"19850412"), nir(b"285047505612322")),  # control byte
        (ident(b"A\x85", b"B", b"19850412"), nir(b"285047505612322")),  # C1 garbage
        (ident(b"A", b"B", b"19850412"), nir(b"28504750561232X")),  # bad NIR format
        (ident(b"A", b"B", b"19850412"), nir(b"2850475056123")),  # short NIR
        (H("65058003414243"), nir(b"285047505612322")),  # no first name / date
        (ident(b"A", b"B", b"19850412"), H("6503800141")),  # no 93 in the template
        (ident(b"A", b"B", b"19850412"), H("930F323835303437353035363132333232")),  # bare 93
        (H("0000"), nir(b"285047505612322")),  # no template at all
        (IDENT_ALICE[:-6], NIR_ALICE),  # truncated TLV
    ],
)
def test_invalid_data(identity: bytes, nirs: bytes) -> None:
    with pytest.raises(CardError) as err:
        decode_beneficiaries(identity, nirs)
    assert err.value.code == "card_data_invalid"


def table(rows: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    steps = iter(rows)

    def transmit(command: bytes) -> bytes:
        expected, answer = next(steps)
        assert command.hex().upper() == expected
        return H(answer) if isinstance(answer, str) else answer

    return transmit


def test_probe_exact_commands() -> None:
    t = table(
        [
            ("00A40000023F00", "9000"),
            ("00B0820000", IDENT_ALICE.hex() + "9000"),
            ("00A404000BD250000002564954414C45", "9000"),
            ("00B0820000", NIR_ALICE.hex() + "9000"),
        ]
    )
    card = drive(probe_vitale(b"\x3b"), t)
    assert card is not None and card.beneficiaries[0].nir == "285047505612322"


def test_probe_long_file_continues_by_offset() -> None:
    people = b"".join(ident(b"N%03d-TEST" % i, b"P", b"20000101") for i in range(10))
    numbers = nir(b"285047505612322") * 10
    assert len(people) > 256
    t = table(
        [
            ("00A40000023F00", "9000"),
            ("00B0820000", people[:256].hex() + "9000"),
            ("00B0010000", people[256:].hex() + "9000"),
            ("00A404000BD250000002564954414C45", "9000"),
            ("00B0820000", numbers.hex() + "9000"),
        ]
    )
    card = drive(probe_vitale(b"\x3b"), t)
    assert card is not None and [b.surname for b in card.beneficiaries][-1] == "N009-TEST"


def test_probe_refused_mf_is_not_a_vitale() -> None:
    assert drive(probe_vitale(b"\x3b"), table([("00A40000023F00", "6A82")])) is None


def test_probe_nir_read_refused_is_protocol_error() -> None:
    t = table(
        [
            ("00A40000023F00", "9000"),
            ("00B0820000", IDENT_ALICE.hex() + "9000"),
            ("00A404000BD250000002564954414C45", "9000"),
            ("00B0820000", "6982"),
        ]
    )
    with pytest.raises(CardError) as err:
        drive(probe_vitale(b"\x3b"), t)
    assert err.value.code == "card_protocol_error"
