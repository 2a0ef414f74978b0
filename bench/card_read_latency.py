"""Card present (pcscd's notification) -> card.decoded published, against a bare pyscard read.

For each of N insertions of the 3-beneficiary carte Vitale in a virtual slot:

- daemon: the backend stamps the moment its own ``SCardGetStatusChange`` returns
  (``detected_ns``); a bus listener stamps the moment ``card.decoded`` is published.
- baseline, same run, same card file: a fresh card process inserted at the same
  time in slot 2, which the daemon is told to ignore; once pcscd reports it
  present, a bare pyscard script connects, sends the same APDUs the decoder sends
  (recorded once from the in-memory chip) and disconnects. Both reads are thus
  the first read of a freshly started card process.

Run as root: ``.venv/bin/python bench/card_read_latency.py [N]``.
(pcscd itself notices a vpcd card only about every 400 ms; that wait is not
counted in either figure.)
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from _common import private_pcscd, summary


def recorded_apdus(card_name: str) -> list[bytes]:
    """The APDUs the decoder sends to this card, recorded against the in-memory chip."""
    from borne.readers.cards import read_card
    from borne.readers.cards.script import record
    from borne.sim.cards import load_card

    chip = load_card(card_name)
    chip.power_on()
    return record(read_card(chip.atr), chip.respond)


def bare_read(reader: str, apdus: list[bytes]) -> float:
    """Connect + the full read + disconnect with plain pyscard; ms."""
    from smartcard import scard

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        start = time.perf_counter_ns()
        hresult, card, protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
        for apdu in apdus:
            hresult, response = scard.SCardTransmit(card, protocol, list(apdu))
            assert hresult == scard.SCARD_S_SUCCESS
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        return (time.perf_counter_ns() - start) / 1e6
    finally:
        scard.SCardReleaseContext(context)


async def run(insertions: int) -> None:
    from borne.sim.cardslots import CardSlots

    from support.box import start_box

    card = "vitale-family"
    apdus = recorded_apdus(card)
    with private_pcscd() as pcscd:
        import tempfile

        with tempfile.TemporaryDirectory() as work:
            box = await start_box(Path(work), readers={"pcsc": {"ignore": ["Borne Sim CL*"]}})
            published: dict[int, int] = {}  # before any card is inserted
            box.bus.add_listener(lambda e: published.__setitem__(e.seq, time.monotonic_ns())
                                 if e.type == "card.decoded" else None)
            slots = CardSlots(pcscd)
            events = box.bus.subscribe(maxsize=10_000)
            daemon_ms: list[float] = []
            bare_ms: list[float] = []
            reader = pcscd.slots[2].reader
            try:
                for _ in range(insertions):
                    await asyncio.to_thread(slots.insert, 2, card)
                    await asyncio.to_thread(slots.insert, 0, card)
                    while True:
                        event = await asyncio.wait_for(events.get(), 10)
                        if event.type == "card.error":
                            raise SystemExit(f"read failed: {event.data.code}")
                        if event.type == "card.decoded":
                            daemon_ms.append((published[event.seq] - event.data.detected_ns) / 1e6)
                            break
                    await asyncio.to_thread(pcscd.wait_card, 2)
                    bare_ms.append(await asyncio.to_thread(bare_read, reader, apdus))
                    await asyncio.to_thread(slots.remove, 2)
                    await asyncio.to_thread(slots.remove, 0)
                    while (await asyncio.wait_for(events.get(), 10)).type != "card.removed":
                        pass
            finally:
                slots.remove_all()
                await box.stop()
    print(f"carte Vitale, 3 beneficiaries, {len(apdus)} APDUs per read, {insertions} insertions")
    print(summary("daemon: notification -> card.decoded", daemon_ms))
    print(summary("baseline: bare pyscard connect + read", bare_ms))
    median_ratio = sorted(daemon_ms)[len(daemon_ms) // 2] / sorted(bare_ms)[len(bare_ms) // 2]
    print(f"ratio daemon/baseline (median): {median_ratio:.2f}x   goal: daemon p99 < 5 ms")


if __name__ == "__main__":
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()  # while single-threaded
    isolate_network()
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 120))
