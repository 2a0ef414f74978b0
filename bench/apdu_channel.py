"""The leased APDU channel's figures, each next to local pyscard on the same virtual card.

1. one APDU round trip (SELECT MF on the 3-beneficiary carte Vitale) through the
   WebSocket channel over mTLS on loopback, vs. ``SCardTransmit`` straight to the same
   card from local pyscard: median, p99, ratio;
2. a full carte Vitale read (the box's own ``borne.readers.cards`` script, all
   beneficiaries) driven over the channel (power_on + APDUs + power_off) vs. locally
   (connect + APDUs + disconnect): median, p99, ratio. Goal: at most 2x. Reads are
   ``--gap-ms`` apart (not counted), as at a counter: one card read per patient, and the
   channel journals its APDUs once a burst is over.

The daemon runs in this process; the client (both the channel and the local pyscard
baseline) runs in a child process, so it does not share the daemon's event loop, as a
workstation bridge would not. Run as root:
``.venv/bin/python bench/apdu_channel.py [--apdus 2000] [--reads 200] [--gap-ms 30]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import percentile, private_pcscd, summary

SELECT_MF = bytes.fromhex("00A40000023F00")


# -- the client process --------------------------------------------------------------------

def local_figures(reader: str, apdus: int, reads: int, gap_s: float) -> tuple[list[float], list[float]]:
    """Local pyscard: per-APDU round trips, and full reads (connect .. disconnect), in ms."""
    from smartcard import scard

    from borne.readers.cards import read_card
    from borne.readers.cards.script import drive

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    rtt: list[float] = []
    full: list[float] = []
    try:
        hresult, card, protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
        for _ in range(apdus):
            start = time.perf_counter_ns()
            hresult, response = scard.SCardTransmit(card, protocol, list(SELECT_MF))
            rtt.append((time.perf_counter_ns() - start) / 1e6)
            assert hresult == scard.SCARD_S_SUCCESS and bytes(response) == b"\x90\x00"
        scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD)
        for _ in range(reads):
            time.sleep(gap_s)
            start = time.perf_counter_ns()
            hresult, card, protocol = scard.SCardConnect(
                context, reader, scard.SCARD_SHARE_EXCLUSIVE,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            _, _, _, _, atr = scard.SCardStatus(card)

            def transmit(apdu: bytes) -> bytes:
                rv, answer = scard.SCardTransmit(card, protocol, list(apdu))
                assert rv == scard.SCARD_S_SUCCESS
                return bytes(answer)

            result = drive(read_card(bytes(atr)), transmit)
            scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD)
            full.append((time.perf_counter_ns() - start) / 1e6)
            assert len(result.beneficiaries) == 3
    finally:
        scard.SCardReleaseContext(context)
    return rtt, full


async def channel_figures(folder: str, slot: str, apdus: int, reads: int,
                          gap_s: float) -> tuple[list[float], list[float]]:
    """Through the channel: per-APDU round trips, and full reads, in ms."""
    import aiohttp

    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles
    from borne.readers.cards import read_card

    files = WorkstationFiles(Path(folder))
    base = files.read_box()["url"]
    connector = aiohttp.TCPConnector(ssl=mtls_context(files))
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.post(f"{base}/v1/slots/{slot}/lease", json={"seconds": 300}) as response:
            lease = await response.json()
            assert response.status == 201, lease
        ws = await http.ws_connect(f"{base}/v1/leases/{lease['lease_id']}/channel")
        ident = 0

        async def request(op: str, **fields: object) -> dict:
            nonlocal ident
            ident += 1
            await ws.send_str(json.dumps({"op": op, "id": ident, **fields}))
            answer = json.loads((await ws.receive()).data)
            assert answer.get("id") == ident, answer
            return answer

        await request("power_on")
        rtt: list[float] = []
        for _ in range(apdus):
            start = time.perf_counter_ns()
            answer = await request("apdu", apdu=SELECT_MF.hex())
            rtt.append((time.perf_counter_ns() - start) / 1e6)
            assert answer["response"] == "9000", answer
        await request("power_off")
        full: list[float] = []
        for _ in range(reads):
            await asyncio.sleep(gap_s)
            start = time.perf_counter_ns()
            atr = bytes.fromhex((await request("power_on"))["atr"])
            script = read_card(atr)
            command = next(script)
            try:
                while True:
                    answer = await request("apdu", apdu=command.hex())
                    command = script.send(bytes.fromhex(answer["response"]))
            except StopIteration as stop:
                result = stop.value
            await request("power_off")
            full.append((time.perf_counter_ns() - start) / 1e6)
            assert len(result.beneficiaries) == 3
        await ws.close()
        async with http.delete(f"{base}/v1/leases/{lease['lease_id']}") as response:
            assert response.status == 200
    return rtt, full


def client_main(folder: str, slot: str, reader: str, apdus: int, reads: int,
                gap_s: float) -> None:
    local_rtt, local_full = local_figures(reader, apdus, reads, gap_s)
    channel_rtt, channel_full = asyncio.run(channel_figures(folder, slot, apdus, reads, gap_s))
    print(json.dumps({"local_rtt": local_rtt, "local_full": local_full,
                      "channel_rtt": channel_rtt, "channel_full": channel_full}))


# -- the box -------------------------------------------------------------------------------

async def run(apdus: int, reads: int, gap_ms: float) -> None:
    from borne.client import pair
    from borne.readers.base import slot_id_for
    from borne.sim.cardslots import CardSlots

    from support.box import start_box

    with private_pcscd() as pcscd, tempfile.TemporaryDirectory() as work:
        slots = CardSlots(pcscd)
        slots.insert(0, "vitale-family")
        pcscd.wait_card(0)
        box = await start_box(Path(work))
        try:
            window = box.api_context.pairing.open()
            folder = Path(work) / "ws"
            await pair(f"https://127.0.0.1:{box.api.port}", code=window.code, name="bench",
                       directory=folder)
            reader = pcscd.slots[0].reader
            while box.core.slots[slot_id_for(reader)].state != "decoded":  # the box's own read
                await asyncio.sleep(0.01)
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--client", str(folder), slot_id_for(reader), reader,
                str(apdus), str(reads), str(gap_ms / 1000), stdout=asyncio.subprocess.PIPE)
            out, _ = await child.communicate()
            assert child.returncode == 0
            figures = json.loads(out.decode().strip().splitlines()[-1])
        finally:
            await box.stop()
            slots.remove_all()
    print(f"carte Vitale (3 beneficiaries), loopback, mTLS WebSocket; {apdus} APDUs back to back, "
          f"{reads} reads {gap_ms:g} ms apart")
    print(summary("APDU round trip: local pyscard", figures["local_rtt"]))
    print(summary("APDU round trip: channel", figures["channel_rtt"]))
    ratio(figures["channel_rtt"], figures["local_rtt"], "APDU round trip")
    print(summary("full Vitale read: local pyscard", figures["local_full"]))
    print(summary("full Vitale read: channel", figures["channel_full"]))
    ratio(figures["channel_full"], figures["local_full"], "full read", goal=2.0)


def ratio(channel: list[float], local: list[float], what: str, goal: float | None = None) -> None:
    median = statistics.median(channel) / statistics.median(local)
    p99 = percentile(channel, 99) / percentile(local, 99)
    verdict = f"   goal <= {goal:.1f}x: {'met' if median <= goal else 'MISSED'}" if goal else ""
    print(f"{what}: channel/local median {median:.2f}x, p99 {p99:.2f}x{verdict}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        folder, slot, reader, apdus, reads, gap = sys.argv[2:8]
        client_main(folder, slot, reader, int(apdus), int(reads), float(gap))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apdus", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=30.0)
    arguments = parser.parse_args()
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()  # while single-threaded
    isolate_network()
    asyncio.run(run(arguments.apdus, arguments.reads, arguments.gap_ms))
