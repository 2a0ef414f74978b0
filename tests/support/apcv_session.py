"""An appli carte Vitale session opened as billing software opens one, in tests.

The simulator's apCV token is captured by the box's camera path, the workstation fetches the
presentation (as it does to authenticate it) and opens a session on it. A CPS must be in a
reader for the session to open: :func:`session_on` puts one in first.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from borne.client import BoxClient

from .waiting import wait_event

__all__ = ["TOKEN", "open_apcv_session", "session_on"]

#: The simulator's apCV token (printable: ``BORNE-SIM-APCV/1`` and 80 bytes).
TOKEN = b"BORNE-SIM-APCV/1 " + bytes(range(80))


async def open_apcv_session(box: Any, client: BoxClient) -> dict:
    """Present :data:`TOKEN` to ``box``; ``client`` fetches it and opens a session on it."""
    events = client.events(after=box.bus.last_seq)
    box.apcv.payload_captured("qr_camera", TOKEN, time.monotonic_ns())
    presented = await wait_event(events, "apcv.presented")
    await events.aclose()
    presentation_id = presented.data["presentation_id"]
    await client.presentation(presentation_id)
    return await client.open_session(presentation_id)


async def session_on(box: Any, card_slots: Any, client: BoxClient, cps: str) -> dict:
    """A CPS (``cps``, a simulator card) in slot 1, then :func:`open_apcv_session`."""
    events = client.events(after=box.bus.last_seq)
    await asyncio.to_thread(card_slots.insert, 1, cps)
    await wait_event(events, "card.decoded")
    await events.aclose()
    return await open_apcv_session(box, client)
