"""Give this process (and its children) a private pcscd socket, and a private network.

Debian's pcscd 1.9.9 ignores ``PCSCLITE_CSOCK_NAME``: its socket is always
``/run/pcscd/pcscd.comm``, and libpcsclite clients always look there. A private
mount namespace with a tmpfs on ``/run/pcscd`` lets the simulator or the tests
run their own pcscd beside the machine's, and their clients see only theirs.

vpcd's TCP ports are not covered by a mount namespace: :func:`isolate_network`
gives the process its own loopback, so two test runs (or a test run and a
stray pcscd) never fight over port 0x9C7B. Only the tests use it: the
simulator must stay reachable from the billing software.

Both need root and a single-threaded process (a namespace change applies to
the calling thread only, and ``unshare`` refuses when threads share it), so
call them first thing. Children inherit the namespaces; the environment marks
them so a child's own call is a no-op instead of hiding its parent's pcscd.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import socket
import struct
import threading
from collections.abc import Callable

from borne.errors import BorneError, Message

__all__ = ["PCSCD_RUN_DIR", "isolate_network", "isolate_pcscd_socket"]

log = logging.getLogger("borne.sim.namespace")

#: Where pcsc-lite 1.9 keeps its socket (compiled in, not configurable).
PCSCD_RUN_DIR = "/run/pcscd"

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = struct.Struct("16sH22s")  # struct ifreq: name, then the flags member of its union

#: Set in the environment once done, so children (which inherit the namespace) skip it.
_MOUNT_MARK = "BORNE_PRIVATE_PCSCD_SOCKET"
_NET_MARK = "BORNE_PRIVATE_NETWORK"


def isolate_pcscd_socket() -> None:
    """Make ``/run/pcscd`` private to this process and its children (an empty tmpfs).

    Raises :class:`BorneError` (``sim_needs_root``) when not root, and
    (``sim_namespace_failed``) when threads already run or the kernel refuses.
    A second call, here or in a child, does nothing.
    """
    if os.environ.get(_MOUNT_MARK):
        return
    _check_can_unshare("a private /run/pcscd")
    libc = _libc()
    _call(libc.unshare, _CLONE_NEWNS, what="unshare(CLONE_NEWNS)")
    # systemd makes / a shared mount: without this our tmpfs would propagate
    # back to the machine's namespace and hide the system pcscd's socket.
    _call(libc.mount, None, b"/", None, _MS_REC | _MS_PRIVATE, None, what="mount --make-rprivate /")
    os.makedirs(PCSCD_RUN_DIR, exist_ok=True)
    _call(libc.mount, b"tmpfs", PCSCD_RUN_DIR.encode(), b"tmpfs", 0, b"mode=0755",
          what=f"mount tmpfs on {PCSCD_RUN_DIR}")
    os.environ[_MOUNT_MARK] = "1"


def isolate_network() -> None:
    """Give this process and its children their own network namespace, loopback up.

    Same errors and idempotence as :func:`isolate_pcscd_socket`. Nothing
    outside can reach the process's sockets afterwards, nor can it reach out.
    """
    if os.environ.get(_NET_MARK):
        return
    _check_can_unshare("a private network")
    _call(_libc().unshare, _CLONE_NEWNET, what="unshare(CLONE_NEWNET)")
    # A new network namespace has only "lo", and it is down.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = _IFREQ.pack(b"lo", 0, b"")
        _, flags, _ = _IFREQ.unpack(fcntl.ioctl(sock, _SIOCGIFFLAGS, request))
        fcntl.ioctl(sock, _SIOCSIFFLAGS, _IFREQ.pack(b"lo", flags | _IFF_UP, b""))
    _reserve_vpcd_ports()
    os.environ[_NET_MARK] = "1"


#: The fixed TCP ports vpcd listens on here: the simulator's slots (0x9C7B...), the test
#: workstation's (0xA17B...), the named bridges' workstation in
#: tests/integration/test_bridge_names.py (0xA47B - 4 to 0xA47B + 15: two boxes' named
#: slots, two ports each) and vpcd's own default (0x8C7B...). All sit inside Linux's
#: ephemeral range (32768-60999): a client socket that happened to get one of them as its
#: local port (thousands do, in TIME_WAIT, after the API tests) made pcscd's vpcd fail to bind.
VPCD_PORT_RANGES = "35963-35970,40059-40070,41339-41346,42103-42122"


def _reserve_vpcd_ports() -> None:
    # ip_local_reserved_ports is per network namespace (ip-sysctl.rst): this one only.
    try:
        with open("/proc/sys/net/ipv4/ip_local_reserved_ports", "w") as file:
            file.write(VPCD_PORT_RANGES)
    except OSError as error:  # a kernel without it: the collision stays merely unlikely
        log.warning("cannot reserve the vpcd ports: %s", error.strerror)


def _check_can_unshare(purpose: str) -> None:
    if os.geteuid() != 0:
        raise BorneError(Message(f"{purpose} : lancez les tests ou le simulateur en root",
                                 f"{purpose} needs root (run the tests or the simulator as root)"),
                         code="sim_needs_root")
    if threading.active_count() != 1:
        raise BorneError(
            f"{purpose} must be set up before any thread starts "
            f"({threading.active_count()} threads run: {[t.name for t in threading.enumerate()]})",
            code="sim_namespace_failed",
        )


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _call(function: Callable[..., int], *args: object, what: str) -> None:
    if function(*args) != 0:
        errno = ctypes.get_errno()
        raise BorneError(f"{what} failed: {os.strerror(errno)}", code="sim_namespace_failed")
