"""POST /v1/clock over real mutual TLS: a paired workstation sets the time of a box without NTP.

The kernel's sync answer is injected (the machine running the tests may or may
not be synchronised); everything else is real: the daemon, its API, the audit
journal, the event stream, the screen's state.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest

from borne.client import BoxClient, BoxError
from borne.client.api import mtls_context
from borne.client.store import WorkstationFiles
from borne.runtime.clock import Clock
from borne.daemon import Daemon

from support.box import paired, running_box, url
from support.waiting import wait_event
from support.contract import check

pytestmark = pytest.mark.pcscd

SET = "2027-03-01T10:00:00Z"


class KernelSync:
    """The kernel's adjtimex answer, as the test decides it."""

    def __init__(self) -> None:
        self.synced = False

    def __call__(self) -> bool:
        return self.synced


@asynccontextmanager
async def start(tmp_path, kernel: KernelSync) -> AsyncIterator[Daemon]:
    """The box with a screen, on a clock whose NTP sync ``kernel`` decides; stopped at the end."""
    # recheck_s=0: every reading asks the (injected) kernel, so a test flips NTP at once.
    async with running_box(tmp_path, clock=Clock(recheck_s=0.0, kernel_synced=kernel),
                           display={"device": "dummy:128x64"}) as box:
        assert box.display is not None
        yield box


def seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def test_a_paired_client_sets_the_clock_and_later_records_carry_it(tmp_path, sim_pcscd):
    kernel = KernelSync()
    async with start(tmp_path, kernel) as box:
        await paired(box, tmp_path / "ws", "Tablette IDE")  # an ordinary workstation, not admin
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            before = await client.status()
            assert before["clock"]["synchronised"] is False and before["clock"]["source"] == "none"
            assert box.display.state.clock_synced is False
            events = client.events(after=before["last_event_seq"])
            response = await client._http.post("/v1/clock", json={"utc": SET})
            check("POST", "/v1/clock", response)
            body = response.json()
            assert response.status_code == 200 and body["source"] == "client"
            assert body["synchronised"] is True
            assert 0 <= seconds(body["wall"]) - seconds(SET) < 5
            assert body["offset_s"] == pytest.approx(seconds(SET) - seconds(before["clock"]["wall"]),
                                                     abs=5)
            event = await wait_event(events, "clock.set")
            await events.aclose()
            assert event.data == {"source": "client", "offset_s": body["offset_s"]}
            assert box.display.state.clock_synced is True  # the screen's clock mark goes

            status = await client.status()
            check("GET", "/v1/status", await client._http.get("/v1/status"))
            assert status["clock"]["source"] == "client" and status["clock"]["synchronised"]
            assert 0 <= seconds(status["clock"]["wall"]) - seconds(SET) < 5

            entries = await client.audit(limit=1000)
            set_at = next(e for e in entries if e["action"] == "clock.set")
            assert set_at["detail"] == {"source": "client", "offset_s": body["offset_s"]}
            assert set_at["client_id"] == (await client._http.get("/v1/clients/me")).json()["client_id"]
            earlier = [e for e in entries if e["seq"] < set_at["seq"]]
            later = [e for e in entries if e["seq"] >= set_at["seq"]]
            assert earlier and all(e["wall_synced"] is False for e in earlier)
            assert all(e["wall_synced"] is True for e in later)
            assert all(0 <= seconds(e["wall"]) - seconds(SET) < 5 for e in later)
            assert [e["action"] for e in later[:2]] == ["clock.set", "POST /v1/clock"]
            # The SDK's call: this workstation's own time, now, months before the time just
            # set: the box's clock does not go back.
            with pytest.raises(BoxError) as refused:
                await client.set_clock()
            assert (refused.value.status, refused.value.code) == (409, "clock_before_last_known")
            assert 0 <= seconds(refused.value.details["last_known"]) - seconds(SET) < 5
            assert refused.value.details["behind_s"] > 80 * 86400
            assert 0 <= seconds((await client.status())["clock"]["wall"]) - seconds(SET) < 5


async def test_absurd_or_malformed_times_are_refused(tmp_path, sim_pcscd):
    async with start(tmp_path, KernelSync()) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            http = client._http
            for body, code in (({"utc": "2001-09-09T01:46:40Z"}, "clock_implausible"),
                               ({"utc": "2099-01-01T00:00:00Z"}, "clock_implausible"),
                               ({"utc": "2027-03-01T10:00:00"}, "bad_request"),
                               ({"utc": "tomorrow"}, "bad_request"),
                               ({"utc": 1795000000}, "bad_request"),
                               ({}, "bad_request")):
                response = await http.post("/v1/clock", json=body)
                check("POST", "/v1/clock", response)
                assert (response.status_code, response.json()["error"]) == (400, code), body
            refused = await http.post("/v1/clock", json={"utc": "2001-09-09T01:46:40Z"})
            assert "before the box was built" in refused.json()["message"]
            assert refused.json()["details"]["earliest"] <= "2027"
            not_json = await http.post("/v1/clock", content=b"{",
                                       headers={"content-type": "application/json"})
            assert not_json.status_code == 400
            assert (await client.status())["clock"]["source"] == "none"


async def test_ntp_wins_over_a_client_and_refuses_further_settings(tmp_path, sim_pcscd):
    kernel = KernelSync()
    async with start(tmp_path, kernel) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            assert (await client._http.post("/v1/clock", json={"utc": SET})).status_code == 200
            events = client.events(after=(await client.status())["last_event_seq"])
            kernel.synced = True
            assert box.clock_watch.check() == 1  # what its task does every few seconds
            event = await wait_event(events, "clock.set")
            await events.aclose()
            # The kernel's (here: the test machine's) time replaces the client's 2027.
            assert event.data["source"] == "ntp"
            assert event.data["offset_s"] == pytest.approx(
                datetime.now(timezone.utc).timestamp() - seconds(SET), abs=10)
            status = await client.status()
            assert status["clock"]["source"] == "ntp"
            assert abs(seconds(status["clock"]["wall"]) - datetime.now(timezone.utc).timestamp()) < 5
            refused = await client._http.post("/v1/clock", json={"utc": SET})
            check("POST", "/v1/clock", refused)
            assert (refused.status_code, refused.json()["error"]) == (409, "clock_synchronised")
            assert "already synchronised" in refused.json()["message"]


async def test_borne_doctor_reports_the_clock_the_workstation_set(tmp_path, sim_pcscd):
    """Only the daemon knows its clock was set by a workstation: the doctor asks it."""
    import subprocess
    import sys

    async with start(tmp_path, KernelSync()) as box:
        box.clock.set_client_time(datetime.fromisoformat(SET.replace("Z", "+00:00")))
        (tmp_path / "borne.toml").write_text(
            f'[daemon]\nruntime_dir = "{tmp_path / "run"}"\ndata_dir = "{tmp_path / "data"}"\n')
        run = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "borne.cli.main", "--lang", "en", "--config",
                             str(tmp_path / "borne.toml"), "doctor"],
            capture_output=True, text=True, timeout=60)
        clock_lines = [line for line in run.stdout.splitlines() if "] clock" in line]
        assert len(clock_lines) == 1, run.stdout
        assert clock_lines[0].startswith("[OK") and "set by the paired workstation" in clock_lines[0]
        assert "2027-03-01T10:00" in clock_lines[0]


async def test_the_clock_never_goes_back_even_across_a_restart(tmp_path, sim_pcscd):
    """The vendor's case: the old docs' example, 13.6 days before the box's time, is refused
    and changes nothing; after a restart (the kernel's clock back in the past), so is a time
    before what the box knew before it."""
    now = datetime.now(timezone.utc)
    example = (now - timedelta(days=13.6)).isoformat().replace("+00:00", "Z")
    ahead = now + timedelta(days=8)  # a workstation set the box 8 days ahead (10 at most)
    async with start(tmp_path, KernelSync()) as box:
        await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            refused = await client._http.post("/v1/clock", json={"utc": example})
            check("POST", "/v1/clock", refused)
            body = refused.json()
            assert (refused.status_code, body["error"]) == (409, "clock_before_last_known")
            assert "never goes back" in body["message"]
            assert body["details"]["behind_s"] == pytest.approx(13.6 * 86400, abs=30)
            status = await client.status()
            assert status["clock"]["source"] == "none"  # nothing changed
            assert abs(seconds(status["clock"]["wall"]) - time.time()) < 5
            # A time a few seconds behind the box's (a slower workstation): the clock is kept.
            kept = await client.set_clock(datetime.now(timezone.utc) - timedelta(seconds=20))
            assert kept["offset_s"] == 0.0 and kept["source"] == "client"
            moved = await client.set_clock(ahead)
            assert moved["offset_s"] == pytest.approx(8 * 86400, abs=30)
    known = json.loads((tmp_path / "data" / "clock.json").read_text())
    assert known["source"] == "client" and 0 <= known["epoch"] - ahead.timestamp() < 30

    # Restarted: the kernel's clock reads the real time again, 8 days before the box's.
    async with start(tmp_path, KernelSync()) as box:
        files = WorkstationFiles(tmp_path / "ws")  # the box listens on another port now
        async with BoxClient(url(box), mtls_context(files), language="en") as client:
            with pytest.raises(BoxError) as refused:
                await client.set_clock()
            assert refused.value.code == "clock_before_last_known"
            assert 0 <= seconds(refused.value.details["last_known"]) - ahead.timestamp() < 30
            moved = await client.set_clock(ahead + timedelta(hours=1))
            assert moved["offset_s"] == pytest.approx(8 * 86400 + 3600, abs=30)
