"""Finding 8 of issue 16 (first part): members of group ``borne`` may use the control socket
under the unit's ``ProtectProc=invisible``, as the docs say; others still may not.

The daemon learnt a peer's supplementary groups from ``/proc/<pid>/status``, which
``ProtectProc=invisible`` hides from it when the peer is another user: a member of the
group was refused (``control_forbidden``). Two unprivileged users on a ``/proc`` mounted
with ``hidepid=invisible`` (:mod:`support.control_peer`, in a mount namespace of its own).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "support" / "control_peer.py"
#: An unprivileged group every Debian has; the scenario gives it to the daemon's side as
#: its primary group, and to the member as a supplementary one.
GROUP = "users"


def test_a_member_of_the_group_may_use_the_socket_under_protect_proc_invisible():
    run = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                          str(SCENARIO), GROUP], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    answers = json.loads(run.stdout)
    assert answers["stranger"] == {"ok": False, "code": "control_forbidden"}
    assert answers["member"]["ok"], answers
    # The scenario is the unit's: the daemon's side cannot see the member's /proc/<pid>.
    assert answers["member"]["result"] == {"uid": 65534, "proc_visible": False}
