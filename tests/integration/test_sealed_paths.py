"""The tests see a fresh machine's box paths, and cannot leave anything in them."""

from __future__ import annotations

import errno
import os

import pytest

from support.sealed_paths import SEALED

pytestmark = pytest.mark.pcscd


@pytest.mark.parametrize("path", SEALED)
def test_a_box_path_is_empty_and_read_only(path):
    assert os.listdir(path) == []  # whatever an earlier run left on this machine
    with pytest.raises(OSError) as refused:
        open(os.path.join(path, "leftover"), "w").close()
    assert refused.value.errno == errno.EROFS


def test_the_private_pcscd_is_still_reachable(sim_pcscd):
    assert os.path.exists("/run/pcscd/pcscd.comm")
