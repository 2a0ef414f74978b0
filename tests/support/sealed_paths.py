"""The box's fixed paths, empty and read-only for the whole test process.

A test must never depend on what an earlier run, another test or a daemon left
in ``/etc/borne``, ``/run/borne`` or ``/var/lib/borne*``, nor leave anything
there (a fresh machine has none of them: issue 14). After the integration tests
have their private mount namespace, :func:`seal_box_paths` covers each with an
empty read-only tmpfs, inside writable overlays of ``/etc`` and ``/var/lib`` and
a fresh ``/run`` (so nothing is created on the machine, not even a mount point):
a test that reads them sees a fresh machine; one that writes there fails at
once with "Read-only file system" instead of leaving a leftover behind. Commands
that need the defaults writable run under :data:`support.fresh_defaults.FRESH_DEFAULTS`,
which mounts its own.
"""

from __future__ import annotations

import os
import subprocess

__all__ = ["SEALED", "seal_box_paths"]

#: What is sealed: the box's and the simulator's default paths.
SEALED = ("/etc/borne", "/run/borne", "/var/lib/borne", "/var/lib/borne-sim")

_SCRIPT = r"""
set -eu
exec 3</run/pcscd
mkdir -p /tmp/.sealed-$$
mount -t tmpfs -o mode=0700 tmpfs /tmp/.sealed-$$
mkdir /tmp/.sealed-$$/etc /tmp/.sealed-$$/etc-work /tmp/.sealed-$$/lib /tmp/.sealed-$$/lib-work
mount -t overlay overlay -o lowerdir=/etc,upperdir=/tmp/.sealed-$$/etc,workdir=/tmp/.sealed-$$/etc-work /etc
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/tmp/.sealed-$$/lib,workdir=/tmp/.sealed-$$/lib-work /var/lib
umount -l /tmp/.sealed-$$
rmdir /tmp/.sealed-$$
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir /run/pcscd
mount --no-canonicalize --bind /proc/self/fd/3 /run/pcscd
exec 3<&-
for path in "$@"; do
    mkdir -p "$path"
    mount -t tmpfs -o ro,mode=0755 tmpfs "$path"
done
"""


_MARK = "BORNE_SEALED_PATHS"


def seal_box_paths() -> None:
    """Seal :data:`SEALED` in this process's (already private) mount namespace; once."""
    if os.environ.get(_MARK):
        return
    subprocess.run(["sh", "-c", _SCRIPT, "seal", *SEALED], check=True)
    os.environ[_MARK] = "1"
