"""The box as a CCID reader: APDU round trips and whole carte Vitale reads through the CCID
path vs. locally on the box, and the serial stand-in's own cost, in one run.

Three paths to the same virtual carte Vitale (3 beneficiaries), each driven by a PC/SC
program in a child process (libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process):

1. **local**: the box's own pcscd (the simulator's vpcd readers), as the box reads it;
2. **CCID path**: a "workstation" pcscd with ``libccidtwin`` (a dual-slot SEC1210) on one
   end of a serial cable of two ptys and a relay (``tests/support/serial_cable.py``), the
   box's daemon (``[usb] mode = "ccid"``, ``transport = "serial"``) on the other, its
   slot's lease taken by the host's power-on, every APDU journaled, then its own pcscd;
3. **stand-in alone**: the same cable, pcscd and libccidtwin, but on the box's end the CCID
   core (:class:`borne.ccid.device.CcidDevice`, as ``tests/support/ccid_twin.py`` runs it)
   over an in-memory copy of the same card answering at once: what the pty relay and
   libccidtwin's framing cost by themselves. "CCID path minus stand-in" estimates the box's
   own share (lease, journal, its pcscd round trip to the card).

For each: SELECT MF round trips back to back on a powered card, and whole reads (the box's
own ``borne.readers.cards.read_card`` script through ``SCardTransmit``, connect ..
disconnect), ``--gap-ms`` apart (not counted) as at a counter. Also the bytes the cable
carried per APDU and per read (libccid's idle slot polling, measured first, subtracted).
The three routes are set up together and measured in turn, in ``--rounds`` rounds, so that
the machine's load drifting during the run weighs on each alike.

What is NOT measured: a pty has no baud rate (a real 115200-baud line would add 87 us per
byte; printed for reference), and on a Pi the transport is USB FunctionFS (bulk endpoints),
which these machines do not have. The daemon runs in this process; run as root:
``.venv/bin/python bench/ccid.py [--quick] [--apdus 5000] [--reads 500] [--gap-ms 30] [--rounds 5]``
(about a minute on 2 idle cores; ``--quick``: a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from _common import percentile, private_pcscd, summary

if TYPE_CHECKING:
    from support.serial_cable import SerialCable
    from support.workstation_pcscd import WorkstationPcscd

SELECT_MF = bytes.fromhex("00A40000023F00")
CARD = "vitale-family"
BENEFICIARIES = 3
READER_NAME = "Borne USB"
#: A serial line's cost per byte at 115200 baud, 8N1 (10 bits a byte), for reference.
BAUD_115200_S_PER_BYTE = 10 / 115200


# -- the client process: a PC/SC program, one JSON command a line on stdin --------------------

def client_main() -> None:
    """Answer the bench's commands (``wait``, ``connect``, ``rtt``, ``disconnect``, ``reads``)."""
    from smartcard import scard

    from borne.readers.cards import read_card
    from borne.readers.cards.script import drive

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    card, protocol = None, 0

    def check(hresult: int) -> None:
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError(scard.SCardGetErrorMessage(hresult))

    def transmit(apdu: bytes) -> bytes:
        hresult, answer = scard.SCardTransmit(card, protocol, list(apdu))
        check(hresult)
        return bytes(answer)

    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        answer: dict = {}
        try:
            if op == "wait":  # the reader is listed and holds a card (15 s at most)
                deadline = time.monotonic() + 15
                state = scard.SCARD_STATE_UNAWARE
                while True:
                    hresult, found = scard.SCardGetStatusChange(
                        context, 1000, [(command["reader"], state)])
                    if hresult == scard.SCARD_S_SUCCESS:
                        state = found[0][1] & ~scard.SCARD_STATE_CHANGED
                        if state & scard.SCARD_STATE_PRESENT:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no card in {command['reader']!r}: "
                                           f"{scard.SCardGetErrorMessage(hresult)}")
                    if hresult != scard.SCARD_E_TIMEOUT:
                        time.sleep(0.1)  # the reader is not listed yet
            elif op == "connect":
                hresult, card, protocol = scard.SCardConnect(
                    context, command["reader"], scard.SCARD_SHARE_SHARED, protocols)
                check(hresult)
            elif op == "rtt":
                rtt = []
                for _ in range(command["n"]):
                    start = time.perf_counter_ns()
                    response = transmit(SELECT_MF)
                    rtt.append((time.perf_counter_ns() - start) / 1e6)
                    assert response == b"\x90\x00", response.hex()
                answer = {"ms": rtt}
            elif op == "disconnect":
                check(scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD))
            elif op == "reads":
                full, apdus = [], 0
                for _ in range(command["n"]):
                    time.sleep(command["gap_s"])
                    start = time.perf_counter_ns()
                    hresult, card, protocol = scard.SCardConnect(
                        context, command["reader"], scard.SCARD_SHARE_SHARED, protocols)
                    check(hresult)
                    _, _, _, _, atr = scard.SCardStatus(card)
                    exchanges = []

                    def counted(apdu: bytes) -> bytes:
                        exchanges.append(apdu)
                        return transmit(apdu)

                    result = drive(read_card(bytes(atr)), counted)
                    check(scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD))
                    full.append((time.perf_counter_ns() - start) / 1e6)
                    assert len(result.beneficiaries) == BENEFICIARIES, result
                    apdus = len(exchanges)
                answer = {"ms": full, "apdus_per_read": apdus}
            else:
                raise RuntimeError(f"unknown op {op}")
        except Exception as error:  # noqa: BLE001 - reported to the bench, which stops
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)


# -- the bench process -------------------------------------------------------------------------

class Client:
    """The PC/SC program above, started on ``env`` (which pcscd it talks to)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, env: dict[str, str]) -> Client:
        """Start the program."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", env=env, limit=1 << 22,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(process)

    async def ask(self, op: str, **fields: object) -> dict:
        """One command; its answer (a RuntimeError for the program's error)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
        await self._process.stdin.drain()
        line = await self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the PC/SC program died during {op}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{op}: {answer['error']}")
        return answer

    async def close(self) -> None:
        """End the program."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 5)
        except asyncio.TimeoutError:
            self._process.kill()
            await self._process.wait()


class Route:
    """One path to the card: a PC/SC program on ``reader``, over ``cable`` (None: local)."""

    def __init__(self, name: str, client: Client, reader: str, cable: SerialCable | None) -> None:
        self.name = name
        self.client = client
        self.reader = reader
        self.cable = cable
        self.rtt: list[float] = []
        self.full: list[float] = []
        self.apdus_per_read = 0
        #: The cable's idle traffic (libccid's slot polling), bytes a second each way.
        self.idle = {"to_box": 0.0, "to_host": 0.0}
        #: Bytes each way, less the idle traffic: during round trips, during whole reads.
        self.rtt_bytes = {"to_box": 0.0, "to_host": 0.0}
        self.read_bytes = {"to_box": 0.0, "to_host": 0.0}

    async def round_trips(self, count: int) -> None:
        """``count`` SELECT MF on the powered card, between a connect and a disconnect."""
        await self.client.ask("connect", reader=self.reader)
        with self._counting(self.rtt_bytes):
            self.rtt += (await self.client.ask("rtt", n=count))["ms"]
        await self.client.ask("disconnect")

    async def whole_reads(self, count: int, gap_s: float) -> None:
        """``count`` whole reads, connect .. disconnect, ``gap_s`` apart."""
        with self._counting(self.read_bytes):
            answer = await self.client.ask("reads", reader=self.reader, n=count, gap_s=gap_s)
        self.full += answer["ms"]
        self.apdus_per_read = answer["apdus_per_read"]

    @contextmanager
    def _counting(self, into: dict[str, float]) -> Iterator[None]:
        if self.cable is None:
            yield
            return
        before, start = dict(self.cable.carried), time.monotonic()
        yield
        elapsed = time.monotonic() - start
        for way in into:
            into[way] += self.cable.carried[way] - before[way] - self.idle[way] * elapsed


async def idle_traffic(routes: list[Route], seconds: float) -> None:
    """Each cable's traffic while nobody uses it: libccid polls each slot's status."""
    cabled = [route for route in routes if route.cable is not None]
    before = [dict(route.cable.carried) for route in cabled]
    start = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    for route, counts in zip(cabled, before):
        route.idle = {way: (route.cable.carried[way] - counts[way]) / elapsed for way in counts}


def _usb(cable: SerialCable) -> dict:
    return {"mode": "ccid", "transport": "serial", "serial_device": cable.box_end,
            "product": READER_NAME}


@asynccontextmanager
async def workstation(work: Path, cable: SerialCable) -> AsyncIterator[WorkstationPcscd]:
    """A workstation pcscd with libccidtwin on ``cable``'s host end (started off the loop:
    the box answers libccid's first messages on it)."""
    from support.workstation_pcscd import WorkstationPcscd

    host = WorkstationPcscd(work, cable.host_end, READER_NAME)
    await asyncio.to_thread(host.start)
    try:
        yield host
    except Exception:
        print(host.log_tail(), file=sys.stderr)
        raise
    finally:
        await asyncio.to_thread(host.stop)


@contextmanager
def instant_reader(cable: SerialCable) -> Iterator[None]:
    """On ``cable``'s box end, the box's serial transport and CCID core over an in-memory copy
    of the card, answering at once (as ``tests/support/ccid_twin.py`` runs them), and an empty
    second slot: the CCID path without the box's daemon, leases and pcscd."""
    from borne.ccid.serial_transport import SerialTransport
    from borne.sim.cards import load_card

    from support.ccid_cards import FakeSlot
    from support.ccid_twin import twin_device

    chip = load_card(CARD)

    class InstantCard(FakeSlot):
        """The card in memory, powered as the box powers it (fresh state)."""

        def power_on(self) -> bytes:
            chip.power_on()
            return super().power_on()

    transport = SerialTransport(cable.box_end, twin_device(
        [InstantCard(atr=chip.atr, answer=chip.respond), FakeSlot()]))
    transport.start()
    try:
        yield
    finally:
        transport.stop()


def _share(total: int, rounds: int, index: int) -> int:
    return total // rounds + (1 if index < total % rounds else 0)


async def measure(work: Path, apdus: int, reads: int, gap_s: float, rounds: int,
                  idle_s: float) -> list[Route]:
    """The three routes, set up at once, measured in turn in ``rounds`` rounds (so that the
    machine's load drifting during the run weighs on each alike)."""
    from borne.readers.base import slot_id_for
    from borne.sim.cardslots import CardSlots

    from support.box import running_box
    from support.serial_cable import SerialCable

    (work / "box").mkdir()
    async with AsyncExitStack() as stack:
        pcscd = stack.enter_context(private_pcscd())
        cable = stack.enter_context(SerialCable())
        twin_cable = stack.enter_context(SerialCable())
        slots = CardSlots(pcscd)
        stack.callback(slots.remove_all)
        slots.insert(0, CARD)
        pcscd.wait_card(0)
        box = await stack.enter_async_context(running_box(work / "box", usb=_usb(cable)))
        local_reader = pcscd.slots[0].reader
        slot_id = slot_id_for(local_reader)
        while slot_id not in box.core.slots or box.core.slots[slot_id].state != "decoded":
            await asyncio.sleep(0.01)  # the box's own read of the card comes first
        # libccidtwin opens a serial reader only if it answers: the box is up first.
        host = await stack.enter_async_context(workstation(work / "workstation", cable))
        stack.enter_context(instant_reader(twin_cable))
        twin_host = await stack.enter_async_context(workstation(work / "stand-in", twin_cable))
        local_env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
        # The CCID route first: the workstation's pcscd powered the card as it came, so the
        # host holds the slot (exclusively, on the box's pcscd) until its first disconnect.
        routes = [Route("CCID path", await Client.start(host.client_env()), host.readers[0], cable),
                  Route("local (box's pcscd)", await Client.start(local_env), local_reader, None),
                  Route("stand-in alone", await Client.start(twin_host.client_env()),
                        twin_host.readers[0], twin_cable)]
        for route in routes:
            stack.push_async_callback(route.client.close)
            await route.client.ask("wait", reader=route.reader)
        await idle_traffic(routes, idle_s)
        for index in range(rounds):
            for route in routes:
                await route.round_trips(_share(apdus, rounds, index))
            for route in routes:
                await route.whole_reads(_share(reads, rounds, index), gap_s)
    return routes


def _bytes(carried: dict[str, float], count: int) -> str:
    per = {way: value / count for way, value in carried.items()}
    total = per["to_box"] + per["to_host"]
    return (f"{total:6.1f} B ({per['to_box']:.1f} host->box, {per['to_host']:.1f} box->host); "
            f"at 115200 baud that would add {total * BAUD_115200_S_PER_BYTE * 1000:.2f} ms")


def ratio(what: str, path: list[float], base: list[float], name: str) -> None:
    """``path``/``base``, median and p99."""
    print(f"  {what}: {name} median {statistics.median(path) / statistics.median(base):.2f}x, "
          f"p99 {percentile(path, 99) / percentile(base, 99):.2f}x")


def report(routes: list[Route], apdus: int, reads: int, gap_ms: float, rounds: int) -> None:
    """Print the figures."""
    ccid, local, twin = routes
    print(f"carte Vitale ({BENEFICIARIES} beneficiaries, {ccid.apdus_per_read} APDUs a read); "
          f"{apdus} SELECT MF back to back and {reads} whole reads {gap_ms:g} ms apart a route, "
          f"in {rounds} rounds")
    print("stand-in = 2 ptys + a relay thread (the serial cable) + the workstation's pcscd with "
          "libccidtwin\n  (GemPC Twin framing, SEC1210), at pty speed (no baud rate). "
          "On a Pi the transport is USB FunctionFS: NOT measured here.")
    for what, key in (("APDU round trip", "rtt"), ("full Vitale read", "full")):
        for route in (local, ccid, twin):
            print(summary(f"{what}: {route.name}", getattr(route, key)))
        ratio(what, getattr(ccid, key), getattr(local, key), "CCID/local")
        medians = [statistics.median(getattr(route, key)) for route in routes]
        print(f"  {what}: CCID path minus stand-in (the box's own share) {medians[0] - medians[2]:.3f} "
              f"ms median, vs {medians[1]:.3f} ms locally")
    print(f"cable bytes per SELECT MF:  {_bytes(ccid.rtt_bytes, apdus)}")
    print(f"cable bytes per whole read: {_bytes(ccid.read_bytes, reads)}")
    print(f"  (stand-in: {sum(twin.rtt_bytes.values()) / apdus:.1f} B per SELECT MF, "
          f"{sum(twin.read_bytes.values()) / reads:.1f} B per read; libccid's idle slot polling, "
          f"subtracted: {sum(ccid.idle.values()):.0f} B/s)")


async def run(apdus: int, reads: int, gap_ms: float, rounds: int, idle_s: float) -> None:
    """Measure, then print."""
    with tempfile.TemporaryDirectory(prefix="borne-bench-ccid-") as work:
        routes = await measure(Path(work), apdus, reads, gap_ms / 1000, rounds, idle_s)
    report(routes, apdus, reads, gap_ms, rounds)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main()
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apdus", type=int, default=5000)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--gap-ms", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="300 APDUs and 30 reads a route, 3 rounds (well under a minute)")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.apdus, arguments.reads, arguments.rounds = 300, 30, 3
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()  # while single-threaded
    isolate_network()
    asyncio.run(run(arguments.apdus, arguments.reads, arguments.gap_ms, arguments.rounds,
                    1.0 if arguments.quick else 2.0))
