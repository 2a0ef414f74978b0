"""Who may call RAUC on the system bus: root and the group borne, nobody else.

Debian's rauc-service lets any local user control RAUC (install a bundle, mark a slot
bad, activate one). The image adds ``/etc/dbus-1/system.d/borne-rauc.conf``
(``image/files/borne-rauc.conf``). Here a private dbus-daemon runs the machine's own
``system.conf`` policy with both files included in the order the real bus reads them
(``/usr/share/dbus-1/system.d``, then ``/etc/dbus-1/system.d``), a real ``rauc service``
owns the name, and ``dbus-send`` calls it as other users. The test machine has no
``borne`` group: the file's group is swapped for ``daemon``'s, whose user plays borne.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = REPO / "image" / "files" / "borne-rauc.conf"
DEBIANS = Path("/usr/share/dbus-1/system.d/de.pengutronix.rauc.conf")
SYSTEM_CONF = Path("/usr/share/dbus-1/system.conf")

pytestmark = pytest.mark.skipif(
    not (shutil.which("rauc") and shutil.which("dbus-daemon") and shutil.which("dbus-send")
         and DEBIANS.exists() and SYSTEM_CONF.exists()),
    reason="needs rauc-service and dbus (./dev.sh setup installs them)")

# A member of the group standing for borne, and a user outside it.
INSIDER, OUTSIDER = "daemon", "nobody"


def _bus_config(socket: Path, includes: list[Path]) -> str:
    """The machine's system bus policy, on SOCKET, with INCLUDES as its only service files."""
    text = SYSTEM_CONF.read_text()
    text = re.sub(r"<listen>.*?</listen>", f"<listen>unix:path={socket}</listen>", text)
    for tag in (r"<user>.*?</user>", r"<fork/>", r"<pidfile>.*?</pidfile>", r"<syslog/>",
                r"<standard_system_servicedirs/>", r"<includedir>.*?</includedir>",
                r"<include[^>]*>.*?</include>"):
        text = re.sub(tag, "", text)
    return text.replace("</busconfig>", "".join(f"<include>{p}</include>\n" for p in includes)
                        + "</busconfig>")


@contextmanager
def _started_bus(where: Path, includes: list[Path]) -> Iterator[str]:
    socket = where / f"bus-{len(includes)}"
    conf = where / f"bus-{len(includes)}.conf"
    conf.write_text(_bus_config(socket, includes))
    bus = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file", str(conf)])
    address = f"unix:path={socket}"
    rauc_conf = where / "system.conf"
    rauc_conf.write_text("[system]\ncompatible=borne-test\nbootloader=noop\n"
                         f"data-directory={where}/rauc-data\nmountprefix={where}/mnt\n")
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": address}
    service = None
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert bus.poll() is None and time.monotonic() < deadline, "dbus-daemon did not start"
            time.sleep(0.05)
        os.chmod(socket, 0o777)
        service = subprocess.Popen(["rauc", f"--conf={rauc_conf}", "service"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while _call(address, "root").returncode != 0:
            assert service.poll() is None and time.monotonic() < deadline + 10, "rauc service did not start"
            time.sleep(0.2)
        yield address
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=10)
        bus.terminate()
        bus.wait(timeout=10)


def _call(address: str, user: str, member: str = "Get") -> subprocess.CompletedProcess[str]:
    """A method call to RAUC as USER: a property read, or Mark("bad", "other")."""
    args = (["org.freedesktop.DBus.Properties.Get", "string:de.pengutronix.rauc.Installer",
             "string:Operation"] if member == "Get"
            else ["de.pengutronix.rauc.Installer.Mark", "string:bad", "string:other"])
    entry = pwd.getpwnam(user)
    return subprocess.run(
        ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
         "dbus-send", "--system", "--print-reply", "--dest=de.pengutronix.rauc", "/", *args],
        env={"PATH": "/usr/bin:/bin", "DBUS_SYSTEM_BUS_ADDRESS": address},
        capture_output=True, text=True, timeout=30)


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder the other users can reach (pytest's tmp_path is root's alone)."""
    where = Path(tempfile.mkdtemp(prefix="borne-dbus-"))
    where.chmod(0o755)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_the_file_names_the_group_borne_and_root() -> None:
    text = OURS.read_text()
    assert '<policy context="default">\n    <deny send_destination="de.pengutronix.rauc"/>' in text
    assert '<policy group="borne">\n    <allow send_destination="de.pengutronix.rauc"/>' in text
    assert '<policy user="root">\n    <allow send_destination="de.pengutronix.rauc"/>' in text


def test_debians_policy_alone_lets_any_user_control_rauc(scratch: Path) -> None:
    # The finding: without our file, a user with no business there marks a slot bad.
    with _started_bus(scratch, [DEBIANS]) as address:
        assert _call(address, OUTSIDER).returncode == 0
        refused = _call(address, OUTSIDER, "Mark")
        assert "AccessDenied" not in refused.stderr


def test_only_root_and_the_group_may_call_rauc(scratch: Path) -> None:
    assert grp.getgrgid(pwd.getpwnam(INSIDER).pw_gid).gr_name == INSIDER
    ours = scratch / "borne-rauc.conf"
    ours.write_text(OURS.read_text().replace('group="borne"', f'group="{INSIDER}"'))
    with _started_bus(scratch, [DEBIANS, ours]) as address:
        for member in ("Get", "Mark"):
            refused = _call(address, OUTSIDER, member)
            assert refused.returncode != 0 and "AccessDenied" in refused.stderr, refused
        allowed = _call(address, INSIDER)
        assert allowed.returncode == 0 and '"idle"' in allowed.stdout, allowed.stderr
        assert "AccessDenied" not in _call(address, INSIDER, "Mark").stderr
        assert _call(address, "root").returncode == 0
