"""Wrong PINs through the APDU channel (issue 16, finding 6): the card keeps its last try.

A paired workstation leases the simulated CPS (3 tries, ``borne.sim.chip``) and sends ten
wrong VERIFYs through the channel; the figure is the tries the card has left at the end (its
own answer to VERIFY without data; goal: 1, never 0). Then the cost of the guard, per APDU,
in the same run: a plain SELECT through the channel (the baseline), a VERIFY the box forwards
(after asking the card its tries left: one more card round trip) and a VERIFY refused at the
last try (the question, no VERIFY).

The daemon runs in this process on a private pcscd with vpcd (root; the process gets its own
mount and network namespaces). ``.venv/bin/python bench/attack_wrong_pins.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import percentile, private_pcscd

WRONG = "002000010839393939FFFFFFFF"
RIGHT = "002000010831323334FFFFFFFF"  # the simulated CPS's PIN (borne.sim.cards.build)
ASK = "00200001"
SELECT_MF = "00A40000023F00"
ATTACK_TRIES = 10


def _figure(name: str, values: list[float], baseline: list[float] | None = None) -> str:
    line = (f"{name}: p50={statistics.median(values):.3f} ms p99={percentile(values, 99):.3f} ms "
            f"(n={len(values)})")
    if baseline is not None:
        line += (f" (SELECT baseline p50={statistics.median(baseline):.3f} ms; "
                 f"{statistics.median(values) / statistics.median(baseline):.2f}x)")
    return line


async def _measure(quick: bool) -> list[str]:
    import aiohttp

    from borne.client import pair
    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles
    from borne.readers.base import slot_id_for
    from borne.sim.cardslots import CardSlots

    from support.box import start_box

    rounds = 50 if quick else 500
    with private_pcscd() as pcscd, tempfile.TemporaryDirectory() as work:
        cards = CardSlots(pcscd)
        cards.insert(0, "cps-pharmacist")
        pcscd.wait_card(0)
        box = await start_box(Path(work))
        try:
            slot = slot_id_for(pcscd.slots[0].reader)
            window = box.api_context.pairing.open()
            folder = Path(work) / "ws"
            await pair(f"https://127.0.0.1:{box.api.port}", code=window.code, name="bench",
                       directory=folder)
            while box.core.slots[slot].state != "decoded":  # the box's own read first
                await asyncio.sleep(0.01)
            base = f"https://127.0.0.1:{box.api.port}"
            connector = aiohttp.TCPConnector(ssl=mtls_context(WorkstationFiles(folder)))
            async with aiohttp.ClientSession(connector=connector) as http:
                async with http.post(f"{base}/v1/slots/{slot}/lease",
                                     json={"seconds": 300}) as answer:
                    lease = await answer.json()
                ws = await http.ws_connect(f"{base}/v1/leases/{lease['lease_id']}/channel")
                ident = 0

                async def apdu(hex_apdu: str) -> tuple[str, float]:
                    nonlocal ident
                    ident += 1
                    start = time.perf_counter_ns()
                    await ws.send_str(json.dumps({"op": "apdu", "id": ident, "apdu": hex_apdu}))
                    body = json.loads((await ws.receive()).data)
                    elapsed = (time.perf_counter_ns() - start) / 1e6
                    return body.get("response") or f"error:{body.get('code')}", elapsed

                # The baseline: a plain SELECT through the same channel.
                select = [(await apdu(SELECT_MF))[1] for _ in range(rounds)]
                # The attack: ten wrong PINs in a row on a fresh card.
                answers = [(await apdu(WRONG))[0] for _ in range(ATTACK_TRIES)]
                card_says, _ = await apdu(ASK)
                left = int(card_says[-1], 16) if card_says.startswith("63C") else \
                    0 if card_says == "6983" else None
                refused = answers.count("error:pin_last_try_protected")
                # The cost per APDU, same channel, same run.
                kept = [(await apdu(WRONG))[1] for _ in range(rounds)]  # refused, no card trip
                assert box.api_context.apdu.confirm_pin(slot)  # the button, as the person would
                assert (await apdu(RIGHT))[0] == "9000"  # the card back to 3 tries
                forwarded: list[float] = []
                for _ in range(rounds):
                    for pin, expected in ((WRONG, "63C2"), (RIGHT, "9000")):
                        answer, elapsed = await apdu(pin)
                        assert answer == expected, answer
                        forwarded.append(elapsed)
                await ws.close()
        finally:
            await box.stop()
            cards.remove_all()
    return [
        f"wrong VERIFYs through the channel: {ATTACK_TRIES} sent, {refused} refused "
        f"(pin_last_try_protected); tries left on the card at the end: {left} "
        f"(card's answer {card_says}; a fresh card has 3; goal: 1, never 0)",
        _figure("APDU: SELECT MF through the channel (baseline)", select),
        _figure("APDU: VERIFY forwarded (the card asked first)", forwarded, select),
        _figure("APDU: VERIFY refused at the last try", kept, select),
    ]


def run(quick: bool = False) -> list[str]:
    """Measure (baseline first, then under attack) and return the printed lines."""
    return asyncio.run(_measure(quick))


if __name__ == "__main__":
    print("\n".join(run(quick="--quick" in sys.argv[1:])))
