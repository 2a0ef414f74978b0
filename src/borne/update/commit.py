"""``borne update commit``: after a tried boot, keep the new system only if it is healthy.

``borne-update-commit.service`` runs it after a boot the firmware made on trial (its
``ExecCondition``: ``tryboot-backend trial``). When the booted slot is not RAUC's primary
(the slot every boot starts: on trial it is still the old one), it waits, up to
``[update] commit_deadline_s``, for both:

1. ``borne.service`` ready: ``ActiveState=active`` of a ``Type=notify`` unit, which
   systemd sets only once the daemon sent ``READY=1`` (without systemd: the control
   socket's ``ping`` says ``ready``);
2. the health checks of ``borne doctor`` passing where they judge the *system*
   (:data:`BLOCKING`): the daemon answers, the configuration is read, the API, the data
   partition, the board secret, the box's certificates and the offline journal work.
   What only says something about the counter is not held against the update
   (:data:`NOT_BLOCKING`): a reader unplugged, no camera, an unsynchronised clock, a low
   battery. A missing reader must not roll a pharmacy back.

Then RAUC marks the booted slot good (the backend makes it the primary). Past the
deadline it marks it bad and asks for a reboot (``<runtime_dir>/reboot-request``, as the
daemon does; with no trial pending, ``borne-update-reboot.service`` reboots plainly): the
firmware's ``tryboot`` was for one boot only, so the box comes back on the old slot by
itself, and its daemon reports ``update.rolled_back``.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..health import Check
from .rauc import RaucClient, RaucError, booted_bootname, primary_bootname

__all__ = ["BLOCKING", "NOT_BLOCKING", "CommitResult", "blocking_failures", "commit_after_boot",
           "daemon_ready"]

#: Checks (by name) whose failure means the new system does not work: it is rolled back.
BLOCKING = frozenset({"config", "daemon", "api", "storage", "data_dir", "keys", "ca", "server",
                      "journal"})
#: Checks that judge the counter, not the system: never a reason to roll back.
NOT_BLOCKING = frozenset({"pcscd", "readers", "camera", "scanner", "nfc", "display", "panel",
                          "mdns", "battery", "clock", "group", "clients", "disk", "update"})

#: Seconds between two looks while waiting.
POLL_S = 1.0


@dataclass(frozen=True)
class CommitResult:
    """What ``borne update commit`` did: ``committed``, ``rolled_back``, ``not_on_trial``
    or ``unavailable``, with the checks that held it (for the log)."""

    outcome: str
    slot: str | None = None
    reasons: tuple[str, ...] = ()


def blocking_failures(checks: list[Check]) -> list[str]:
    """The blocking checks that are not passing: ``name: code``. The daemon's own check
    must be ``ok`` (a ``warn`` there means it does not answer)."""
    failed = []
    for check in checks:
        bad = check.status != "ok" if check.name == "daemon" else check.status == "fail"
        if check.name in BLOCKING and bad:
            failed.append(f"{check.name}: {check.code}")
    return failed


def daemon_ready(control_socket: Path, unit: str = "borne.service") -> bool:
    """Whether the daemon sent ``READY=1``: its unit's ``ActiveState`` under systemd, else
    the control socket's ``ping``."""
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        answer = subprocess.run(["systemctl", "show", "--property=ActiveState", "--value", unit],
                                capture_output=True, text=True, timeout=10)
        return answer.stdout.strip() == "active"
    from ..control.client import call
    from ..errors import BorneError

    try:
        return bool(call(control_socket, "ping", timeout=2.0).get("ready"))
    except BorneError:
        return False


async def commit_after_boot(*, address: str, deadline_s: float,
                            ready: Callable[[], bool],
                            checks: Callable[[], list[Check]],
                            reboot: Callable[[], Any],
                            connect: Callable[[str], RaucClient] = RaucClient,
                            poll_s: float = POLL_S,
                            say: Callable[[str], Any] = print) -> CommitResult:
    """Commit the tried slot once ready and healthy, or mark it bad and reboot (see above).

    ``ready()`` and ``checks()`` are blocking calls (systemctl, the control socket,
    ``borne doctor``'s checks): they run in a worker thread. ``reboot()`` asks for the
    reboot (``borne update commit``: the request file).
    """
    rauc = connect(address)
    try:
        await rauc.connect()
        slots = await rauc.slots()
        primary = await primary_bootname(rauc)
    except RaucError as error:
        await rauc.close()
        say(f"update commit: RAUC unavailable ({error.text}): nothing decided")
        return CommitResult("unavailable")
    try:
        booted, bootname = booted_bootname(slots)
        if booted is None or bootname == primary:
            say(f"update commit: {booted or 'the booted slot'} is the committed system already")
            return CommitResult("not_on_trial", booted)
        reasons = await _wait_healthy(deadline_s, ready, checks, poll_s)
        if not reasons:
            await rauc.mark("good", "booted")
            say(f"update commit: {booted} ready and healthy: marked good")
            return CommitResult("committed", booted)
        await rauc.mark("bad", "booted")
        say(f"update commit: {booted} not healthy within {deadline_s:.0f} s "
            f"({'; '.join(reasons)}): marked bad, rebooting into the previous system")
    finally:
        await rauc.close()
    await _call(reboot)
    return CommitResult("rolled_back", booted, tuple(reasons))


async def _wait_healthy(deadline_s: float, ready: Callable[[], bool],
                        checks: Callable[[], list[Check]], poll_s: float) -> list[str]:
    """[] once ready and healthy; else, at the deadline, what still held it."""
    deadline = time.monotonic() + deadline_s
    while True:
        if await asyncio.to_thread(ready):
            reasons = blocking_failures(await asyncio.to_thread(checks))
            if not reasons:
                return []
        else:
            reasons = ["daemon: not ready (READY=1 never sent)"]
        if time.monotonic() + poll_s > deadline:
            return reasons
        await asyncio.sleep(poll_s)


async def _call(action: Callable[[], Any]) -> None:
    result = await asyncio.to_thread(action)
    if isinstance(result, Awaitable):
        await result

