"""Hardware-in-the-loop: the daemon on a real box's pcscd and real readers.

Runs only on a real box (``BORNE_HIL=1``); everywhere else it is skipped with that
reason. The same behaviours are tested off the box through pcscd + vpcd
(tests/integration/test_daemon_pcsc.py): these tests never stand alone.

``BORNE_HIL_CARD=vitale|cps`` says which real card a person put in a reader first.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from support.box import running_box

pytestmark = pytest.mark.skipif(os.environ.get("BORNE_HIL") != "1",
                                reason="hardware-in-the-loop: set BORNE_HIL=1 on a real box")


@pytest.fixture
async def daemon(tmp_path):
    # The box's own pcscd and readers; its own dirs and API port, so the box's installed
    # service (its /var/lib/borne, /run/borne and port 8443) is left alone.
    async with running_box(tmp_path, readers={"smartcard": "pcsc"}) as box:
        yield box


async def test_real_readers_are_listed(daemon):
    state = daemon.core.snapshot(identity=False)
    assert state["devices"]["pcsc"]["state"] == "available"
    assert state["readers"], "plug a PC/SC reader into the box"


async def test_the_real_card_in_a_reader_is_decoded(daemon):
    expected = os.environ.get("BORNE_HIL_CARD")
    if expected is None:
        pytest.skip("set BORNE_HIL_CARD=vitale or cps after inserting a real card")
    for _ in range(50):
        cards = [slot.card for slot in daemon.core.slots.values() if slot.card is not None]
        if cards:
            break
        await asyncio.sleep(0.1)
    assert any(card.type == expected for card in cards)
