"""A paired workstation gone bad moves the clock forward: nobody's offline journal is purged.

Retention deletes the records nobody collected ``[journal] retention_days`` after the read.
It used to count that on the wall clock, which any paired workstation may set while the box
has no NTP (``POST /v1/clock``): a jump ahead made every other workstation's records look old,
and the next retention check deleted them. Now a record's age is counted on clocks no
workstation can move (the box's running time, kept across reboots; the wall clock only while
NTP vouches for it, both at the read and now), so after the clock moved as far ahead as the box
allows (and after trying 15 years), the other workstation still collects all its records; and
after an admin workstation (which may) moved it 15 years too.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``); the
reads are put in the box through the core, as a reader backend would (no pcscd needed).
Retention is run by calling its check (the service runs it at most hourly on its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from borne.client import BoxClient, BoxError
from borne.readers.base import SlotInfo
from borne.readers.cards.model import Beneficiary, VitaleCard
from borne.runtime.clock import Clock

from support.box import paired, running_box
from support.waiting import wait_event

VITALE = VitaleCard(atr=b"\x3b\x95", beneficiaries=(
    Beneficiary("MARTIN-TEST", "JEANNE", "1980-02-01", "280027512345613", True),))
READS = 3


class NoNtp:
    """The kernel's adjtimex answer: never synchronised (a box without network)."""

    def __call__(self) -> bool:
        return False


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_moving_the_clock_forward_purges_no_other_workstations_records(tmp_path):
    clock = Clock(recheck_s=0.0, kernel_synced=NoNtp())
    async with running_box(tmp_path, clock=clock, journal={"retention_days": 1.0,
                                                           "warn_before_s": 3600.0}) as box:
        await paired(box, tmp_path / "a", "Tablette volee")
        await paired(box, tmp_path / "b", "Comptoir")
        box.core.reader_attached(SlotInfo("sec-0", "Security reader 0", "contact", "sim"))
        async with BoxClient.from_directory(tmp_path / "a", language="en") as a, \
                BoxClient.from_directory(tmp_path / "b", language="en") as b:
            await b.set_clock()  # the honest workstation gives the box the time
            events = b.events(after=box.bus.last_seq)
            for _ in range(READS):
                box.core.card_decoded("sec-0", VITALE, 0)
                await wait_event(events, "journal.stored")
                box.core.card_removed("sec-0", 0)
            await events.aclose()
            assert len(await b.journal()) == READS
            # The workstation gone bad tries 15 years, then goes as far as the box allows,
            # step by step: each step beyond the bound is refused.
            now = datetime.now(timezone.utc)
            moved = 0.0
            for target in (now + timedelta(days=15 * 365), now + timedelta(days=8),
                           now + timedelta(days=16), now + timedelta(days=10)):
                try:
                    moved += (await a.set_clock(target))["offset_s"]
                except BoxError as refused:
                    assert refused.code in ("clock_too_far_ahead", "clock_before_last_known")
            assert moved > 1.0 * 86400  # further than retention: the old rule purged it all
            await box.journal.retention_tick()
            # Every record of the honest workstation is still there to collect.
            assert len(await b.journal()) == READS
            assert len(await a.journal()) == READS
        # Retention does not rest on that bound: an admin workstation may move the clock
        # 15 years, and still nothing is purged.
        await paired(box, tmp_path / "admin", "Poste admin", admin=True)
        async with BoxClient.from_directory(tmp_path / "admin", language="en") as admin, \
                BoxClient.from_directory(tmp_path / "b", language="en") as b:
            moved = await admin.set_clock(now + timedelta(days=15 * 365))
            assert moved["offset_s"] > 14 * 365 * 86400
            await box.journal.retention_tick()
            assert len(await b.journal()) == READS
