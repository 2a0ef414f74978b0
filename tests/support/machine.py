"""What the machine offers beyond the virtual environment, for tests that need a Debian package.

``pytest tests/unit`` runs with nothing but the venv: a unit test that needs a
system library skips with the package to install. The integration tests' machine
check (``tests/integration/conftest.py``) requires the same libraries, so CI, which
runs both, never skips these quietly.
"""

from __future__ import annotations

import functools

import pytest

__all__ = ["NEEDS_LIBZBAR", "libzbar_missing"]


@functools.cache
def libzbar_missing() -> str | None:
    """Why zbar cannot be loaded (pyzbar's loader), or None when it can."""
    try:
        from pyzbar import zbar_library

        zbar_library.load()
    except (ImportError, OSError) as error:
        return f"libzbar0 (Debian package) cannot be loaded: {error}"
    return None


#: Marks a test that decodes with pyzbar.
NEEDS_LIBZBAR = pytest.mark.skipif(libzbar_missing() is not None,
                                   reason=str(libzbar_missing()) + "; ./dev.sh installs it")
