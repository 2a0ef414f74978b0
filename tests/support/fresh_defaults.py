"""A command run where the daemon's default paths are empty, whatever this machine has there.

For the tests of the defaults (no config file, a refused one) and for commands run on
a workstation (where no box is installed): ``FRESH_DEFAULTS + [command, ...]`` runs
the command in a private mount namespace where ``/etc/borne``, ``/run/borne`` and
``/var/lib`` are empty tmpfs. Nothing is created on the machine, nothing of a daemon
the machine runs is seen (``/run`` is a new tmpfs), and the tests' private
``/run/pcscd`` stays where pcsc-lite looks for it. ``/etc`` is an overlay of the
machine's, so ``/etc/borne`` exists even where the machine has none.
"""

from __future__ import annotations

__all__ = ["FRESH_DEFAULTS"]

_SCRIPT = r"""
set -eu
exec 3</run/pcscd
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir /run/pcscd /run/borne /run/.etc /run/.etc/upper /run/.etc/work
# --no-canonicalize: the descriptor's directory, not whatever the path now names.
mount --no-canonicalize --bind /proc/self/fd/3 /run/pcscd
exec 3<&-
mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/.etc/upper,workdir=/run/.etc/work /etc
mkdir -p /etc/borne
mount -t tmpfs -o mode=0755 tmpfs /etc/borne
mount -t tmpfs -o mode=0755 tmpfs /var/lib
exec "$@"
"""

#: The command prefix. unshare and sh exec the command: its process is the one started.
FRESH_DEFAULTS = ["unshare", "--mount", "--propagation", "private",
                  "sh", "-c", _SCRIPT, "fresh-defaults"]
