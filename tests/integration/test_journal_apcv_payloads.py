"""An apCV payload does not outlive its use in the offline journal (issue 14): the daemon drops
it from the journal file once it is older than the session's duration (``[apcv]
session_seconds``), the record staying listed with its time and channel.

Read on the journal's own storage: the SQLite file and its WAL, byte for byte.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time

import pytest

from borne.cli.client_journal import describe
from borne.client import BoxClient, JournalReader

from support.box import paired, running_box
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd

SESSION_S = 1.5


def on_disk(data) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data.glob("journal.db*")))


async def test_the_payload_leaves_the_file_after_the_session_and_the_record_stays(tmp_path):
    async with running_box(tmp_path, apcv={"session_seconds": SESSION_S}) as box:
        await paired(box, tmp_path / "ws")
        reader = JournalReader.from_directory(tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            events = client.events(after=box.bus.last_seq)
            payload = b"BORNE-SIM-APCV/1 " + os.urandom(2000)
            shown = time.monotonic()
            box.apcv.payload_captured("qr_camera", payload, time.monotonic_ns())
            await wait_event(events, "journal.stored")
            await events.aclose()
            (record,) = await client.journal()
            envelope = base64.b64decode(record["envelope_b64"])
            assert base64.b64decode(reader.open(record).body["payload_b64"]) == payload
            pieces = [envelope[i:i + 32] for i in range(0, len(envelope) - 32, 32)]
            assert sum(p in on_disk(tmp_path / "data") for p in pieces) > 0.8 * len(pieces)
            while True:  # the daemon's own timer, nothing called by the test
                (listed,) = await client.journal()
                if listed["envelope_b64"] != record["envelope_b64"]:
                    break
                assert time.monotonic() - shown < SESSION_S + 5, "the payload was never dropped"
                await asyncio.sleep(0.1)
            assert time.monotonic() - shown >= SESSION_S
            assert [p for p in pieces if p in on_disk(tmp_path / "data")] == []
            opened = reader.open(listed)
            assert (listed["seq"], listed["wall"]) == (record["seq"], record["wall"])
            assert opened.body == {"kind": "apcv", "channel": "qr_camera",
                                   "presentation_id": opened.body["presentation_id"],
                                   "captured_at": opened.body["captured_at"],
                                   "payload_dropped": True}
            line = describe({**listed, "body": opened.body}, "en")  # `borne client journal`
            assert line.endswith("apCV presentation: qr_camera, payload dropped (session over)")
