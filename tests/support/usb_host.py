"""A box offered as a CCID reader to a "workstation", for the tests of the USB reader.

The box runs ``[usb] mode = "ccid"`` on one end of a serial cable (:mod:`.serial_cable`); the
workstation's pcscd drives the other end with libccidtwin (:mod:`.workstation_pcscd`), and a
PC/SC program runs on it (:mod:`.pcsc_workstation`). libccidtwin opens a serial reader only if
it answers: start the box first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from .box import running_box
from .pcsc_workstation import PcscWorkstation
from .serial_cable import SerialCable
from .waiting import until
from .workstation_pcscd import WorkstationPcscd

__all__ = ["ask", "decoded", "usb_box", "usb_section"]


def usb_section(cable: SerialCable, **fields: Any) -> dict[str, Any]:
    """The ``[usb]`` section of a box on ``cable``'s box end."""
    return {"mode": "ccid", "transport": "serial", "serial_device": cable.box_end,
            "product": "Borne USB", **fields}


async def ask(program: PcscWorkstation, op: str, **fields: Any) -> dict[str, Any]:
    """One command of the workstation's program, off the loop (the box answers on it)."""
    return await asyncio.to_thread(program.ask, op, **fields)


async def decoded(box: Any, slot_id: str) -> None:
    """Wait until the box decoded the card in ``slot_id``."""
    await until(lambda: box.core.slots.get(slot_id) is not None
                and box.core.slots[slot_id].state == "decoded", timeout=10)


@asynccontextmanager
async def usb_box(tmp_path: Path, **sections: Any) -> AsyncIterator[tuple[Any, WorkstationPcscd,
                                                                          PcscWorkstation]]:
    """A box on a cable, the workstation's pcscd and its PC/SC program: ``(box, host, program)``."""
    with SerialCable() as cable:
        async with running_box(tmp_path, usb=usb_section(cable), **sections) as box:
            host = WorkstationPcscd(tmp_path / "workstation", cable.host_end).start()
            program = PcscWorkstation(host.client_env())
            try:
                yield box, host, program
            finally:
                program.close()
                host.stop()
