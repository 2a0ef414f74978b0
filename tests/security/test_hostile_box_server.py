"""A LAN attacker answering in the box's place: ``borne client pair`` must not hang, fill memory or crash.

Pairing trusts no certificate yet (the code authenticates the box afterwards), so whoever
answers at the address a person typed is read: a server can trickle its answer one byte at
a time (each read within httpx's timeout, the whole never), promise and send gigabytes,
send an endless header, or answer garbage with terminal escapes. The workstation gives up
within its deadline, reads at most :data:`~borne.client.transport.MAX_ANSWER_BYTES`,
writes no pairing file, and prints one line without what the server sent.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from borne.client import BoxConnectionError, pair
from borne.client.transport import MAX_ANSWER_BYTES

from support.bad_servers import FakeBox, garbage, huge_body, serving, trickle
from support.sim_cli import BORNE


def endless_header(conn: socket.socket, stop: threading.Event) -> None:
    """A status line, then one header that never ends."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Filler: ")
    while not stop.is_set():
        conn.sendall(b"a" * 65536)


def any_tls(tmp_path):
    """TLS as a server of the attacker's: its own certificate (pairing checks none)."""
    return FakeBox(tmp_path, name="attacker").server_context()


def test_a_trickling_answer_ends_at_the_deadline(tmp_path):
    with serving(trickle, tls=any_tls(tmp_path)) as port:
        started = time.monotonic()
        with pytest.raises(BoxConnectionError) as failed:
            asyncio.run(pair(f"https://127.0.0.1:{port}", code="123456", name="x",
                             directory=tmp_path / "ws", deadline_s=2.0))
        took = time.monotonic() - started
    assert failed.value.code == "box_timeout"
    assert took < 10, took  # the deadline, not httpx's per-read timeout, ended it
    assert not (tmp_path / "ws" / "client.key").exists()


#: Runs its arguments as a command and writes the command's peak resident memory (KiB) to
#: the file named by $PEAK_FILE. A small process of its own does the measuring: a child forked
#: from this big test process would count the test process's pages as its own (Linux keeps a
#: process's peak across exec), so the measure comes from a grandchild of a fresh interpreter.
MEASURED = ("import os, resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
            "open(os.environ['PEAK_FILE'], 'w').write("
            "str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(code)")


def run_measured(command: list[str], folder) -> tuple[int, str, int]:
    """Run ``command``: (exit code, its stderr, its own peak resident memory in KiB)."""
    peak = folder / "peak_kb"
    run = subprocess.run([sys.executable, "-c", MEASURED, *command], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PEAK_FILE": str(peak)})
    return run.returncode, run.stderr, int(peak.read_text())


@pytest.mark.parametrize("responder", [huge_body, endless_header, garbage])
def test_huge_or_garbage_answers_end_in_one_line_with_bounded_memory(responder, tmp_path):
    with serving(responder, tls=any_tls(tmp_path)) as port:
        started = time.monotonic()
        code, stderr, peak_kb = run_measured(
            BORNE + ["client", "pair", "--box", f"https://127.0.0.1:{port}", "--code", "123456",
                     "--name", "x", "--dir", str(tmp_path / "ws")], tmp_path)
        took = time.monotonic() - started
    assert code == 2 and "Traceback" not in stderr, stderr
    assert stderr.endswith("[box_answer_invalid]\n"), stderr
    assert "\x1b" not in stderr and "SSH-2.0" not in stderr
    assert took < 60, took
    # The child read at most MAX_ANSWER_BYTES of the 10 GB, and kept no more.
    assert peak_kb * 1024 < MAX_ANSWER_BYTES * 4, peak_kb
    assert not (tmp_path / "ws" / "client.key").exists()
