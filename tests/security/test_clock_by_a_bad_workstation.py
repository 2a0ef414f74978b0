"""What ``POST /v1/clock`` lets a paired workstation gone bad do to the box's clock floor.

The box keeps the latest time it has known in ``<data_dir>/clock.json`` and never goes back
below it (``clock_before_last_known``). A workstation gone bad:

- cannot lower the floor, nor walk the clock back by small steps within the 60 s slack: a
  time behind keeps the clock where it is;
- cannot put text of its choosing in the file: it holds numbers the box computed;
- cannot move the clock (nor the floor) more than ``CLIENT_MAX_AHEAD_S`` (10 days) ahead of the
  time the box trusted at start or first learnt in this boot, counted on, however many steps it
  takes (``clock_too_far_ahead``); each try, refused or not, is in the audit journal with the
  time before and the time asked. An admin workstation may go further (a box that was off for
  months); NTP, once it answers, is the floor again, even lower.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from borne.client import BoxClient
from borne.runtime.clock import Clock

from support.box import paired, running_box


class KernelSync:
    """The kernel's adjtimex answer, as the test decides it."""

    def __init__(self) -> None:
        self.synced = False

    def __call__(self) -> bool:
        return self.synced


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_a_workstation_cannot_lower_the_floor_nor_walk_the_clock_back(tmp_path):
    clock = Clock(recheck_s=0.0, kernel_synced=KernelSync())
    async with running_box(tmp_path, clock=clock) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            http = client._http
            ahead = datetime.now(timezone.utc) + timedelta(days=2)
            assert (await http.post("/v1/clock", json={"utc": iso(ahead)})).status_code == 200
            floor = json.loads((tmp_path / "data" / "clock.json").read_text())
            # Far back: refused, nothing moves.
            refused = await http.post("/v1/clock", json={"utc": iso(ahead - timedelta(days=1))})
            assert refused.status_code == 409
            assert refused.json()["error"] == "clock_before_last_known"
            # Step by step within the slack: the clock is kept each time, never sent back.
            for step in range(1, 11):
                behind = iso(ahead - timedelta(seconds=59 * step))
                kept = await http.post("/v1/clock", json={"utc": behind})
                assert kept.status_code in (200, 409)
                if kept.status_code == 200:
                    assert kept.json()["offset_s"] == 0.0
            wall = datetime.fromisoformat((await client.status())["clock"]["wall"])
            assert wall >= ahead
        after = json.loads((tmp_path / "data" / "clock.json").read_text())
        assert after["epoch"] >= floor["epoch"]
        # Only what the box computed is written: no text of the client's.
        assert set(after) == {"wall", "epoch", "source"} and after["source"] == "client"
        assert isinstance(after["epoch"], float)
        assert abs(datetime.fromisoformat(after["wall"]).timestamp() - after["epoch"]) < 0.001


async def test_ntp_undoes_a_workstations_jump_ahead(tmp_path):
    kernel = KernelSync()
    async with running_box(tmp_path, clock=Clock(recheck_s=0.0, kernel_synced=kernel)) as box:
        await paired(box, tmp_path / "ws", admin=True)  # an admin may go beyond the bound
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            years_ahead = datetime.now(timezone.utc) + timedelta(days=15 * 365)
            moved = await client._http.post("/v1/clock", json={"utc": iso(years_ahead)})
            assert moved.status_code == 200
            now = iso(datetime.now(timezone.utc))
            honest = await client._http.post("/v1/clock", json={"utc": now})
            assert honest.json()["error"] == "clock_before_last_known"  # the floor holds
            kernel.synced = True
            assert box.clock_watch.check() == 1  # NTP takes over
        floor = json.loads((tmp_path / "data" / "clock.json").read_text())
        assert floor["source"] == "ntp"
        assert abs(floor["epoch"] - datetime.now(timezone.utc).timestamp()) < 30


async def test_a_workstation_cannot_move_the_clock_far_ahead_even_step_by_step(tmp_path):
    clock = Clock(recheck_s=0.0, kernel_synced=KernelSync())
    async with running_box(tmp_path, clock=clock) as box:
        bad = await paired(box, tmp_path / "bad", "Tablette volee")
        await paired(box, tmp_path / "ws", "Comptoir")
        await paired(box, tmp_path / "admin", "Poste admin", admin=True)
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as honest, \
                BoxClient.from_directory(tmp_path / "bad", language="en") as client:
            await honest.set_clock()  # the time the box learns first in this boot
            now = datetime.now(timezone.utc)
            http = client._http
            refused = await http.post("/v1/clock", json={"utc": iso(now + timedelta(days=15 * 365))})
            assert refused.status_code == 409
            assert refused.json()["error"] == "clock_too_far_ahead"
            latest = datetime.fromisoformat(refused.json()["details"]["latest"])
            assert timedelta(days=9) < latest - now < timedelta(days=11)
            # Within the bound: taken. Further, step by step from the new floor: refused.
            ahead = await http.post("/v1/clock", json={"utc": iso(now + timedelta(days=8))})
            assert ahead.status_code == 200
            for days in (12, 16, 30):
                step = await http.post("/v1/clock", json={"utc": iso(now + timedelta(days=days))})
                assert (step.status_code, step.json()["error"]) == (409, "clock_too_far_ahead")
            wall = datetime.fromisoformat((await client.status())["clock"]["wall"])
            assert wall - now < timedelta(days=8, minutes=5)
        floor = json.loads((tmp_path / "data" / "clock.json").read_text())
        assert floor["epoch"] - now.timestamp() < 10 * 86400
        # Every try is journaled: who, the time before and the time asked.
        tries = [e for e in box.api_context.audit.entries(limit=1000, client_id=bad.client_id)
                 if e.action == "POST /v1/clock"]
        assert [e.status for e in tries] == [409, 200, 409, 409, 409]
        asked = [datetime.fromisoformat(e.detail["asked"]) - now for e in tries]
        assert [round(a / timedelta(days=1)) for a in asked] == [15 * 365, 8, 12, 16, 30]
        before = [datetime.fromisoformat(e.detail["before"]) - now for e in tries]
        assert [round(b / timedelta(days=1)) for b in before] == [0, 0, 8, 8, 8]
        assert tries[1].detail["offset_s"] > 7 * 86400 and "offset_s" not in tries[0].detail
        # An admin workstation may move it further (a box that was off for months).
        async with BoxClient.from_directory(tmp_path / "admin", language="en") as admin:
            months = await admin.set_clock(now + timedelta(days=90))
            assert months["offset_s"] > 80 * 86400
