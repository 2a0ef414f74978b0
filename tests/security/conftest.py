"""The security tests' machine: root, and the process's own mount and network namespaces.

What ``tests/integration/conftest.py`` does before any thread starts, for the tests of what
a route lets an attacker try (the threat model: a LAN attacker without a certificate, a
paired workstation gone bad, a thief with the SD card, a person at the counter). They run
the real daemon in the test process on loopback, never the machine's pcscd: ``/run/pcscd``
is a private, empty tmpfs here unless the integration tests' own pcscd runs in it, and the
box's fixed paths are sealed (:mod:`support.sealed_paths`). Each step is idempotent, so a run
of the whole suite isolates once.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Check the machine and isolate the process, before anything starts a thread."""
    if os.environ.get("BORNE_HIL") == "1":
        return
    if os.geteuid() != 0:
        pytest.exit("the security tests run as root (private mount and network namespaces)",
                    returncode=3)
    from borne.errors import BorneError
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    try:
        isolate_pcscd_socket()
        isolate_network()
    except BorneError as error:
        pytest.exit(f"cannot isolate the test process: {error}", returncode=3)
    from support.sealed_paths import seal_box_paths

    seal_box_paths()  # a fresh machine's box paths (tests/integration/conftest.py does the same)
