"""A private "system" D-Bus in a directory, where anyone may do anything: the simulator's
NetworkManager stand-in lives on one, and the tests' RAUC service on another.

Never the machine's system bus: a client reaches it by ``unix:path=<directory>/bus.sock``
(``[network] dbus_address``, ``DBUS_SYSTEM_BUS_ADDRESS``).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

__all__ = ["start_private_bus"]

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def start_private_bus(directory: Path, timeout: float = 20.0) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``dbus-daemon`` on ``directory/bus.sock``; (process, socket) once it listens.
    ``RuntimeError`` if it did not start within ``timeout`` seconds."""
    socket, config = directory / "bus.sock", directory / "bus.conf"
    config.write_text(_BUS_CONFIG.format(socket=socket))
    bus = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={config}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not socket.exists():
        if bus.poll() is not None or time.monotonic() > deadline:
            bus.kill()
            raise RuntimeError("the private D-Bus did not start")
        time.sleep(0.02)
    return bus, socket
