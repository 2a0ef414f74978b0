"""The bundle upload's pure parts: its inbox (limits, room, stale files) and the client's stream.

Receiving over a real socket, as an attacker or by mistake: tests/security/test_update_upload.py.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from borne.api.bundle_upload import BundleInbox, inbox_for
from borne.api.errors import ApiError
from borne.client.bundle_stream import BundleStream
from borne.client.errors import BoxError

MB = 1024 * 1024


def test_the_deadline_grows_with_the_size_at_the_floor_rate(tmp_path):
    inbox = BundleInbox(tmp_path, max_bytes=1024 * MB)
    assert inbox.deadline_s(0) == 60.0
    assert inbox.deadline_s(300 * MB) == pytest.approx(60 + 1200)  # 300 MB at 256 KiB/s


def test_no_room_is_update_no_space(tmp_path):
    stat = os.statvfs(tmp_path)
    free = stat.f_bavail * stat.f_frsize
    inbox = BundleInbox(tmp_path, max_bytes=1024 * MB)
    inbox.check_room(0)
    with pytest.raises(ApiError) as refused:
        inbox.check_room(free)  # the reserve no longer fits
    assert refused.value.code == "update_no_space"


def test_the_inbox_is_made_private_and_swept_of_uploads_only(tmp_path):
    data = tmp_path / "data"
    (data / "update").mkdir(parents=True)
    (data / "update" / "incoming-0123456789abcdef.raucb").write_bytes(b"half")
    (data / "update" / "pending.json").write_text("{}")  # the update service's: kept
    inbox = inbox_for("", 512, data)
    assert inbox.directory == data / "update" and inbox.max_bytes == 512 * MB
    assert sorted(p.name for p in inbox.directory.iterdir()) == ["pending.json"]
    other = inbox_for(str(tmp_path / "elsewhere"), 1, data)
    assert other.directory.stat().st_mode & 0o777 == 0o700


def test_the_client_streams_a_file_in_blocks_with_its_progress(tmp_path):
    path = tmp_path / "b.raucb"
    path.write_bytes(os.urandom(3 * MB + 5))
    seen: list[tuple[int, int]] = []
    stream = BundleStream.open(path, "en", lambda done, total: seen.append((done, total)))

    async def read() -> bytes:
        return b"".join([block async for block in stream.chunks()])

    assert stream.size == 3 * MB + 5 and asyncio.run(read()) == path.read_bytes()
    assert seen[-1] == (stream.size, stream.size) and len(seen) == 4
    assert stream.deadline_s(60.0) > 60.0
    stream.close()


@pytest.mark.parametrize("name", ["missing.raucb", "a-directory"])
def test_a_bundle_that_cannot_be_read_is_said_so(tmp_path, name):
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(BoxError) as refused:
        BundleStream.open(tmp_path / name, "fr")
    assert refused.value.code == "bundle_unreadable" and name in refused.value.message
