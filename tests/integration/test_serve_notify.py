"""``borne serve`` as systemd runs it: READY=1, the watchdog's pings, and a broken config at boot.

systemd is not PID 1 here, so its side of sd_notify(3) is played by a real
datagram socket named in ``$NOTIFY_SOCKET``, with ``$WATCHDOG_USEC`` set as
systemd sets it for ``WatchdogSec=``. The daemon runs in a child under
``support.fresh_defaults.FRESH_DEFAULTS``, where /etc/borne, /run/borne and /var/lib
are empty tmpfs: the config file at the default path is broken, as after a bad edit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from support.fresh_defaults import FRESH_DEFAULTS

pytestmark = pytest.mark.pcscd

CHILD = textwrap.dedent(r'''
    import json, os, socket, subprocess, sys, time
    assert not os.listdir("/etc/borne") and not os.listdir("/run/borne")
    with open("/etc/borne/borne.toml", "w") as file:
        file.write("[api]\nport = 'not a port'\n")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind("/etc/borne/notify")
    env = {**os.environ, "NOTIFY_SOCKET": "/etc/borne/notify", "WATCHDOG_USEC": "400000"}
    borne = [sys.executable, "-m", "borne.cli.main"]
    started = time.monotonic()
    serve = subprocess.Popen(borne + ["serve"], env=env, stderr=subprocess.PIPE, text=True)
    messages, ready_s = [], None
    try:
        notify.settimeout(20)
        while ready_s is None:
            message = notify.recv(4096).decode()
            messages.append(message)
            if "READY=1" in message.split("\n"):
                ready_s = time.monotonic() - started
        pings_from = time.monotonic()
        notify.settimeout(0.05)
        while time.monotonic() - pings_from < 1.0:
            try:
                messages.append(notify.recv(4096).decode())
            except socket.timeout:
                pass
        status = json.loads(subprocess.run(borne + ["status", "--json"], capture_output=True,
                                           text=True, check=True).stdout)
        serve.terminate()
        notify.settimeout(10)
        while "STOPPING=1" not in messages[-1]:
            messages.append(notify.recv(4096).decode())
        serve.wait(10)
        print(json.dumps({"messages": messages, "ready_s": ready_s, "status": status,
                          "returncode": serve.returncode, "log": serve.stderr.read()}))
    finally:
        if serve.poll() is None:
            serve.kill()
''')


def test_broken_config_at_boot_runs_on_defaults_and_tells_systemd(card_slots) -> None:
    run = subprocess.run(FRESH_DEFAULTS + [sys.executable, "-c", CHILD], capture_output=True,
                         text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    messages = result["messages"]
    ready = next(m for m in messages if "READY=1" in m.split("\n"))
    assert "STATUS=ready in" in ready and "MAINPID=" in ready
    # Pinged every half period (0.2 s) over the second that followed: about 5, never none.
    pings = messages.index(ready) + 1
    assert 3 <= sum(m == "WATCHDOG=1" for m in messages[pings:]) <= 8
    assert messages[-1] == "STOPPING=1" and result["returncode"] == 0
    # Up on the defaults, and saying so: the config device is in error with the file's mistake.
    config = result["status"]["devices"]["config"]
    assert config["state"] == "error" and "api.port" in config["detail"]
    assert result["status"]["devices"]["pcsc"]["state"] == "available"
    assert "configuration refused, running on the built-in defaults" in result["log"]
    assert "/etc/borne/borne.toml" in result["log"]
