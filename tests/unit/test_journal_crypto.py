"""The journal's envelope: round trips for every scheme, and every kind of tampering refused clearly."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from borne.journal.crypto import open_record, public_key_of, seal
from borne.journal.errors import JournalError
from borne.journal.header import RecordHeader

HEADER = RecordHeader(seq=7, read_id=7, client_id="ws-a", kind="vitale", mono_ns=123,
                      boot_id="b", wall="2026-01-01T00:00:00.000+00:00", wall_synced=False,
                      wall_source="none", created=1767225600).to_bytes()
SECRET = b'{"nir":"180017512345611","surname":"DUPONT"}'


@pytest.fixture(scope="module")
def keys():
    return {"p256": ec.generate_private_key(ec.SECP256R1()),
            "p384": ec.generate_private_key(ec.SECP384R1()),
            "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048)}


@pytest.mark.parametrize("name, scheme", [("p256", 1), ("p384", 2), ("rsa", 3)])
def test_round_trip_for_each_key_kind(keys, name, scheme):
    key = keys[name]
    envelope = seal(key.public_key(), HEADER, SECRET, client_id="ws-a")
    assert envelope[:2] == bytes([1, scheme])
    assert SECRET not in envelope
    assert open_record(key, HEADER, envelope, client_id="ws-a") == SECRET


def test_two_seals_of_the_same_record_differ(keys):
    # A fresh ephemeral key (and nonce) each time: nothing links two records of one patient.
    a = seal(keys["p256"].public_key(), HEADER, SECRET, client_id="ws-a")
    b = seal(keys["p256"].public_key(), HEADER, SECRET, client_id="ws-a")
    assert a != b and a[2:67] != b[2:67]


@pytest.mark.parametrize("name", ["p256", "p384", "rsa"])
def test_a_changed_header_is_refused(keys, name):
    key = keys[name]
    envelope = seal(key.public_key(), HEADER, SECRET, client_id="ws-a")
    swapped = HEADER.replace(b'"seq":7', b'"seq":8')
    assert swapped != HEADER
    with pytest.raises(JournalError) as caught:
        open_record(key, swapped, envelope, client_id="ws-a")
    assert caught.value.code == "journal_record_unreadable"


@pytest.mark.parametrize("name", ["p256", "rsa"])
def test_every_flipped_bit_position_class_is_refused(keys, name):
    key = keys[name]
    envelope = seal(key.public_key(), HEADER, SECRET, client_id="ws-a")
    # Every byte of the envelope, one bit each: prefix, key material, nonce, ciphertext, tag.
    for index in range(len(envelope)):
        broken = bytearray(envelope)
        broken[index] ^= 0x01
        with pytest.raises(JournalError) as caught:
            open_record(key, HEADER, bytes(broken), client_id="ws-a")
        assert caught.value.code in ("journal_record_unreadable", "journal_envelope_malformed"), index


def test_the_wrong_key_is_refused(keys):
    envelope = seal(keys["p256"].public_key(), HEADER, SECRET, client_id="ws-a")
    other = ec.generate_private_key(ec.SECP256R1())
    for key in (other, keys["p384"], keys["rsa"]):
        with pytest.raises(JournalError) as caught:
            open_record(key, HEADER, envelope, client_id="ws-a")
        assert caught.value.code == "journal_record_unreadable"
    rsa_envelope = seal(keys["rsa"].public_key(), HEADER, SECRET, client_id="ws-a")
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for key in (other_rsa, keys["p256"]):
        with pytest.raises(JournalError) as caught:
            open_record(key, HEADER, rsa_envelope, client_id="ws-a")
        assert caught.value.code == "journal_record_unreadable"


@pytest.mark.parametrize("name", ["p256", "rsa"])
def test_another_client_id_is_refused(keys, name):
    envelope = seal(keys[name].public_key(), HEADER, SECRET, client_id="ws-a")
    with pytest.raises(JournalError) as caught:
        open_record(keys[name], HEADER, envelope, client_id="ws-b")
    assert caught.value.code == "journal_record_unreadable"


def test_malformed_envelopes_say_so(keys):
    key = keys["p256"]
    envelope = seal(key.public_key(), HEADER, SECRET, client_id="ws-a")
    for broken, why in ((b"", "prefix"), (b"\x02" + envelope[1:], "version 2"),
                        (b"\x01\x09" + envelope[2:], "scheme 9"), (envelope[:40], "truncated"),
                        (envelope[:67 + 20], "no room for the tag")):
        with pytest.raises(JournalError) as caught:
            open_record(key, HEADER, broken, client_id="ws-a")
        assert caught.value.code == "journal_envelope_malformed", why
        assert caught.value.message("en").startswith("Malformed journal record")


def test_unsupported_keys_are_refused_when_sealing():
    for key in (ec.generate_private_key(ec.SECP521R1()).public_key(),
                ed25519.Ed25519PrivateKey.generate().public_key(),
                rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()):
        with pytest.raises(JournalError) as caught:
            seal(key, HEADER, SECRET, client_id="ws-a")
        assert caught.value.code == "journal_key_unsupported"


def test_public_key_of_a_workstation_certificate(tmp_path):
    from borne.client.pairing import make_key_and_csr
    from borne.secure_channel.ca import BoxCA
    from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

    key_pem, csr = make_key_and_csr("Poste 1")
    certificate = BoxCA.load_or_create(tmp_path).issue_client_cert(csr, client_id="ws-a", name="x")
    public = public_key_of(certificate.public_bytes(Encoding.PEM))
    envelope = seal(public, HEADER, SECRET, client_id="ws-a")
    assert open_record(load_pem_private_key(key_pem, None), HEADER, envelope,
                       client_id="ws-a") == SECRET
    with pytest.raises(JournalError) as caught:
        public_key_of(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    assert caught.value.code == "journal_key_unsupported"


def test_header_bytes_are_canonical_and_strictly_parsed():
    header = RecordHeader.from_bytes(HEADER)
    assert header.to_bytes() == HEADER and header.seq == 7 and header.wall_synced is False
    for broken in (b"not json", b"[]", HEADER.replace(b'"seq":7', b'"seq":"7"'),
                   HEADER.replace(b'"wall_synced":false', b'"wall_synced":0'),
                   HEADER.replace(b'"v":1', b'"v":2'),
                   HEADER.replace(b'"kind":"vitale",', b'')):
        with pytest.raises(JournalError) as caught:
            RecordHeader.from_bytes(broken)
        assert caught.value.code == "journal_envelope_malformed"
