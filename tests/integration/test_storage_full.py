"""A data partition that fills up for real: reads refused with a clear error, nothing corrupted.

The box's data directory is a 8 MB tmpfs in the tests' private mount namespace,
filled to the last byte while a carte Vitale is being served over the real
mutually authenticated API.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3

import pytest

from borne.audit.trail import AUDIT_DB_NAME
from borne.audit.verify import verify
from borne.client import BoxClient
from borne.client.api import BoxError

from support.box import paired, running_box

pytestmark = pytest.mark.pcscd


def fill(path) -> int:
    """Write zeros into ``path`` until the file system says ENOSPC; the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as file:
        chunk = bytes(64 * 1024)
        while True:
            try:
                written += file.write(chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC
                if len(chunk) == 1:
                    return written
                chunk = chunk[: len(chunk) // 2]


async def test_full_partition_refuses_reads_then_recovers_with_journal_intact(
        tmp_path, card_slots, mount_tmpfs):
    data = tmp_path / "data"
    with mount_tmpfs(data, "size=8m"):
        try:
            async with running_box(tmp_path, daemon={"data_dir": str(data)},
                                   health={"disk_warn_free_mb": 1, "disk_fail_free_mb": 1}) as box:
                assert box.storage.reserve.exists()  # made at start, while there is room
                await paired(box, tmp_path / "ws")
                card_slots.insert(0, "vitale-family")
                slot = "borne-sim-00-00"
                for _ in range(200):  # the box reads it (on this loop: poll without blocking it)
                    if box.core.slots.get(slot) and box.core.slots[slot].state == "decoded":
                        break
                    await asyncio.sleep(0.05)
                async with BoxClient.from_directory(tmp_path / "ws") as client:
                    assert len((await client.card(slot))["beneficiaries"]) == 3

                    assert fill(data / "filler") > 0
                    # The next accesses cannot be journaled: the first one's failed audit write
                    # makes the box measure at once, and from then on reads are refused.
                    refused = None
                    for _ in range(20):
                        try:
                            await client.card(slot)
                        except BoxError as error:
                            refused = error
                            break
                        await asyncio.sleep(0.05)
                    assert refused is not None and refused.status == 507
                    assert refused.code == "storage_full"
                    assert "lectures refusées" in refused.message
                    assert box.core.devices["storage"]["state"] == "full"
                    status = await client.status()  # still answered: the client can see why
                    assert status["devices"]["storage"]["state"] == "full"
                    assert "storage_full" in {c["code"] for c in status["health"]}
                    # Its reserve was released, for the acknowledgements below, not for new reads.
                    assert not box.storage.reserve.exists()
                    # The offline journal can still be collected: that is how space comes back.
                    records = await client.journal()
                    assert records and all(r["kind"] == "vitale" for r in records)
                    assert (await client.ack([r["seq"] for r in records]))["acked"] == len(records)

                    (data / "filler").unlink()
                    box.storage.check()  # what its timer does every few seconds
                    assert box.core.devices["storage"]["state"] == "available"
                    assert box.storage.reserve.stat().st_size == 2 * 1024 * 1024
                    assert len((await client.card(slot))["beneficiaries"]) == 3
        finally:
            card_slots.remove_all()
        # Nothing already written was harmed: the chain verifies, both databases are sound.
        result = verify(data / AUDIT_DB_NAME)
        assert result.ok and result.checked >= 3, result
        for name in (AUDIT_DB_NAME, "clients.db"):
            with sqlite3.connect(data / name) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
