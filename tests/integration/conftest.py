"""The integration tests' machine: a private pcscd with virtual readers, and virtual cards.

The whole test process gets its own ``/run/pcscd`` and its own network
namespace (see :mod:`borne.sim.namespace`) before any thread starts, so the
tests never talk to the machine's pcscd nor fight another run over vpcd ports;
the box's fixed paths are empty and read-only for it (:mod:`support.sealed_paths`).
Missing pieces fail the run loudly: a PC/SC test must never be skipped quietly.
Only these tests need root, pcscd and vpcd: ``pytest tests/unit`` needs neither.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
import pytest

_VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"


def pytest_configure(config: pytest.Config) -> None:
    """Check the machine and isolate the process, before anything starts a thread."""
    if os.environ.get("BORNE_HIL") == "1":
        # On a real box: tests/hil use the machine's own pcscd and readers, untouched.
        return
    missing = []
    if shutil.which("pcscd") is None:
        missing.append("pcscd (Debian package: pcscd)")
    if not os.path.exists(_VPCD_DRIVER):
        missing.append(f"{_VPCD_DRIVER} (Debian package: vsmartcard-vpcd)")
    from support.machine import libzbar_missing

    if libzbar_missing():
        missing.append("libzbar0 (Debian package: libzbar0), for the QR decoder tests")
    if missing:
        pytest.exit("the integration tests need " + " and ".join(missing)
                    + ": ./dev.sh setup installs them", returncode=3)
    if os.geteuid() != 0:
        pytest.exit("the tests run as root (private pcscd in a private mount namespace)", returncode=3)

    from borne.errors import BorneError
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    try:
        isolate_pcscd_socket()
        isolate_network()
    except BorneError as error:
        pytest.exit(f"cannot isolate the test process: {error}", returncode=3)
    from support.sealed_paths import seal_box_paths

    seal_box_paths()  # a fresh machine's box paths, whatever this one has there


@pytest.fixture
def mount_tmpfs() -> Callable[[Path, str], object]:
    """``with mount_tmpfs(where, "size=8m"):`` a real tmpfs on ``where`` for the duration.

    Mounted in the test process's private mount namespace (``pytest_configure``), so
    the machine never sees it: a small partition that can really be filled up.
    """
    import subprocess
    from contextlib import contextmanager

    if not os.environ.get("BORNE_PRIVATE_PCSCD_SOCKET"):
        pytest.skip("mounting a tmpfs needs the tests' private mount namespace (not under BORNE_HIL)")

    @contextmanager
    def mount(where: Path, options: str) -> Iterator[Path]:
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
        try:
            yield where
        finally:
            subprocess.run(["umount", "-l", str(where)], check=True)

    return mount
