"""The issue's power cut, on the daemon itself: `borne serve` SIGKILLed again and again while
it journals cartes Vitale; every record it announced as stored is there afterwards.

The daemon's own log says what it announced (`event N journal.stored seq=S ...`, written
only after the commit). Cards come and go in a second slot meanwhile, so kills land in the
middle of reads and writes, not only between them.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from support.box import running_box
from support.sim_cli import sim_config

pytestmark = pytest.mark.pcscd

STORED = re.compile(r"event \d+ journal\.stored .*\bseq=(\d+)")


def test_repeated_sigkill_of_the_daemon_loses_no_announced_record(tmp_path, card_slots):
    from borne.client.pairing import make_key_and_csr
    from borne.journal.store import JOURNAL_DB_NAME, JournalStore
    from borne.secure_channel.ca import BoxCA
    from borne.secure_channel.clients import ClientRegistry

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    # A paired workstation, as pairing leaves it: the box seals every read for it.
    _, csr = make_key_and_csr("Tablette")
    ca = BoxCA.load_or_create(data)
    ClientRegistry(data / "clients.db").add_certificate(
        ca.issue_client_cert(csr, client_id="ws-a", name="Tablette"), client_id="ws-a",
        name="Tablette")
    config = sim_config(tmp_path, daemon={"data_dir": str(data)},
                        api={"host": "127.0.0.1", "port": 0}, mdns={"enabled": False})
    card_slots.insert(0, "vitale-family")  # read (and journaled) at every start
    stop = threading.Event()

    def churn() -> None:  # a second slot where cards come and go all along
        names = ["vitale-single", "vitale-badkey"]
        while not stop.is_set():
            card_slots.insert(1, names[0])
            stop.wait(0.3)
            card_slots.remove(1)
            names.reverse()

    churner = threading.Thread(target=churn, daemon=True)
    churner.start()
    announced: set[int] = set()
    rng = random.Random(20261122)
    try:
        for _ in range(8):
            serve = subprocess.Popen([sys.executable, "-m", "borne.cli.main", "--config",
                                      str(config), "serve"], stderr=subprocess.PIPE, text=True)
            assert serve.stderr is not None
            seen: list[int] = []

            def follow(stream=serve.stderr, seen=seen) -> None:  # the log, line by line
                for line in stream:
                    if (match := STORED.search(line)) is not None:
                        seen.append(int(match.group(1)))

            reader = threading.Thread(target=follow, daemon=True)
            reader.start()
            deadline = time.monotonic() + 30
            while not seen and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.8))  # kill somewhere among the next reads and writes
            serve.send_signal(signal.SIGKILL)  # the power cut
            serve.wait(10)
            reader.join(10)  # what the log held when it died was announced before the kill
            announced.update(seen)
            assert seen, "the daemon never journaled the card in slot 0"
    finally:
        stop.set()
        churner.join(10)
        card_slots.remove_all(wait=True)  # the next test's card must not meet this one's
    assert len(announced) >= 8  # at least the card of slot 0, once per start
    assert not list(data.glob(f"{JOURNAL_DB_NAME}.corrupt*"))  # nothing had to be set aside
    store = JournalStore(data / JOURNAL_DB_NAME)
    try:
        assert store.integrity_check() == ["ok"]
        kept = {record.header.seq for record in store.records("ws-a", limit=10_000)}
    finally:
        store.close()
    assert announced <= kept, sorted(announced - kept)


async def test_a_restarted_mobile_box_shows_the_reads_still_waiting(tmp_path, card_slots):
    """After a reboot on the road the screen must not say 0 while reads wait in the journal."""
    import asyncio

    from borne.client.pairing import make_key_and_csr
    from borne.display import views as v
    from borne.secure_channel.ca import BoxCA
    from borne.secure_channel.clients import ClientRegistry

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    _, csr = make_key_and_csr("Tablette")
    ClientRegistry(data / "clients.db").add_certificate(
        BoxCA.load_or_create(data).issue_client_cert(csr, client_id="ws-a", name="Tablette"),
        client_id="ws-a", name="Tablette")
    mobile = {"daemon": {"data_dir": str(data), "mode": "mobile"},
              "display": {"device": "dummy:128x64"}, "mdns": {"enabled": False}}
    async with running_box(tmp_path, **mobile) as box:
        try:
            card_slots.insert(0, "vitale-family")
            for _ in range(200):  # stored, then the screen's task folds the event in
                if box.journal.waiting == 1 and box.display.state.reads_waiting == 1:
                    break
                await asyncio.sleep(0.05)
            assert (box.journal.waiting, box.display.state.reads_waiting) == (1, 1)
        finally:
            card_slots.remove_all(wait=True)
    async with running_box(tmp_path, **mobile) as again:
        assert again.journal.waiting == 1
        assert again.display.state.view(again.clock.monotonic()) == v.MobileView(None, False, 1)
