"""The workstation bridge end to end: the box's pcscd and cards, the box's API over mTLS,
the bridge, and a workstation pcscd (own mount namespace) with a plain pyscard program.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from borne.bridge.bridge import Bridge

from support.box import paired, running_box, start_box, url
from support.fresh_defaults import FRESH_DEFAULTS
from support.workstation import Workstation

pytestmark = pytest.mark.pcscd

WORKSTATION_PORT = 0xA17B  # the workstation's vpcd slots: 41339 and 41340


@pytest.fixture
async def setup(tmp_path, sim_pcscd, card_slots):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
        workstation = await asyncio.to_thread(Workstation, tmp_path / "wspcscd", WORKSTATION_PORT)
        bridge = Bridge(url(box), tmp_path / "ws", vpcd_port=WORKSTATION_PORT, idle_release_s=2.0)
        task = asyncio.create_task(bridge.run())
        await asyncio.wait_for(bridge.connected.wait(), 15)
        yield box, workstation, bridge
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(workstation.close)


async def test_a_card_in_the_box_reads_the_same_on_the_workstation(setup, card_slots):
    box, workstation, _bridge = setup
    card_slots.insert(0, "vitale-family")
    await workstation.until(lambda r: r["present"], "the card inserted")
    # The box decodes it itself first; then the workstation reads it through the bridge.
    await asyncio.sleep(1.0)
    local = box.core.card("borne-sim-00-00").to_dict()
    remote = await asyncio.to_thread(workstation.ask, cmd="read")
    assert remote.get("card") == local, remote
    card_slots.remove(0, wait=True)
    await workstation.until(lambda r: not r["present"], "the card removed")


async def test_a_cps_reads_the_same_and_a_box_reboot_is_survived(tmp_path, sim_pcscd, card_slots):
    import socket

    with socket.socket() as probe:  # a fixed port, so the rebooted box answers at the same URL
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = await start_box(tmp_path, api={"port": port})
    await paired(box, tmp_path / "ws")
    workstation = await asyncio.to_thread(Workstation, tmp_path / "wspcscd", WORKSTATION_PORT)
    bridge = Bridge(f"https://127.0.0.1:{port}", tmp_path / "ws", vpcd_port=WORKSTATION_PORT,
                    retry_s=0.2, max_retry_s=0.5)
    task = asyncio.create_task(bridge.run())
    try:
        await asyncio.wait_for(bridge.connected.wait(), 15)
        card_slots.insert(1, "cps-pharmacist")
        await workstation.until(lambda r: r["present"], "the CPS inserted")
        await asyncio.sleep(1.0)
        local = box.core.card("borne-sim-00-01").to_dict()
        assert (await asyncio.to_thread(workstation.ask, cmd="read"))["card"] == local
        await box.stop()  # the box reboots: the workstation sees the card removed meanwhile
        await workstation.until(lambda r: not r["present"], "the card removed with the box")
        box = await start_box(tmp_path, api={"port": port})
        await workstation.until(lambda r: r["present"], "the card back after the reboot", 30)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(workstation.close)
        await box.stop()


def test_done_when_sim_run_bridge_and_pcsc_scan(tmp_path):
    """The issue's "done when": `borne sim run` on one side, `borne bridge` on a workstation
    whose pcscd has the vpcd driver; `pcsc_scan` there lists the box's slots and shows a card
    inserted with `borne sim insert`."""
    import shutil
    import time

    from support.sim_cli import BORNE, pair_workstation, start_sim

    sim, cli = start_sim(tmp_path)
    station = bridge = None
    try:
        net = pair_workstation(sim, cli, tmp_path / "ws")
        env = {k: v for k, v in os.environ.items()
               if k not in ("BORNE_PRIVATE_PCSCD_SOCKET", "BORNE_PRIVATE_NETWORK")}
        station = subprocess.Popen(net + [sys.executable, "-m", "borne.sim.workstation",
                                          str(tmp_path / "wspcscd"), str(WORKSTATION_PORT)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                   env=env)
        assert station.stdout.readline().strip() == "ready"
        bridge = subprocess.Popen(net + BORNE + ["bridge", "--box", "https://127.0.0.1:8443",
                                                 "--dir", str(tmp_path / "ws"),
                                                 "--vpcd-port", str(WORKSTATION_PORT)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        # pcsc_scan in the workstation's namespaces (its own /run/pcscd).
        inside = ["nsenter", "-t", str(station.pid), "-m", "-n", shutil.which("pcsc_scan")]
        readers = subprocess.run(inside + ["-r"], capture_output=True, text=True, timeout=20)
        assert "Poste 00 00" in readers.stdout and "Poste 00 01" in readers.stdout, readers
        subprocess.run(cli + ["sim", "insert", "0", "vitale-family"], check=True,
                       capture_output=True)
        deadline = time.monotonic() + 20
        while True:
            cards = subprocess.run(inside + ["-c", "-n"], capture_output=True, text=True,
                                   timeout=20)
            if "Card inserted" in cards.stdout and "3B 75 13 00 00" in cards.stdout:
                break  # a carte Vitale 2 ATR, from the box's slot, in the workstation's reader
            assert time.monotonic() < deadline, cards.stdout
            time.sleep(0.5)
    finally:
        if bridge is not None:
            bridge.terminate()
            bridge.wait(10)
        if station is not None:
            station.stdin.close()
            station.wait(10)
        sim.send_signal(signal.SIGINT)
        assert sim.wait(30) == 0


async def test_bridge_killed_mid_exchange_frees_the_slot(tmp_path, sim_pcscd, card_slots):
    """SIGKILL of the bridge while the workstation reads: the card leaves the workstation,
    and once the channel's grace is over the box's slot can be leased by another client."""
    from borne.client import BoxClient

    from support.sim_cli import BORNE

    async with running_box(tmp_path, apdu={"channel_grace_s": 1.0}) as box:
        await paired(box, tmp_path / "ws", "Comptoir 1")
        await paired(box, tmp_path / "other", "Comptoir 2")
        workstation = await asyncio.to_thread(Workstation, tmp_path / "wspcscd", WORKSTATION_PORT)
        # As on the workstation: no box installed there (FRESH_DEFAULTS).
        bridge = subprocess.Popen(FRESH_DEFAULTS + BORNE + ["bridge", "--box", url(box),
                                                            "--dir", str(tmp_path / "ws"),
                                                            "--vpcd-port", str(WORKSTATION_PORT)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            card_slots.insert(0, "vitale-family")
            await workstation.until(lambda r: r["present"], "the card inserted")
            await asyncio.sleep(1.0)  # the box's own read first
            reading = asyncio.create_task(asyncio.to_thread(workstation.ask, cmd="time",
                                                            reads=200, apdus=0))
            await asyncio.sleep(0.3)  # mid-way through the reads
            bridge.kill()
            bridge.wait(10)
            result = await asyncio.wait_for(reading, 30)
            assert "error" in result, result  # the PC/SC program saw the card go mid-read
            await workstation.until(lambda r: not r["present"],
                                    "the card removed on the workstation")
            async with BoxClient.from_directory(tmp_path / "other") as other:
                deadline = asyncio.get_running_loop().time() + 15
                while True:
                    response = await other._http.post("/v1/slots/borne-sim-00-00/lease",
                                                      json={"seconds": 10})
                    if response.status_code == 201:
                        break
                    assert response.json()["error"] == "slot_busy"
                    assert asyncio.get_running_loop().time() < deadline, "the slot was never freed"
                    await asyncio.sleep(0.3)
        finally:
            if bridge.poll() is None:
                bridge.kill()
            await asyncio.to_thread(workstation.close)
