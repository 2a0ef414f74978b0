"""Every ``borne client ...`` command, and ``borne bridge``, against each way a box can fail them.

Through real sockets (``support.bad_servers``): a closed port, a name no DNS knows, a
server that never answers, a plain HTTP server on the HTTPS port, another box (another
CA), a server answering garbage or a web page, a box refusing this workstation's
certificate or having revoked it, a malformed or ``http://`` address, a missing or
damaged pairing folder. Each command says so in one line, ``borne: <message> [<code>]``,
exits with 2, and never prints a traceback; the code tells which failure it was.

``borne bridge`` is a service: it keeps trying while the box may come back (the line goes
to its log with the code, no traceback) and stops with exit 2 when no retry can help
(another box, a refused or revoked certificate, a bad address or folder).
``borne bridge setup`` works without the box (it numbers slots): it says why the box did
not answer and goes on, unless the address or the folder itself is wrong.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.bad_servers import (
    FakeBox,
    closed_port,
    garbage,
    http_answer,
    serving,
    silent,
)
from support.sim_cli import BORNE

WEB_PAGE = b"<html><body>\x1b[2JNot found</body></html>"
REVOKED = {"error": "client_revoked", "message": "Ce poste a été révoqué", "details": {}}
#: Each run of the bridge gets vpcd ports of its own (they are claimed before connecting).
PORTS = itertools.count(41000, 10)

#: scenario -> (code of every folder command, code of `client pair` (None: not run),
#: whether `borne bridge` stops (True) or keeps retrying (False)).
SCENARIOS = {
    "closed port": ("box_unreachable", "box_unreachable", False),
    "unknown host": ("box_host_unknown", "box_host_unknown", False),
    "silent server": ("box_timeout", "box_timeout", False),
    "plain HTTP on the port": ("box_tls_failed", "box_tls_failed", False),
    "another box": ("box_ca_changed", "http_error", True),
    "garbage over TLS": ("box_answer_invalid", "box_answer_invalid", False),
    "a web page": ("box_answer_invalid", "box_answer_invalid", False),
    "certificate refused": ("certificate_refused", None, True),
    "revoked": ("client_revoked", None, True),
    "http URL": ("box_url_invalid", "box_url_invalid", True),
    "malformed URL": ("box_url_invalid", "box_url_invalid", True),
    "port out of range": ("box_url_invalid", "box_url_invalid", True),
    "missing folder": ("pairing_files_unreadable", None, True),
    "damaged box.json": ("pairing_files_unreadable", None, True),
    "damaged key": ("pairing_files_unreadable", None, True),
    "damaged ca.crt": ("pairing_files_unreadable", None, True),
}
#: Where `bridge setup` fails too: it needs the box's address (it writes it in the readers'
#: configuration), not the keys.
NO_ADDRESS = {"http URL", "malformed URL", "port out of range", "missing folder",
              "damaged box.json"}


@contextlib.contextmanager
def failing(name: str, box: FakeBox, other: FakeBox) -> Iterator[tuple[str, Path]]:
    """The box URL and the workstation folder of scenario ``name``, while it lasts."""
    folder = box.workstation
    if name == "closed port":
        with closed_port() as port:
            yield f"https://127.0.0.1:{port}", folder
        return
    responders = {
        "silent server": (silent, None),
        "plain HTTP on the port": (http_answer(404, WEB_PAGE, "text/html"), None),
        "another box": (http_answer(404, WEB_PAGE, "text/html"), other.server_context()),
        "garbage over TLS": (garbage, box.server_context()),
        "a web page": (http_answer(200, WEB_PAGE, "text/html"), box.server_context()),
        "certificate refused": (http_answer(200, {}), box.refusing_context(other)),
        "revoked": (http_answer(403, REVOKED), box.server_context()),
    }
    if name in responders:
        respond, tls = responders[name]
        with serving(respond, tls=tls) as port:
            yield f"https://127.0.0.1:{port}", folder
        return
    urls = {"unknown host": "https://no-such-box.invalid:8443", "http URL": "http://127.0.0.1:8443",
            "malformed URL": "https://[::1", "port out of range": "https://127.0.0.1:99999"}
    if name in urls:
        yield urls[name], folder
    elif name == "missing folder":
        yield "https://127.0.0.1:8443", folder.parent / "nowhere"
    elif name == "damaged box.json":
        (folder / "box.json").write_text('{"url": ')
        yield "https://127.0.0.1:8443", folder
    elif name == "damaged key":
        (folder / "client.key").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n")
        yield "https://127.0.0.1:8443", folder
    elif name == "damaged ca.crt":
        (folder / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
        yield "https://127.0.0.1:8443", folder


def folder_commands(folder: Path) -> dict[str, list[str]]:
    """The commands that call the box paired in ``folder`` (and exit)."""
    return {
        "client status": ["client", "status", "--dir", str(folder)],
        "client readers": ["client", "readers", "--dir", str(folder)],
        "client card": ["client", "card", "borne-sim-00-00", "--dir", str(folder)],
        "client events": ["client", "events", "--dir", str(folder)],
        "client journal": ["client", "journal", "--dir", str(folder)],
        "client find --dir": ["client", "find", "--timeout", "0.2", "--dir", str(folder)],
        "bridge setup": ["bridge", "setup", "--dir", str(folder), "--name", "0=CPS", "--print",
                         "--vpcd-port", str(next(PORTS)),
                         "--reader-conf", str(folder.parent / "reader.conf.d" / "borne-t.conf")],
    }


def one_line(run: subprocess.CompletedProcess[str], code: str, what: str) -> None:
    """The failure said as the README promises: exit 2, one line ending with the code."""
    assert "Traceback" not in run.stderr, f"{what}:\n{run.stderr}"
    assert run.returncode == 2, f"{what}: exit {run.returncode}\n{run.stderr}"
    lines = run.stderr.strip().splitlines()
    assert re.fullmatch(rf"borne: \S.* \[{code}\]", lines[-1]), f"{what}: {run.stderr}"
    assert "\x1b" not in run.stderr  # what a server sent never drives the terminal


def bridge_says(folder: Path, code: str, *, stops: bool) -> None:
    """`borne bridge` either stops with the one line, or logs the code and keeps trying."""
    command = BORNE + ["bridge", "--dir", str(folder), "--vpcd-port", str(next(PORTS))]
    bridge = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if stops:
            _, err = bridge.communicate(timeout=40)
            one_line(subprocess.CompletedProcess(command, bridge.returncode, "", err), code,
                     f"bridge ({code})")
            return
        seen = []
        deadline = time.monotonic() + 40
        for line in bridge.stderr:
            seen.append(line)
            if f"[{code}]" in line and "retrying" in line:
                break
            assert time.monotonic() < deadline and bridge.poll() is None, "".join(seen)
        assert bridge.poll() is None, "".join(seen)  # still trying: the box may come back
    finally:
        bridge.terminate()
        rest = bridge.communicate(timeout=10)[1] if not stops else ""
    assert "Traceback" not in "".join(seen) + rest


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_workstation_command_says_what_failed_in_one_line(name, tmp_path):
    folder_code, pair_code, bridge_stops = SCENARIOS[name]
    box, other = FakeBox(tmp_path), FakeBox(tmp_path, name="other")
    with failing(name, box, other) as (url, folder):
        if folder.exists() and name != "damaged box.json":
            box.point_at(url)
        commands = folder_commands(folder)
        if pair_code is not None:
            commands["client pair"] = ["client", "pair", "--box", url, "--code", "123456",
                                       "--name", "Comptoir 1", "--dir", str(tmp_path / "new")]
        if name not in ("missing folder", "damaged ca.crt"):
            commands.pop("client find --dir")  # it reads the folder's CA only
        started = {what: subprocess.Popen(BORNE + argv, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True)
                   for what, argv in commands.items()}
        bridge_says(folder, folder_code, stops=bridge_stops)
        for what, process in started.items():
            out, err = process.communicate(timeout=60)
            run = subprocess.CompletedProcess(process.args, process.returncode, out, err)
            code = pair_code if what == "client pair" else folder_code
            if what == "bridge setup" and name not in NO_ADDRESS:
                # Setup numbers slots without the box: it says why, and goes on.
                assert run.returncode == 0 and f"[{code}]" in err, f"{what}: {err}"
                assert "Traceback" not in err
            else:
                one_line(run, code, what)
    assert not (tmp_path / "new" / "client.key").exists()  # no half pairing left behind


def test_the_messages_follow_the_language_and_say_what_to_do(tmp_path):
    with closed_port() as port:
        url = f"https://127.0.0.1:{port}"
        french = subprocess.run(BORNE + ["client", "pair", "--box", url, "--code", "123456",
                                         "--name", "x", "--dir", str(tmp_path / "a")],
                                capture_output=True, text=True, timeout=30)
        english = subprocess.run(BORNE + ["--lang", "en", "client", "pair", "--box", url,
                                          "--code", "123456", "--name", "x",
                                          "--dir", str(tmp_path / "a")],
                                 capture_output=True, text=True, timeout=30)
    assert french.stderr == (f"borne: Borne injoignable ({url}) : vérifiez qu'elle est allumée, "
                             "sur ce réseau, et son adresse (borne client find) [box_unreachable]\n")
    assert english.stderr == (f"borne: Box unreachable ({url}): check that it is on, on this "
                              "network, and its address (borne client find) [box_unreachable]\n")
    http = subprocess.run(BORNE + ["--lang", "en", "client", "pair", "--box",
                                   "http://192.0.2.1:8443", "--code", "123456", "--name", "x",
                                   "--dir", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=30)
    assert "write https://ADDRESS:8443 (the box speaks HTTPS only)" in http.stderr


def test_an_unexpected_exception_is_one_line_and_the_traceback_is_for_debug(tmp_path):
    # A bug of `borne` itself, made on purpose in a child: its client code raises KeyError.
    crash = ("import sys, borne.cli.workstation as w\n"
             "async def boom(args, language): raise KeyError('oops')\n"
             "w._run = boom\n"
             "from borne.cli.main import main\n"
             "sys.exit(main(sys.argv[1:]))\n")
    argv = ["client", "status", "--dir", str(tmp_path)]
    quiet = subprocess.run([BORNE[0], "-c", crash, *argv], capture_output=True, text=True,
                           timeout=30)
    assert quiet.returncode == 2
    assert quiet.stderr == ("borne: Erreur interne de la borne (KeyError) : relancez avec --debug "
                            "pour le détail [internal_error]\n")
    loud = subprocess.run([BORNE[0], "-c", crash, *argv, "--debug"], capture_output=True,
                          text=True, timeout=30)
    assert loud.returncode == 2
    assert "Traceback" in loud.stderr and "KeyError: 'oops'" in loud.stderr
    assert loud.stderr.splitlines()[-1].endswith("[internal_error]")


def test_find_on_a_workstation_without_network_says_so():
    # A network namespace of its own with nothing up: a laptop that is not on any network.
    run = subprocess.run(["unshare", "--net"] + BORNE + ["client", "find", "--timeout", "0.5"],
                         capture_output=True, text=True, timeout=30)
    one_line(run, "network_unavailable", "client find")
    assert "connectez-le au réseau de la borne" in run.stderr
