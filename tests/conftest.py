"""What every test may use; nothing here needs root, pcscd or a Debian package.

The machine the integration tests need (root, a private pcscd with vpcd) is set
up by ``tests/integration/conftest.py``; the hardware-in-the-loop tests use the
box's own (``tests/hil``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from support.waiting import wait_for


@pytest.fixture(name="wait_for")
def wait_for_fixture() -> Callable[..., object]:
    """:func:`support.waiting.wait_for` as a fixture."""
    return wait_for
