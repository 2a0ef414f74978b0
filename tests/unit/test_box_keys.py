"""The box's keys at rest (issue 16, item 9): the board secret's sources and the wrapped key files."""

from __future__ import annotations

import os
import ssl
import stat
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from borne.errors import BorneError, ConfigError
from borne.secure_channel.ca import BoxCA
from borne.secure_channel.key_source import FileKeySource, key_source, wrapping_password
from borne.secure_channel.rpi_otp import (GET_PRIVATE_KEY_TAG, IOCTL_MBOX_PROPERTY,
                                          RpiOtpKeySource, key_from_answer, request)
from borne.secure_channel.wrapped_keys import KeyFiles, is_wrapped


def test_the_file_twin_is_made_once_0600_and_only_when_asked(tmp_path):
    source = FileKeySource(tmp_path / "etc" / "board-secret")
    with pytest.raises(BorneError) as missing:
        source.secret()
    assert missing.value.code == "box_secret_unavailable"
    secret = source.secret(create=True)
    assert len(secret) == 32 and source.secret() == secret
    assert stat.S_IMODE(os.stat(source.path).st_mode) == 0o600
    source.path.write_bytes(b"short")
    with pytest.raises(BorneError) as short:
        source.secret()
    assert short.value.code == "box_secret_unavailable"


def test_the_path_string_names_the_source_and_refuses_a_secret_in_the_data_dir(tmp_path):
    assert isinstance(key_source("rpi-otp"), RpiOtpKeySource)
    assert key_source(f"file:{tmp_path}/s", tmp_path / "data").path == tmp_path / "s"
    for wrong in (f"file:{tmp_path}/data/s", "atecc608:i2c:1:0x60", "tpm", "file:", "rpi-otp:x"):
        with pytest.raises(ConfigError) as refused:
            key_source(wrong, tmp_path / "data")
        assert refused.value.key == "daemon.keys"


def test_the_wrapping_password_depends_on_the_secret_and_the_file():
    one, two = bytes(range(32)), bytes(range(1, 33))
    assert wrapping_password(one, "ca.key") == wrapping_password(one, "ca.key")
    assert len({wrapping_password(one, "ca.key"), wrapping_password(one, "server.key"),
                wrapping_password(two, "ca.key")}) == 3
    assert len(wrapping_password(one, "ca.key")) == 64  # hex: ASCII for OpenSSL


def test_the_otp_request_is_the_scripts_and_its_answer_reads_as_the_script_prints_it():
    # rpi-otp-private-key: vcmailbox 0x00030081 40 40 0 8 0 0 0 0 0 0 0 0
    words = struct.unpack("<16I", request())
    assert words == (64, 0, GET_PRIVATE_KEY_TAG, 40, 40, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert IOCTL_MBOX_PROPERTY in (0xC0086400, 0xC0046400)  # _IOWR(100, 0, char *)
    rows = [0x01234567, 0x89ABCDEF, 0, 1, 2, 3, 4, 0xFFFFFFFF]
    answer = struct.pack("<16I", 64, 0x80000000, GET_PRIVATE_KEY_TAG, 40, 0x80000028, 0, 8,
                         *rows, 0)
    assert key_from_answer(answer).hex() == "0123456789abcdef" + "".join(
        f"{row:08x}" for row in rows[2:])
    unprogrammed = struct.pack("<16I", 64, 0x80000000, GET_PRIVATE_KEY_TAG, 40, 0x80000028, 0,
                               8, *([0] * 8), 0)
    with pytest.raises(BorneError) as zeros:
        key_from_answer(unprogrammed)
    assert zeros.value.code == "box_secret_unprogrammed"  # refused: never programmed by us
    with pytest.raises(BorneError) as refused:
        key_from_answer(struct.pack("<16I", 64, 0x80000001, *([0] * 14)))
    assert refused.value.code == "box_secret_unavailable"


def test_no_vcio_means_no_secret(tmp_path):
    with pytest.raises(BorneError) as missing:
        RpiOtpKeySource(str(tmp_path / "vcio")).secret()
    assert missing.value.code == "box_secret_unavailable"


def test_a_clear_key_is_wrapped_in_place_and_opens_only_with_its_secret(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    clear = KeyFiles(tmp_path, None)
    clear.write_new(tmp_path / "ca.key", key)
    assert not is_wrapped((tmp_path / "ca.key").read_bytes())
    files = KeyFiles(tmp_path, FileKeySource(tmp_path / "secret"))
    assert files.load("ca.key").private_numbers() == key.private_numbers()
    assert is_wrapped((tmp_path / "ca.key").read_bytes())
    assert not (tmp_path / "ca.key.new").exists()
    assert stat.S_IMODE(os.stat(tmp_path / "ca.key").st_mode) == 0o600
    assert files.load("ca.key").private_numbers() == key.private_numbers()
    (tmp_path / "other").write_bytes(os.urandom(32))
    with pytest.raises(BorneError) as other:
        KeyFiles(tmp_path, FileKeySource(tmp_path / "other")).load("ca.key")
    assert other.value.code == "ca_unreadable"
    with pytest.raises(BorneError) as none:
        KeyFiles(tmp_path, None).load("ca.key")
    assert none.value.code == "ca_unreadable"


def test_a_wrapped_server_key_serves_tls_with_its_password(tmp_path):
    ca = BoxCA.load_or_create(tmp_path, keys=FileKeySource(tmp_path.parent / f"{tmp_path.name}.s"))
    crt, key = ca.ensure_server_cert(["borne"], ["127.0.0.1"])
    assert is_wrapped(key.read_bytes()) and is_wrapped((tmp_path / "ca.key").read_bytes())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(crt), str(key), ca.server_key_password)
    with pytest.raises(ssl.SSLError):
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(str(crt), str(key), b"0" * 64)
    again = BoxCA.load_or_create(tmp_path, keys=FileKeySource(tmp_path.parent / f"{tmp_path.name}.s"))
    assert again.ensure_server_cert(["borne"], ["127.0.0.1"]) == (crt, key)
    assert key.read_bytes() == key.read_bytes()
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key.read_bytes(), password=None)


def test_doctor_says_what_the_board_secret_protects_against(tmp_path):
    from borne.config import parse_config
    from borne.health.keys import check_box_secret

    twin = parse_config({"daemon": {"keys": f"file:{tmp_path}/secret"}})
    check = check_box_secret(twin, tmp_path / "data")
    assert (check.status, check.code) == ("warn", "box_secret_file")
    assert "copy of the whole SD card" in check.detail_en and "rpi-otp" in check.fix_en
    otp = check_box_secret(parse_config({"daemon": {"keys": "rpi-otp"}}), tmp_path / "data")
    assert otp.status == "fail" and otp.code in ("box_secret_unavailable",
                                                 "box_secret_unprogrammed")


def test_the_simulators_secret_is_a_twin_beside_its_data_directory():
    from borne.sim.sim_config import SIM_DATA_DIR, simulator_defaults

    keys = simulator_defaults({})["daemon"]["keys"]
    assert keys == f"file:{SIM_DATA_DIR}-board-secret.twin"
    key_source(keys, SIM_DATA_DIR)  # accepted: not inside the data directory
    moved = simulator_defaults({"daemon": {"data_dir": "/srv/sim/"}})["daemon"]["keys"]
    assert moved == "file:/srv/sim-board-secret.twin"
