"""The simulator's patient: shows a virtual apCV or a prescription to the box's inputs.

``borne sim apcv`` and ``borne sim prescription`` reach these through the
simulator's control socket. Each goes through the box's real input path:

- ``qr``: a frame of a phone showing the QR code is put in the ``images:`` camera
  twin's directory (the real decoder reads it), and taken away after ``hold_s``;
- ``scanner``: the key events a USB scanner would type are appended to the
  ``keylog:`` twin's file (the real keymap decodes them);
- ``nfc``: a virtual phone answers on nfcpy's UDP driver (the real nfcpy reader);
- ``contactless``: a virtual phone card is put on the contactless PC/SC slot.

The virtual apCV's token, ``BORNE-SIM-APCV/1 `` and random characters, is the
simulator's own. It is not, and does not imitate, the real app's payload (not
public).
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import time
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import BorneError, Message

__all__ = ["SIM_MEDICINE", "SimPresenter", "sim_apcv_token"]

#: How long the phone stays in front of the camera (or on the contactless reader).
HOLD_S = 3.0


#: A French medicine box's GS1 DataMatrix, as a pharmacy's scanner types it (AIM identifier
#: ``]d2``, GS before the serial): GTIN 0 + a made-up CIP13 3400930000001 (check digit 4),
#: expiry 31 Dec 2027, batch, serial. No real product; the box ignores it and counts it.
SIM_MEDICINE = b"]d201034009300000141727123110SIMLOT2024A100000001\x1d21SIMSERIAL00000000042"


def sim_apcv_token() -> bytes:
    """A new virtual apCV token: printable, so the USB scanner can type it too."""
    return b"BORNE-SIM-APCV/1 " + base64.urlsafe_b64encode(secrets.token_bytes(72))


def _argument(path: str, scheme: str) -> str | None:
    prefix = scheme + ":"
    return path[len(prefix):] if path.startswith(prefix) else None


class SimPresenter:
    """Presents codes to the devices ``config`` names, when they are the simulator's twins."""

    def __init__(self, config: Config, slots: Any = None) -> None:
        self._config = config
        self._slots = slots
        self._removals: set[asyncio.Task[None]] = set()

    @property
    def camera_dir(self) -> Path | None:
        """The ``images:`` camera twin's directory, if the box uses it."""
        directory = _argument(self._config.readers.camera, "images")
        return Path(directory) if directory else None

    def prepare(self) -> None:
        """Create the twins' directory and file, so the box sees them ready at start."""
        if self.camera_dir is not None:
            self.camera_dir.mkdir(parents=True, exist_ok=True)
            for old in self.camera_dir.glob("sim-*.png"):
                old.unlink()

    async def present(self, channel: str, payload: bytes) -> dict[str, Any]:
        """Show ``payload`` on ``channel``; returns what was done (no payload)."""
        if channel == "qr":
            await self._show_qr(payload)
        elif channel == "scanner":
            await self._type(payload)
        elif channel == "nfc":
            await self._tap_nfc(payload)
        elif channel == "contactless":
            await self._tap_contactless(payload)
        else:
            raise BorneError(Message.same(channel), code="sim_bad_channel")
        return {"channel": channel, "size": len(payload)}

    async def _show_qr(self, payload: bytes) -> None:
        from .qr_frames import render_qr_frame

        directory = self.camera_dir
        if directory is None:
            raise BorneError(Message("readers.camera n'est pas images:DIR",
                                     "readers.camera is not images:DIR"), code="sim_no_twin")
        camera = self._config.camera
        frame = await asyncio.to_thread(render_qr_frame, payload, camera.width, camera.height)
        final = directory / f"sim-{time.monotonic_ns()}.png"
        temporary = final.with_suffix(".png.part")  # not a picture name: never half-read
        await asyncio.to_thread(frame.save, temporary, "PNG")
        os.replace(temporary, final)
        self._later(HOLD_S, lambda: final.unlink(missing_ok=True))

    async def _type(self, payload: bytes) -> None:
        from .scanner_keys import type_code

        path = _argument(self._config.readers.scanner, "keylog")
        if path is None:
            raise BorneError(Message("readers.scanner n'est pas keylog:FICHIER",
                                     "readers.scanner is not keylog:FILE"), code="sim_no_twin")
        await asyncio.to_thread(type_code, path, payload.decode("utf-8"),
                                self._config.scanner.layout)

    async def _tap_nfc(self, payload: bytes) -> None:
        from .phone import VirtualPhone

        where = _argument(self._config.readers.nfc, "udp")
        if where is None:
            raise BorneError(Message("readers.nfc n'est pas udp:HÔTE:PORT",
                                     "readers.nfc is not udp:HOST:PORT"), code="sim_no_twin")
        host, _, port = where.rpartition(":")
        phone = VirtualPhone(int(port), bytes.fromhex(self._config.nfc.aid), payload,
                             host=host or "127.0.0.1")
        await asyncio.to_thread(phone.present, 15.0)

    async def _tap_contactless(self, payload: bytes) -> None:
        if self._slots is None:
            raise BorneError(Message("pas d'emplacements PC/SC simulés", "no simulated PC/SC slots"),
                             code="sim_no_twin")
        slot = next((index for index, name, _port in self._slots.pcscd.slots if " CL " in name),
                    None)
        if slot is None:
            raise BorneError(Message("pas d'emplacement sans contact", "no contactless slot"),
                             code="sim_no_twin")
        await asyncio.to_thread(self._slots.remove, slot, wait=True)
        await asyncio.to_thread(self._slots.insert_factory, slot,
                                "borne.sim.phone_card:PhoneCard", payload_hex=payload.hex(),
                                aid_hex=self._config.nfc.aid)
        self._later(HOLD_S, lambda: self._slots.remove(slot))

    def _later(self, delay: float, action: Any) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            await asyncio.to_thread(action)

        task = asyncio.get_running_loop().create_task(run())
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)
