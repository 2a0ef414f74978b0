"""``borne bridge setup`` writes what pcscd, running as root, reads and loads: a reader.conf and
copies of the vpcd driver. Weighed against whoever else uses the workstation:

- ``bridge.toml`` sits in the pairing folder, which the bridge's (unprivileged) user owns;
  setup, run as root, lays its names into ``/etc/reader.conf.d``. A name is one quoted
  token of one line: none may carry a newline, a quote or anything else that could add a
  ``LIBPATH`` line (a library of the user's, loaded by pcscd as root).
- The driver copies are loaded by pcscd as root: their folder must be root's (the user
  running setup) and writable by nobody else.
- A port claim is a name anyone on the workstation may take first: a squatter can stop a
  bridge (it could as well take the vpcd port itself), but what it answers is printed
  without its control characters.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import pytest

from borne.bridge.claims import PortClaims
from borne.bridge.layout import ReaderLayout
from borne.bridge.reader_conf import install
from borne.bridge.settings import load_settings
from borne.cli.main import main
from borne.errors import BorneError, ConfigError

INJECTED = 'CPS"\nLIBPATH /home/someone/evil.so\nCHANNELID 0x8C7B\n#'


def test_a_name_smuggling_a_line_into_roots_reader_conf_is_refused(tmp_path, capsys):
    (tmp_path / "bridge.toml").write_text(
        "[bridge.names]\n0 = " + '"' + INJECTED.replace("\\", "\\\\").replace('"', '\\"')
        .replace("\n", "\\n") + '"\n')
    with pytest.raises(ConfigError):
        load_settings(tmp_path)
    readers = tmp_path / "reader.conf.d"
    readers.mkdir()
    code = main(["--lang", "en", "bridge", "setup", "--dir", str(tmp_path), "--box", "https://127.0.0.1:9",
                 "--reader-conf", str(readers / "borne-x.conf"),
                 "--driver-dir", str(tmp_path / "drivers"), "--print"])
    out = capsys.readouterr()
    assert code == 2 and "config_invalid" in out.err and "LIBPATH" not in out.out
    assert list(readers.iterdir()) == [] and not (tmp_path / "drivers").exists()
    code = main(["--lang", "en", "bridge", "setup", "--dir", str(tmp_path), "--name", f"0={INJECTED}", "--print"])
    assert code == 2 and "LIBPATH" not in capsys.readouterr().out


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_driver_copies_never_go_where_someone_else_may_write(tmp_path, mode):
    driver = tmp_path / "libifdvpcd.so"
    driver.write_bytes(b"\x7fELF")
    drivers = tmp_path / "drivers"
    drivers.mkdir()
    drivers.chmod(mode)
    with pytest.raises(BorneError, match="writable by nobody else"):
        install("", tmp_path / "x.conf", layout=ReaderLayout(40000, {0: "CPS"}), label="x",
                driver=driver, driver_dir=drivers)
    assert list(drivers.iterdir()) == [] and not (tmp_path / "x.conf").exists()


def test_driver_copies_never_go_into_someone_elses_folder(tmp_path, monkeypatch):
    driver = tmp_path / "libifdvpcd.so"
    driver.write_bytes(b"\x7fELF")
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(tmp_path).st_uid + 1)
    with pytest.raises(BorneError, match="belong to this user"):
        install("", tmp_path / "x.conf", layout=ReaderLayout(40000, {0: "CPS"}), label="x",
                driver=driver, driver_dir=tmp_path / "drivers")


def test_copies_and_reader_conf_are_written_read_only_for_others(tmp_path):
    driver = tmp_path / "libifdvpcd.so"
    driver.write_bytes(b"\x7fELF")
    driver.chmod(0o777)
    old = os.umask(0)
    try:
        install("FRIENDLYNAME \"CPS\"\n", tmp_path / "x.conf", label="x", driver=driver,
                layout=ReaderLayout(40000, {0: "CPS"}), driver_dir=tmp_path / "drivers")
    finally:
        os.umask(old)
    assert (tmp_path / "drivers").stat().st_mode & 0o777 == 0o755
    for written in (tmp_path / "drivers" / "libifdvpcd-x-0.so", tmp_path / "x.conf"):
        assert written.stat().st_mode & 0o777 == 0o644, written


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="claims are Linux's")
async def test_what_a_squatter_answers_is_printed_without_control_characters():
    squatter = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    squatter.bind("\0borne-bridge-vpcd-47501")
    squatter.listen(1)

    def answer() -> None:
        peer, _ = squatter.accept()
        peer.sendall(b"\x1b]0;owned\x07\x1b[2Jpid 1\r\nbox https://x" + b"A" * 1000)
        peer.close()

    answering = asyncio.create_task(asyncio.to_thread(answer))
    try:
        with pytest.raises(BorneError) as taken:
            await PortClaims("me").claim([47501])
        message = str(taken.value)
        assert taken.value.code == "bridge_port_taken" and "pid 1" in message
        assert all(c.isprintable() for c in message) and len(message) < 400
    finally:
        await answering
        squatter.close()

