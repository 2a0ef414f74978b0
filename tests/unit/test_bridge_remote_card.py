"""The bridge's card: what a PC/SC program on the workstation sees of the box's refusals."""

from __future__ import annotations

import asyncio
import threading

from borne.bridge.remote_card import RemoteCard


def answered(reply: dict) -> bytes:
    """The response APDU a program gets when the box answers the channel with ``reply``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def call(op: str, **fields: object) -> dict:
        return {"id": 1, **reply}

    try:
        return RemoteCard(b"\x3b\x00", call, loop).respond(bytes.fromhex("002000010431323334"))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_the_last_pin_try_kept_by_the_box_is_conditions_not_satisfied_never_a_wrong_pin():
    assert answered({"op": "error", "code": "pin_last_try_protected"}) == bytes.fromhex("6985")
    assert answered({"op": "response", "response": "63C1"}) == bytes.fromhex("63C1")
    assert answered({"op": "error", "code": "card_unresponsive"}) == bytes.fromhex("6F00")
