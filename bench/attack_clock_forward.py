"""A paired workstation gone bad moves the clock forward: are the others' records still there?

Issue 16, item 5. A box without NTP runs in this process (its API on loopback; no pcscd: the
reads are put in through the core, as a reader backend would). Workstation B gives the box the
time, then N card reads are journaled (one record each for A and B). Workstation A then tries
15 years ahead, and moves the clock as far ahead as the box allows (step by step, until refused);
retention runs (its check is called: on its own it runs at most hourly) with the default
``retention_days`` (7). The figure: how many of B's records B can still collect, against the
same run with no clock move (baseline). Goal: all of them. Then the same with A an admin
workstation, which may move the clock 15 years: retention must not depend on the bound.

Run as root: ``.venv/bin/python bench/attack_clock_forward.py``.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import _common  # noqa: F401  (puts src/ and tests/ on the path)


class _NoNtp:
    """The kernel's adjtimex answer: never synchronised (a box without network)."""

    def __call__(self) -> bool:
        return False


async def _scenario(work: Path, reads: int, attack: bool,
                    admin: bool = False) -> dict[str, object]:
    from borne.client import BoxClient, BoxError
    from borne.readers.base import SlotInfo
    from borne.readers.cards.model import Beneficiary, VitaleCard
    from borne.runtime.clock import Clock

    from support.box import paired, running_box
    from support.waiting import wait_event

    card = VitaleCard(atr=b"\x3b\x95", beneficiaries=(
        Beneficiary("MARTIN-TEST", "JEANNE", "1980-02-01", "280027512345613", True),))
    clock = Clock(recheck_s=0.0, kernel_synced=_NoNtp())
    result: dict[str, object] = {"moved_s": 0.0, "years_15": "not tried"}
    async with running_box(work, clock=clock) as box:
        await paired(box, work / "a", "Tablette volee", admin=admin)
        await paired(box, work / "b", "Comptoir")
        box.core.reader_attached(SlotInfo("bench-0", "Bench reader 0", "contact", "sim"))
        async with BoxClient.from_directory(work / "a", language="en") as a, \
                BoxClient.from_directory(work / "b", language="en") as b:
            await b.set_clock()
            events = b.events(after=box.bus.last_seq)
            for _ in range(reads):
                box.core.card_decoded("bench-0", card, 0)
                await wait_event(events, "journal.stored")
                box.core.card_removed("bench-0", 0)
            await events.aclose()
            if attack:
                now = datetime.now(timezone.utc)
                try:
                    result["moved_s"] = (await a.set_clock(now + timedelta(days=15 * 365)))[
                        "offset_s"]
                    result["years_15"] = "taken (200)"
                except BoxError as refused:
                    result["years_15"] = f"refused ({refused.status} {refused.code})"
                step = timedelta(days=1)
                target = now
                while step >= timedelta(minutes=1):  # as far ahead as the box takes
                    try:
                        result["moved_s"] = float(result["moved_s"]) + \
                            (await a.set_clock(target + step))["offset_s"]
                        target += step
                    except BoxError:
                        step /= 2
            await box.journal.retention_tick()
            result["collectable"] = len(await b.journal(limit=1000))
    return result


async def _measure(reads: int) -> list[str]:
    figures = {}
    for name, attack, admin in (("quiet", False, False), ("client", True, False),
                                ("admin", True, True)):
        with tempfile.TemporaryDirectory(prefix="borne-bench-clock-") as work:
            figures[name] = await _scenario(Path(work), reads, attack, admin)
    quiet, under, admin_run = figures["quiet"], figures["client"], figures["admin"]
    days = float(under["moved_s"]) / 86400
    return [
        f"clock forward by a paired client: A moved it +{days:.2f} days in all (as far as "
        f"the box allows, step by step); 15 years ahead: {under['years_15']}",
        f"clock forward by a paired client: B's records still collectable after retention: "
        f"{under['collectable']}/{reads} (baseline, no clock move: {quiet['collectable']}/{reads}; "
        f"goal: all {reads})",
        f"clock forward by an admin client (15 years: {admin_run['years_15']}): B's records "
        f"still collectable after retention: {admin_run['collectable']}/{reads} (baseline: "
        f"{quiet['collectable']}/{reads}; goal: all {reads})",
    ]


def run(quick: bool = False) -> list[str]:
    """Baseline then attack, in the same run; the printed lines (see the module docstring).

    The caller isolates the process first (``__main__`` below does): no pcscd is used, but
    the box's smart-card backend must not find the machine's.
    """
    return asyncio.run(_measure(10 if quick else 50))


if __name__ == "__main__":
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()  # while single-threaded: no pcscd in here, and a private loopback
    isolate_network()
    print("\n".join(run()))
