"""An independent fuzzer keeps the contract: schemathesis against the simulated box finds nothing.

The vendor's run (issue 15): schemathesis, with a paired admin certificate, reads
``/openapi.json`` and sends what it says (examples, then boundary values, then random
requests, then chains of operations along the document's links), and what it does not allow.
Every check is on: any 5xx, an undocumented status, content type or header, a body off its
schema, a valid request refused, an invalid one accepted, a 405 without ``Allow``... fails the
test. The box has cards in its slots (the card's schemas are checked against real cards) and
its clock is not synchronised (so ``POST /v1/clock`` is reached, not refused at once).

Bounded for CI: ``BORNE_SCHEMATHESIS_MAX_TIME`` seconds in all (60 by default) and
``BORNE_SCHEMATHESIS_EXAMPLES`` cases per operation and phase (50); ``BORNE_SCHEMATHESIS_SEED``
replays a run (its seed is printed). What the fuzzer cannot reach, and the hand-written tests
that cover it: docs/contract-testing.md.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from borne.client import BoxClient
from borne.runtime.clock import Clock

from support.box import paired, running_box, url
from support.schemathesis_run import run_schemathesis

pytestmark = pytest.mark.pcscd

MAX_TIME = int(os.environ.get("BORNE_SCHEMATHESIS_MAX_TIME", "60"))
EXAMPLES = int(os.environ.get("BORNE_SCHEMATHESIS_EXAMPLES", "50"))
SEED = os.environ.get("BORNE_SCHEMATHESIS_SEED")


def _captured(box, payload: bytes, channel: str = "qr_camera") -> str:
    """What a phone or a scanner shows the box: the id of the presentation it makes."""
    box.apcv.payload_captured(channel, payload, time.monotonic_ns())
    return box.bus.history()[-1].data.presentation_id


async def _made_for_the_run(box, workstation) -> dict[str, list[str]]:
    """What the fuzzer cannot make: presentations, a prescription, sessions (schemathesis_hooks)."""
    made: dict[str, list[str]] = {"presentation": [], "prescription": [], "fetched": [],
                                  "session": []}
    token = b"BORNE-SIM-APCV/1 " + bytes(range(80))  # the simulator's apCV token
    for n in range(10):
        made["presentation"].append(_captured(box, token + bytes([n])))
    made["prescription"].append(_captured(box, b"01S2TBPZ2JCNZZYGHZ", "qr_scanner"))
    async with BoxClient.from_directory(workstation) as client:
        for presentation_id in made["presentation"][4:]:
            await client.presentation(presentation_id)
        for presentation_id in made["presentation"][4:6]:
            made["session"].append((await client.open_session(presentation_id))["id"])
    made["fetched"] = made["presentation"][6:]
    made["presentation"] = made["presentation"][:4]
    return made


@pytest.mark.timeout(MAX_TIME + 120)
async def test_schemathesis_finds_nothing(tmp_path, sim_pcscd, card_slots):
    for slot, card in ((0, "vitale-family"), (1, "cps-pharmacist"), (3, "vitale1")):
        card_slots.insert(slot, card)
    clock = Clock(kernel_synced=lambda: False)
    (tmp_path / "frames").mkdir()  # a camera (no frames): POST /v1/camera/scan answers 200
    async with running_box(tmp_path, clock=clock, apcv={"presentation_ttl_s": 900},
                           readers={"camera": f"images:{tmp_path / 'frames'}"}) as box:
        admin = await paired(box, tmp_path / "admin", "Fuzzer", admin=True)
        other = await paired(box, tmp_path / "other", "Comptoir 2")  # for DELETE to revoke
        for _ in range(200):  # the CPS is read (sessions need one in the box)
            if box.apcv.profession_now()[0]:
                break
            await asyncio.sleep(0.05)
        made = {**await _made_for_the_run(box, tmp_path / "admin"), "client": [other.client_id]}
        run = await run_schemathesis(url(box), tmp_path / "admin", tmp_path / "reports",
                                     own_client=admin.client_id, max_examples=EXAMPLES,
                                     max_time=MAX_TIME, seed=int(SEED) if SEED else None,
                                     ids=made)
        # The run ended with the box still answering its own workstation.
        assert box.api_context.clients.get(admin.client_id).revoked_at is None
    print(run.output)
    assert run.report, run.output[-3000:]
    print(run.summary())
    assert run.returncode == 0, run.output[-6000:]
    operations = run.report["operations"]
    assert operations["tested"] == operations["selected"] >= 25
    assert run.report["test_cases"]["with_failures"] == 0
    assert all(phase["status"] == "success" for phase in run.report["phases"].values()), \
        run.report["phases"]
