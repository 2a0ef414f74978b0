"""The control socket between two unprivileged users under ``ProtectProc=invisible``.

Run as root, in a mount namespace of its own (``unshare --mount --propagation private``):
``python control_peer.py GROUP``. It mounts a ``/proc`` with ``hidepid=invisible`` (what the
unit's ``ProtectProc=invisible`` gives the daemon), then forks:

- the daemon's side: user ``daemon``, primary group ``GROUP`` (as ``User=borne``,
  ``Group=borne``), serving a :class:`~borne.control.server.ControlServer` for ``GROUP``;
- two peers, user ``nobody`` (primary group ``nogroup``): a *member*, with ``GROUP`` as a
  supplementary group (as a member of group ``borne`` logged in), and a *stranger* without.

It prints one JSON object: each peer's answer (``{"ok": ...}``), and whether the daemon's
side could see the member's ``/proc/<pid>`` (it must not, or the scenario is not the unit's).
Used by ``tests/security/test_control_socket_group.py``.
"""

from __future__ import annotations

import asyncio
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from borne.control.client import call
from borne.control.server import ControlServer
from borne.errors import ControlError


def _drop(user: str, group: int, supplementary: list[int]) -> None:
    os.setgroups(supplementary)
    os.setgid(group)
    os.setuid(pwd.getpwnam(user).pw_uid)


def _serve(path: Path, group: str, ready: int) -> None:
    _drop("daemon", grp.getgrnam(group).gr_gid, [])

    async def whoami(peer, args):
        return {"uid": peer.uid, "proc_visible": Path(f"/proc/{peer.pid}/status").exists()}

    async def main() -> None:
        server = ControlServer(path, {"whoami": whoami}, group=group)
        await server.start()
        os.write(ready, b"x")
        await asyncio.sleep(30)

    asyncio.run(main())


def _ask(path: Path, groups: list[int]) -> dict:
    _drop("nobody", grp.getgrnam("nogroup").gr_gid, groups)
    try:
        return {"ok": True, "result": call(path, "whoami", timeout=10)}
    except ControlError as error:
        return {"ok": False, "code": error.code}


def main(group: str) -> None:
    subprocess.run(["mount", "-t", "proc", "-o", "hidepid=invisible", "proc", "/proc"], check=True)
    work = Path(tempfile.mkdtemp(prefix="borne-control-"))
    work.chmod(0o777)
    path = work / "control.sock"
    ready_r, ready_w = os.pipe()
    server = os.fork()
    if server == 0:
        _serve(path, group, ready_w)
        os._exit(0)
    os.read(ready_r, 1)
    answers = {}
    for name, groups in (("member", [grp.getgrnam(group).gr_gid]), ("stranger", [])):
        out_r, out_w = os.pipe()
        child = os.fork()
        if child == 0:
            os.write(out_w, json.dumps(_ask(path, groups)).encode())
            os._exit(0)
        os.close(out_w)
        with os.fdopen(out_r) as out:
            answers[name] = json.loads(out.read())
        os.waitpid(child, 0)
    os.kill(server, 15)
    os.waitpid(server, 0)
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(answers))


if __name__ == "__main__":
    main(sys.argv[1])
