"""Carte Vitale 2 decoding from literal bytes (cardpeek / Rufus layout)."""

from __future__ import annotations

import pytest

from borne.errors import CardError
from borne.readers.cards.model import VitaleWarning
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
    (b,), warnings = decode_beneficiaries(IDENT_ALICE, NIR_ALICE)
    assert (b.surname, b.first_name, b.birth_date, b.birth_date_lunar) == ("MARTIN-TEST", "ALICE", "1985-04-12", False)
    assert (b.nir, b.nir_key_valid, b.nir_kind) == ("285047505612322", True, "nir")
    assert warnings == ()


def test_wrong_key_reported_not_corrected() -> None:
    (b,), warnings = decode_beneficiaries(ident(b"X-TEST", b"Y", b"19951021"), nir(b"295109912611199"))
    assert (b.nir, b.nir_key_valid, warnings) == ("295109912611199", False, ())


def test_corsica_and_padding_in_text() -> None:
    (b,), _ = decode_beneficiaries(ident(b"LECLERC-TEST   ", b"JEAN\x00\x00", b"19781103"), nir(b"178112B00401746"))
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


ALICE_NIR = b"285047505612322"
ALICE = ALICE_NIR.decode()
GOOD = ident(b"A", b"B", b"19850412")


def template(*fields: bytes) -> bytes:
    body = b"".join(fields)
    return b"\x65" + bytes([len(body)]) + body


def field(tag: int, value: bytes) -> bytes:
    return bytes([tag, len(value)]) + value


def W(code: str, beneficiary: int | None = None, name: str | None = None) -> VitaleWarning:
    return VitaleWarning(code, beneficiary, name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("identity", "nirs", "people", "warnings"),
    [
        # The files disagree on the number of beneficiaries: paired by position (Rufus).
        (GOOD * 2, nir(ALICE_NIR), [("A", "B", "1985-04-12", ALICE), ("A", "B", "1985-04-12", None)],
         [W("beneficiary_count_mismatch"), W("field_missing", 1, "nir")]),
        (GOOD, nir(ALICE_NIR) * 2, [("A", "B", "1985-04-12", ALICE)], [W("beneficiary_count_mismatch")]),
        (GOOD, H("930F") + ALICE_NIR, [("A", "B", "1985-04-12", None)],  # a bare 93: no template
         [W("beneficiary_count_mismatch"), W("field_missing", 0, "nir")]),
        (GOOD, b"\0" * 32, [("A", "B", "1985-04-12", None)],  # an empty NIR file
         [W("beneficiary_count_mismatch"), W("field_missing", 0, "nir")]),
        # A template lacks a field, or holds it empty.
        (template(field(0x80, b"ABC")), nir(ALICE_NIR), [("ABC", None, None, ALICE)],
         [W("field_missing", 0, "first_name"), W("field_missing", 0, "birth_date")]),
        (GOOD, template(field(0x80, b"A")), [("A", "B", "1985-04-12", None)], [W("field_missing", 0, "nir")]),
        (template(field(0x80, b""), field(0x81, b"B"), field(0x82, b"19850412")), nir(ALICE_NIR),
         [(None, "B", "1985-04-12", ALICE)], [W("field_missing", 0, "surname")]),
        (template(field(0x80, b"   "), field(0x81, b"B"), field(0x82, b"19850412")), nir(ALICE_NIR),
         [(None, "B", "1985-04-12", ALICE)], [W("field_missing", 0, "surname")]),
        # A field is there but unreadable.
        (ident(b"A", b"B", b"1985041"), nir(ALICE_NIR), [("A", "B", None, ALICE)],
         [W("field_invalid", 0, "birth_date")]),
        (ident(b"A", b"B", b"1985-4-1"), nir(ALICE_NIR), [("A", "B", None, ALICE)],
         [W("field_invalid", 0, "birth_date")]),
        (ident(b"A\x01", b"B", b"19850412"), nir(ALICE_NIR), [(None, "B", "1985-04-12", ALICE)],
         [W("field_invalid", 0, "surname")]),
        (ident(b"A", b"B\x85", b"19850412"), nir(ALICE_NIR), [("A", None, "1985-04-12", ALICE)],
         [W("field_invalid", 0, "first_name")]),
        (GOOD, nir(b"28504750561232X"), [("A", "B", "1985-04-12", None)], [W("field_invalid", 0, "nir")]),
        (GOOD, nir(b"2850475056123"), [("A", "B", "1985-04-12", None)], [W("field_invalid", 0, "nir")]),
        # Padding (00 or FF) ends a template or a file cleanly.
        (template(field(0x80, b"A"), field(0x81, b"B"), field(0x82, b"19850412"), b"\0\0\0"),
         nir(ALICE_NIR), [("A", "B", "1985-04-12", ALICE)], []),
        (template(field(0x80, b"A"), field(0x81, b"B"), field(0x82, b"19850412"), b"\xff\xff"),
         template(field(0x93, ALICE_NIR), b"\xff") + b"\xff" * 9, [("A", "B", "1985-04-12", ALICE)], []),
        (template(field(0x80, b"A"), b"\0", field(0x81, b"B")), nir(ALICE_NIR),  # nothing after padding
         [("A", None, None, ALICE)], [W("field_missing", 0, "first_name"), W("field_missing", 0, "birth_date")]),
        (GOOD + b"\0\0" + GOOD, nir(ALICE_NIR), [("A", "B", "1985-04-12", ALICE)], []),
        # A malformed object ends a template or a file; what came before it stays.
        (template(field(0x80, b"A"), H("8105") + b"B"), nir(ALICE_NIR), [("A", None, None, ALICE)],
         [W("data_malformed", 0), W("field_missing", 0, "first_name"), W("field_missing", 0, "birth_date")]),
        (GOOD + H("653080"), nir(ALICE_NIR), [("A", "B", "1985-04-12", ALICE)], [W("data_malformed")]),
        # Objects other than the 65 templates (cardpeek's 66 "Carte vitale") are not ours.
        (H("660A80083139393930313031") + GOOD, nir(ALICE_NIR), [("A", "B", "1985-04-12", ALICE)], []),
    ],
)
def test_reads_what_is_there(identity: bytes, nirs: bytes, people: list[tuple], warnings: list) -> None:
    beneficiaries, got = decode_beneficiaries(identity, nirs)
    assert [(b.surname, b.first_name, b.birth_date, b.nir) for b in beneficiaries] == people
    assert list(got) == warnings


def test_facts_drawn_from_a_missing_field_are_null_too() -> None:
    (b,), _ = decode_beneficiaries(template(field(0x80, b"A")), b"")
    assert (b.birth_date_lunar, b.nir_key_valid, b.nir_kind) == (None, None, None)
    assert b.to_dict() == {"surname": "A", "first_name": None, "birth_date": None, "birth_date_lunar": None,
                           "nir": None, "nir_key_valid": None, "nir_kind": None}


@pytest.mark.parametrize(
    ("identity", "nirs"),
    [
        (H("0000"), nir(ALICE_NIR)),  # no template at all
        (b"", nir(ALICE_NIR)),  # an empty names file
        (IDENT_ALICE[:-6], NIR_ALICE),  # the only template is truncated
        (H("6500"), b""),  # a template with nothing readable, and no NIR
        (template(field(0x80, b"\x01"), field(0x82, b"x")), template(field(0x93, b"12"))),  # nothing readable
        (H("930F") + ALICE_NIR, H("930F") + ALICE_NIR),  # no 65 in the names file
        (H("653080") + GOOD, nir(ALICE_NIR)),  # malformed from the first byte on
    ],
)
def test_no_identity_at_all_is_data_invalid(identity: bytes, nirs: bytes) -> None:
    with pytest.raises(CardError) as err:
        decode_beneficiaries(identity, nirs)
    assert err.value.code == "card_data_invalid"


def test_warnings_carry_no_identity_data() -> None:
    _, warnings = decode_beneficiaries(ident(b"DUPONT-TEST", b"B\x85", b"1985041"), nir(b"28504750561232X"))
    text = repr([w.to_dict() for w in warnings])
    for secret in ("DUPONT", "1985041", "28504750561232X", "2850475056123"):
        assert secret not in text


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
