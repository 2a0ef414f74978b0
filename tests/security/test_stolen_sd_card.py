"""What a thief with the SD card (or a copy of its data partition) can do (issue 16, items 9 and 10).

- A copy of the data directory holds no private key in clear: the box's keys (the CA's, the
  API's TLS key) are wrapped with a key derived from the board's secret (``[daemon] keys``),
  which is not on the data partition; the copy started on another board cannot open them.
- A box of an older version, with a clear ``ca.key``, wraps it at its first start: the same CA
  (the paired workstations keep working), and no clear key left in the directory.
- A record written straight into ``journal.db`` (with sqlite3, as an attacker holding the card
  would) is told apart from the box's own by the workstation's SDK when it collects it.
- A box whose CA was replaced (a thief who could not copy the key made a new one, or the
  owner reset it) is refused by the SDK with its own code, ``box_ca_changed``.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from borne.client import BoxClient, BoxError
from borne.client.journal_reader import JournalReader
from borne.daemon import Daemon
from borne.journal.crypto import public_key_of, seal
from borne.journal.errors import JournalError
from borne.journal.header import RecordHeader
from borne.journal.service import padded
from borne.secure_channel.ca import BoxCA

from support.box import box_config, paired, running_box

#: The beginnings of every PEM private key in clear (PKCS#8, SEC 1, PKCS#1).
CLEAR_KEYS = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN EC PRIVATE KEY-----",
              b"-----BEGIN RSA PRIVATE KEY-----")


def clear_keys_under(directory: Path) -> list[str]:
    """Files under ``directory`` holding a private key anyone can load without a password."""
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if any(marker in data for marker in CLEAR_KEYS):
            found.append(path.name)
            continue
        if b"PRIVATE KEY-----" in data:
            try:
                serialization.load_pem_private_key(data, password=None)
            except (TypeError, ValueError):
                continue  # encrypted: needs the password
            found.append(path.name)
    return found


async def test_a_copy_of_the_data_directory_holds_no_usable_private_key(tmp_path):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
    data = tmp_path / "data"
    assert (data / "ca.key").exists() and (data / "server.key").exists()
    assert clear_keys_under(data) == []
    with pytest.raises(TypeError):  # "password was not given but private key is encrypted"
        serialization.load_pem_private_key((data / "ca.key").read_bytes(), password=None)
    # The copy started on another board (another secret): the keys do not open, the API
    # says why, and nothing of the box's is replaced (the thief's box is not the box).
    copy = tmp_path / "thief"
    copy.mkdir()
    (copy / "data").mkdir(mode=0o700)
    for path in data.iterdir():
        if path.is_file():
            (copy / "data" / path.name).write_bytes(path.read_bytes())
    before = (copy / "data" / "ca.key").read_bytes()
    (copy / "other-board.twin").write_bytes(os.urandom(32))
    thief = Daemon(box_config(copy, daemon={"keys": f"file:{copy / 'other-board.twin'}"}))
    await thief.start()
    try:
        assert thief.api is None
        api = thief.core.devices["api"]
        assert api["state"] == "error" and "ca.key" in str(api["detail"])
    finally:
        await thief.stop()
    assert (copy / "data" / "ca.key").read_bytes() == before


async def test_a_clear_ca_key_from_an_older_box_is_wrapped_at_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    old = BoxCA.load_or_create(data)  # as boxes before issue 16 kept it: PKCS#8 in clear
    old.ensure_server_cert(["borne"], ["127.0.0.1"])
    assert clear_keys_under(data) == ["ca.key", "server.key"]
    async with running_box(tmp_path) as box:
        assert box.api_context.ca.fingerprint_sha256 == old.fingerprint_sha256  # the same CA
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            assert (await client.status())["api_level"] >= 1
    assert clear_keys_under(data) == []
    assert sorted(p.name for p in data.iterdir() if p.name.endswith((".new", ".old"))) == []
    with pytest.raises(TypeError):
        serialization.load_pem_private_key((data / "ca.key").read_bytes(), password=None)


def _forge(db: Path, client_id: str, certificate_pem: bytes, seq: int) -> None:
    """What an attacker holding the card does: a record sealed for the workstation (its
    public key is no secret), inserted with sqlite3 next to the box's own."""
    header = RecordHeader(seq=seq, read_id=seq, client_id=client_id, kind="vitale", mono_ns=1,
                          boot_id="forged", wall="2026-01-01T00:00:00.000+00:00",
                          wall_synced=True, wall_source="ntp", created=1_767_225_600)
    body = padded({"kind": "vitale", "slot": "x", "card": {"type": "vitale", "beneficiaries": [
        {"surname": "FAUX", "first_name": "PATIENT", "nir": "178112B00401746"}]}})
    envelope = seal(public_key_of(certificate_pem), header.to_bytes(), body, client_id=client_id)
    columns = ["seq", "read_id", "client_id", "kind", "mono_ns", "boot_id", "wall", "wall_synced",
               "wall_source", "created", "header", "envelope"]
    values = [header.seq, header.read_id, client_id, "vitale", 1, "forged", header.wall, 1, "ntp",
              header.created, header.to_bytes(), envelope]
    with sqlite3.connect(db) as connection:
        connection.execute(f"INSERT INTO records ({', '.join(columns)}) VALUES "
                           f"({', '.join('?' * len(columns))})", values)


async def test_a_record_inserted_into_journal_db_is_detected_by_the_sdk(tmp_path):
    async with running_box(tmp_path) as box:
        pairing = await paired(box, tmp_path / "ws")
        certificate = (tmp_path / "ws" / "client.crt").read_bytes()
        _forge(tmp_path / "data" / "journal.db", pairing.client_id, certificate, seq=1000)
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            (record,) = await client.journal()
        assert record["seq"] == 1000
        reader = JournalReader.from_directory(tmp_path / "ws")
        with pytest.raises(JournalError) as caught:
            reader.open(record)
        assert caught.value.code == "journal_record_unsigned"
        assert "box" in caught.value.message("en") and "boîte" not in caught.value.message("en")
        # A signature taken from elsewhere does not fit the forged record either.
        record["signature_b64"] = base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
        with pytest.raises(JournalError) as caught:
            reader.open(record)
        assert caught.value.code == "journal_record_forged"


async def test_a_box_whose_ca_changed_is_refused_by_the_sdk(tmp_path):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
    for name in ("ca.key", "ca.crt", "server.key", "server.crt"):
        (tmp_path / "data" / name).unlink()
    async with running_box(tmp_path) as box:  # a new CA, at the same address
        folder = tmp_path / "ws"
        box_json = (folder / "box.json").read_text()
        (folder / "box.json").write_text(box_json.replace(
            box_json.split('"url": "')[1].split('"')[0], f"https://127.0.0.1:{box.api.port}"))
        for language, words in (("en", "certificate authority"), ("fr", "autorité")):
            async with BoxClient.from_directory(folder, language=language) as client:
                with pytest.raises(BoxError) as caught:
                    await client.status()
            assert caught.value.code == "box_ca_changed"
            assert words in caught.value.message
