"""The journal records' proof of origin (issue 16, item 10): signed by the box, checked by the workstation."""

from __future__ import annotations

import base64
import hashlib
import sqlite3

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from borne.client.journal_reader import JournalReader
from borne.journal.errors import JournalError
from borne.journal.signature import LABEL, signed_bytes, signer, verify
from borne.journal.store import JournalStore, Recipient, Stamp
from borne.secure_channel.ca import BoxCA

STAMP = Stamp(mono_ns=5, wall="2026-01-01T00:00:00.000+00:00", wall_synced=False,
              wall_source="none", created=1_767_225_600)
KEY = ec.generate_private_key(ec.SECP256R1())
A = Recipient("ws-a", KEY.public_key())


@pytest.fixture
def ca(tmp_path):
    (tmp_path / "ca").mkdir()
    return BoxCA.load_or_create(tmp_path / "ca")


def _item(record) -> dict:
    return {"seq": record.header.seq, "kind": record.header.kind,
            "header": record.header_bytes.decode("ascii"),
            "envelope_b64": base64.b64encode(record.envelope).decode("ascii"),
            "signature_b64": (base64.b64encode(record.signature).decode("ascii")
                              if record.signature is not None else None)}


def test_the_signed_bytes_are_four_lines_as_documented():
    data = signed_bytes("AB" * 32, b'{"seq":1}', b"envelope")
    assert data == b"\n".join([LABEL, b"ab" * 32, hashlib.sha256(b"envelope").hexdigest().encode(),
                               b'{"seq":1}'])
    assert not data.startswith(b"\x30")  # never a certificate's DER


def test_each_record_is_signed_and_the_workstation_checks_it(tmp_path, ca):
    store = JournalStore(tmp_path / "journal.db", sign=signer(ca.sign, ca.fingerprint_sha256))
    (record,) = store.append("vitale", [A], b'{"kind":"vitale"}', STAMP, "boot")
    (listed,) = store.records("ws-a")
    assert listed.signature == record.signature is not None
    verify(ca.certificate, listed.header_bytes, listed.envelope, listed.signature)
    reader = JournalReader(KEY, "ws-a", ca.certificate)
    assert reader.open(_item(listed)).signed
    # Another envelope (sealed by anyone for the workstation's public key) under that signature.
    other = A.seal(listed.header_bytes, b'{"kind":"vitale","forged":true}')
    with pytest.raises(JournalError) as forged:
        reader.open({**_item(listed), "envelope_b64": base64.b64encode(other).decode()})
    assert forged.value.code == "journal_record_forged"
    # Another box's CA does not vouch for it.
    (tmp_path / "other").mkdir()
    stranger = BoxCA.load_or_create(tmp_path / "other")
    with pytest.raises(JournalError) as foreign:
        JournalReader(KEY, "ws-a", stranger.certificate).open(_item(listed))
    assert foreign.value.code == "journal_record_forged"


def test_a_dropped_payload_keeps_a_valid_signature_and_deletes_take_signatures(tmp_path, ca):
    store = JournalStore(tmp_path / "journal.db", sign=signer(ca.sign, ca.fingerprint_sha256))
    (record,) = store.append("apcv", [A], b'{"payload_b64":"AA=="}', STAMP, "boot",
                             redacted=b'{"payload_dropped":true}')
    assert store.drop_payloads("another-boot", 0) == 1
    (listed,) = store.records("ws-a")
    assert listed.envelope != record.envelope
    opened = JournalReader(KEY, "ws-a", ca.certificate).open(_item(listed))
    assert opened.body == {"payload_dropped": True}
    store.ack("ws-a", [record.header.seq], now=0)
    assert store._db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0] == 0


def test_records_of_a_version_2_journal_stay_unsigned_and_are_refused_unless_allowed(tmp_path, ca):
    path = tmp_path / "journal.db"
    JournalStore(path).append("vitale", [A], b'{"old":true}', STAMP, "boot")
    with sqlite3.connect(path) as db:  # as version 2 wrote it
        db.executescript("DROP TRIGGER signatures_follow_deletes; "
                         "DROP TRIGGER signatures_follow_redaction; DROP TABLE signatures; "
                         "PRAGMA user_version = 2;")
    store = JournalStore(path, sign=signer(ca.sign, ca.fingerprint_sha256))
    assert store.set_aside is None
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == 3
    store.append("vitale", [A], b'{"new":true}', STAMP, "boot")
    old, new = store.records("ws-a")
    assert old.signature is None and new.signature is not None
    with pytest.raises(JournalError) as unsigned:
        JournalReader(KEY, "ws-a", ca.certificate).open(_item(old))
    assert unsigned.value.code == "journal_record_unsigned"
    lenient = JournalReader(KEY, "ws-a", ca.certificate, allow_unsigned=True)
    assert not lenient.open(_item(old)).signed and lenient.open(_item(new)).signed


def test_a_vendor_checks_a_signature_with_the_ca_certificate_alone(tmp_path, ca):
    """What docs/api.md tells a vendor to do, without the SDK."""
    store = JournalStore(tmp_path / "journal.db", sign=signer(ca.sign, ca.fingerprint_sha256))
    store.append("cps", [A], b"{}", STAMP, "boot")
    item = _item(store.records("ws-a")[0])
    certificate = x509.load_pem_x509_certificate(ca.cert_pem)
    envelope = base64.b64decode(item["envelope_b64"])
    message = b"\n".join([b"borne-journal-record/v1",
                          certificate.fingerprint(hashes.SHA256()).hex().encode(),
                          hashlib.sha256(envelope).hexdigest().encode(),
                          item["header"].encode("ascii")])
    certificate.public_key().verify(base64.b64decode(item["signature_b64"]), message,
                                    ec.ECDSA(hashes.SHA256()))
