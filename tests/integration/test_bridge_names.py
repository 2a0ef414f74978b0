"""Box slot N is the same named reader on the workstation every time (issue 14, item 4).

Billing software (SESAM-Vitale components, GALSS) finds the CPS and the carte Vitale by
PC/SC reader name. Here the installer runs ``borne bridge setup --name 0=CPS --name
1=Vitale``; the workstation's own pcscd reads the reader.conf it wrote, as it is; a plain
pyscard program there lists the readers and reads the card in each. Through box reboots
(one where a reader is missing, cards inserted in another order) and a network cut, each
reader keeps answering with its own slot's card, and a second box gets readers of its
own: two bridges never share a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess

import pytest

from borne.bridge.bridge import Bridge
from borne.bridge.settings import load_settings

from support.box import paired, start_box
from support.fresh_defaults import FRESH_DEFAULTS
from support.sim_cli import BORNE
from support.workstation import Workstation

pytestmark = pytest.mark.pcscd

PORT = 0xA47B  # this box's first vpcd port on the workstation (other tests use others)
NAMED = ["--name", "0=CPS", "--name", "1=Vitale"]


def free_port() -> int:
    """A TCP port free now: the rebooted box answers at the same URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def borne(*arguments: str) -> subprocess.CompletedProcess:
    """``borne ARGS`` as on a workstation (no box installed there); the box answers meanwhile."""
    return await asyncio.to_thread(subprocess.run, FRESH_DEFAULTS + BORNE + list(arguments),
                                   capture_output=True, text=True, timeout=60)


async def setup(tmp_path, folder, *options: str) -> subprocess.CompletedProcess:
    """``borne bridge setup`` writing into the test's reader.conf.d and driver folders."""
    (tmp_path / "readers").mkdir(exist_ok=True)
    return await borne("bridge", "setup", "--dir", str(folder),
                       "--reader-conf", str(tmp_path / "readers" / f"borne-{folder.name}.conf"),
                       "--driver-dir", str(tmp_path / "drivers"), *options)


def holding(reply: dict, *readers: str) -> bool:
    """Whether exactly ``readers`` hold a card on the workstation."""
    return sorted(reply["present"]) == sorted(readers)


async def card_type(workstation: Workstation, reader: str) -> str:
    """The type of the card the workstation's pyscard program reads in ``reader``."""
    reply = await asyncio.to_thread(workstation.ask, cmd="read", reader=reader)
    assert "card" in reply, reply
    return reply["card"]["type"]


async def run(bridge: Bridge):
    """Start ``bridge``; wait until it follows the box."""
    task = asyncio.create_task(bridge.run())
    await asyncio.wait_for(bridge.connected.wait(), 15)
    return task


async def stop(task) -> None:
    """Stop a bridge's task."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_named_slots_keep_their_readers_through_box_reboots(tmp_path, sim_pcscd, card_slots):
    api_port = free_port()
    folder = tmp_path / "comptoir"
    box = await start_box(tmp_path, api={"port": api_port})
    workstation = task = None
    try:
        await paired(box, folder)
        done = await setup(tmp_path, folder, *NAMED, "--name", "2=Sans contact",
                           "--vpcd-port", str(PORT))
        assert done.returncode == 0, done.stderr
        # The installer reads which slot of the box each number is, and the readers to set.
        for line in ("borne-sim-00-00", "borne-sim-00-01", "borne-sim-cl-00-00",
                     "CPS 00 00", "Vitale 00 00", "Sans contact 00 00"):
            assert line in done.stdout, done.stdout
        workstation = await asyncio.to_thread(Workstation, tmp_path / "ws", tmp_path / "readers")
        listed = (await asyncio.to_thread(workstation.ask, cmd="readers"))["readers"]
        assert {"CPS 00 00", "Vitale 00 00", "Sans contact 00 00"} <= set(listed), listed
        bridge = Bridge(f"https://127.0.0.1:{api_port}", folder, layout=load_settings(folder).layout(),
                        retry_s=0.2, max_retry_s=0.5)
        task = await run(bridge)
        card_slots.insert(0, "cps-pharmacist")
        card_slots.insert(1, "vitale-family")
        await workstation.until(lambda r: holding(r, "CPS 00 00", "Vitale 00 00"), "both cards")
        assert await card_type(workstation, "CPS 00 00") == "cps"
        assert await card_type(workstation, "Vitale 00 00") == "vitale"

        # Reboot 1: the box comes back without its contact reader (unplugged), and a card
        # in its contactless slot. The readers named CPS and Vitale stay empty.
        await box.stop()
        await workstation.until(lambda r: holding(r), "the cards removed with the box")
        card_slots.remove_all(wait=True)
        box = await start_box(tmp_path, api={"port": api_port},
                              readers={"pcsc": {"ignore": ["Borne Sim 0*"]}})
        card_slots.insert(2, "vitale-single")
        await workstation.until(lambda r: "Sans contact 00 00" in r["present"],
                                "the contactless card after the reboot", 30)
        await asyncio.sleep(1.0)  # time for a wrong reader to fill too
        assert holding(await asyncio.to_thread(workstation.ask, cmd="readers"),
                       "Sans contact 00 00")

        # Reboot 2: every reader back; the cards go in the other way round, Vitale first.
        await box.stop()
        await workstation.until(lambda r: holding(r), "the card removed with the box")
        card_slots.remove_all(wait=True)
        box = await start_box(tmp_path, api={"port": api_port})
        card_slots.insert(1, "vitale-family")
        await workstation.until(lambda r: holding(r, "Vitale 00 00"), "the Vitale alone", 30)
        card_slots.insert(0, "cps-pharmacist")
        await workstation.until(lambda r: holding(r, "CPS 00 00", "Vitale 00 00"), "both cards")
        assert await card_type(workstation, "CPS 00 00") == "cps"
        assert await card_type(workstation, "Vitale 00 00") == "vitale"
    finally:
        if task is not None:
            await stop(task)
        if workstation is not None:
            await asyncio.to_thread(workstation.close)
        await box.stop()


@contextlib.contextmanager
def network_cut(address: str):
    """Packets to and from ``address`` dropped silently (an unplugged cable between the
    workstation and the box), in the tests' private network namespace."""
    def ip(*arguments: str) -> None:
        subprocess.run(["ip", "rule", *arguments], check=True, capture_output=True)

    # Local addresses are routed by the "local" rule (priority 0), before any other:
    # move it behind ours first (added before deleted, so local traffic never stops).
    ip("add", "pref", "100", "lookup", "local")
    ip("del", "pref", "0")
    ip("add", "pref", "10", "to", address, "blackhole")
    ip("add", "pref", "11", "from", address, "blackhole")
    try:
        yield
    finally:
        ip("del", "pref", "11")
        ip("del", "pref", "10")
        ip("add", "pref", "0", "lookup", "local")
        ip("del", "pref", "100")


async def test_a_network_cut_keeps_the_mapping(tmp_path, sim_pcscd, card_slots):
    folder = tmp_path / "comptoir"
    # The box answers on every address; the workstation reaches it at 127.0.0.2, which the
    # cut silences (the card processes and pcscd talk over 127.0.0.1 and go on).
    box = await start_box(tmp_path, api={"host": "0.0.0.0"})
    workstation = task = None
    try:
        await paired(box, folder)
        done = await setup(tmp_path, folder, *NAMED, "--vpcd-port", str(PORT))
        assert done.returncode == 0, done.stderr
        workstation = await asyncio.to_thread(Workstation, tmp_path / "ws", tmp_path / "readers")
        # The box's heartbeat comes every 0.5 s here: 2 s of silence is a cut.
        bridge = Bridge(f"https://127.0.0.2:{box.api.port}", folder, stall_s=2.0,
                        layout=load_settings(folder).layout(), retry_s=0.2, max_retry_s=0.5)
        task = await run(bridge)
        card_slots.insert(0, "cps-pharmacist")
        await workstation.until(lambda r: holding(r, "CPS 00 00"), "the CPS")

        with network_cut("127.0.0.2"):
            # Nothing comes from the box any more: its card may be gone; PC/SC software
            # must not go on believing it is there.
            await workstation.until(lambda r: holding(r), "the CPS removed during the cut", 10)
            card_slots.remove(0, wait=True)
            card_slots.insert(1, "vitale-family")
            card_slots.insert(0, "cps-pharmacist")
            await asyncio.sleep(1.0)

        await workstation.until(lambda r: holding(r, "CPS 00 00", "Vitale 00 00"),
                                "both cards after the cut", 30)
        assert await card_type(workstation, "CPS 00 00") == "cps"
        assert await card_type(workstation, "Vitale 00 00") == "vitale"
    finally:
        if task is not None:
            await stop(task)
        if workstation is not None:
            await asyncio.to_thread(workstation.close)
        await box.stop()


async def test_a_second_box_gets_readers_of_its_own_and_never_a_taken_port(
        tmp_path, sim_pcscd, card_slots):
    # The same simulated box paired twice stands for two boxes (the workstation cannot tell);
    # the second names slots 2 and 3, so that the two bridges never want the same card's lease.
    box = await start_box(tmp_path)
    first, second = tmp_path / "comptoir", tmp_path / "reserve"
    workstation = tasks = None
    try:
        await paired(box, first, "Comptoir")
        await paired(box, second, "Reserve")
        assert (await setup(tmp_path, first, *NAMED, "--vpcd-port", str(PORT))).returncode == 0

        # Setup refuses, naming the first box's file: a port it serves, then a name it has.
        overlap = await setup(tmp_path, second, "--name", "2=Reserve CPS",
                              "--vpcd-port", str(PORT - 2))  # slot 2: PORT + 2, the Vitale's
        assert overlap.returncode == 2
        assert "bridge_port_taken" in overlap.stderr and "borne-comptoir.conf" in overlap.stderr
        same_name = await setup(tmp_path, second, "--name", "2=CPS", "--vpcd-port", str(PORT + 8))
        assert same_name.returncode == 2 and "bridge_name_taken" in same_name.stderr
        own = await setup(tmp_path, second, "--name", "2=Reserve CPS", "--name", "3=Reserve Vitale",
                          "--vpcd-port", str(PORT + 8))
        assert own.returncode == 0, own.stderr

        workstation = await asyncio.to_thread(Workstation, tmp_path / "ws", tmp_path / "readers")
        url = f"https://127.0.0.1:{box.api.port}"
        bridges = [Bridge(url, folder, layout=load_settings(folder).layout())
                   for folder in (first, second)]
        tasks = [await run(bridges[0])]

        # A bridge started on ports another one holds stops at once and says which one.
        clash = await borne("bridge", "--dir", str(second), "--box", url,
                            "--vpcd-port", str(PORT - 4))  # its slot 2 on PORT, the CPS's
        assert clash.returncode == 2, clash.stderr
        said = [line for line in clash.stderr.splitlines() if line.startswith("borne:")]
        assert said and "bridge_port_taken" in said[0] and f"port {PORT}" in said[0], clash.stderr
        assert f", {url})" in said[0]  # the bridge holding it says which box it bridges

        tasks.append(await run(bridges[1]))
        card_slots.insert(0, "cps-pharmacist")
        card_slots.insert(2, "cps-nurse")
        await workstation.until(lambda r: holding(r, "CPS 00 00", "Reserve CPS 00 00"),
                                "each box's CPS in its own reader")
        for reader, slot in (("CPS 00 00", "borne-sim-00-00"),
                             ("Reserve CPS 00 00", "borne-sim-cl-00-00")):
            while box.core.card(slot) is None:  # the box's own read first
                await asyncio.sleep(0.1)
            read = await asyncio.to_thread(workstation.ask, cmd="read", reader=reader)
            assert read.get("card") == box.core.card(slot).to_dict(), (reader, read)
    finally:
        for task in tasks or []:
            await stop(task)
        if workstation is not None:
            await asyncio.to_thread(workstation.close)
        await box.stop()
