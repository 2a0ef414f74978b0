"""The daemon's USB reader: the box's slots offered to a workstation as a CCID reader.

``[usb] mode = "ccid"`` builds, over the box's APDU channel
(:class:`borne.apdu.service.ApduService`), the host's slots (:mod:`.host_slots`), one
:class:`~.device.CcidDevice` per transport, and the transport: FunctionFS on a Pi's USB
device port (:mod:`.functionfs`, one single-slot CCID interface per box slot; see
docs/usb-reader.md for why) or a serial line (:mod:`.serial_transport`, where the
workstation's pcscd drives the box with ``libccidtwin``).

:meth:`UsbReaderService.snapshot` is what ``/v1/status`` and ``borne doctor`` report:
``off``, ``unsupported`` (no USB device port, or the gadget was not set up), ``error``,
``configured`` (waiting for a host), ``host_connected``, and the slots the host holds.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Protocol

from .box_slot import BoxSlot
from .descriptor import MIN_MESSAGE_LENGTH, CcidSettings
from .device import CcidDevice
from .host_slots import HostSlots
from .settings import UsbConfig
from .status import UsbSlotStatus, UsbStatus

__all__ = ["CcidTransport", "UsbReaderService"]

log = logging.getLogger("borne.ccid")

#: What libccidtwin's SEC1210 asks at open (Escape ``06``, "unknown but supported") and
#: prints as the reader's firmware (LudovicRousseau/CCID ``src/ccid_serial.c``).
SERIAL_FIRMWARE = b"borne"


class CcidTransport(Protocol):
    """What carries a :class:`CcidDevice`'s messages to and from the host."""

    def start(self) -> None:
        """Open the device, start the worker thread; OSError when it is not there."""

    def stop(self) -> None:
        """Stop the thread, close the device (idempotent, bounded)."""

    def notify(self, message: bytes) -> None:
        """Send a NotifySlotChange; thread-safe, never blocks; dropped without a host."""

    @property
    def host_connected(self) -> bool:
        """A host uses the device now."""


class UsbReaderService:
    """Runs the transport(s) while the daemon runs; reports their state."""

    def __init__(self, config: UsbConfig, *, core: Any, bus: Any, apdu: Any = None) -> None:
        self.config = config
        self._core = core
        self._bus = bus
        #: The APDU channel's service (:class:`borne.apdu.service.ApduService`): set before
        #: :meth:`start` (the daemon builds it with the API).
        self.apdu = apdu
        #: FunctionFS endpoint files for a function directory (None: the kernel's; tests
        #: pass a fake set, :class:`borne.ccid.functionfs.Endpoints`).
        self.endpoints: Any = None
        self.host: HostSlots | None = None
        #: (transport, device, the host slots it carries)
        self._links: list[tuple[CcidTransport, CcidDevice, list[int]]] = []
        self._state = "off"
        self._detail: str | None = None

    async def start(self) -> None:
        """Build and start the transport; a failure is the service's state, never raised."""
        if self.config.mode == "off":
            return
        if self.apdu is None:
            self._fail("the USB reader needs the API's APDU channel ([api] enabled)", state="error")
            return
        loop = asyncio.get_running_loop()
        self.host = HostSlots(list(self.config.slots), core=self._core, bus=self._bus,
                              apdu=self.apdu, notify=self._slot_changed,
                              polled=self.config.transport == "serial")
        slots = [BoxSlot(self.host, index, loop) for index in range(len(self.config.slots))]
        try:
            self._links = self._build(slots)
        except OSError as error:
            self._fail(str(error), state="unsupported")
            return
        started: list[CcidTransport] = []
        try:
            for transport, _, _ in self._links:
                transport.start()
                started.append(transport)
        except OSError as error:
            for transport in started:
                transport.stop()
            self._links = []
            state = "unsupported" if self.config.transport == "functionfs" else "error"
            self._fail(f"{error.strerror or error}", state=state)
            return
        self._state, self._detail = "configured", None
        self._core.device_state("usb", "available", self.config.transport)

    def _build(self, slots: list[BoxSlot]) -> list[tuple[CcidTransport, CcidDevice, list[int]]]:
        if self.config.transport == "serial":
            from .serial_transport import SerialTransport

            # libccid drives every serial reader at TPDU level with 271-byte messages: the
            # descriptor it assumes for a SEC1210 (set_ccid_descriptor in ccid_serial.c). T=0
            # passes through; T=1 goes through the core's block layer (t1_blocks).
            settings = _serial_settings(len(slots))
            device = CcidDevice(slots, settings, escape=lambda _data: SERIAL_FIRMWARE)
            return [(SerialTransport(self.config.serial_device, device), device,
                     list(range(len(slots))))]
        from .functionfs import FunctionFsTransport, UsbStrings

        # One single-slot CCID interface per box slot, each a FunctionFS function
        # (``borne usb gadget up`` mounts ccid0, ccid1...): Windows' class driver takes each
        # interface of a composite device as a reader (docs/usb-reader.md, "Windows and slots").
        links: list[tuple[CcidTransport, CcidDevice, list[int]]] = []
        for index, slot in enumerate(slots):
            device = CcidDevice([slot], CcidSettings(slot_count=1))
            ep_dir = Path(self.config.functionfs_dir) / f"ccid{index}"
            name = f"{self.config.product} {index}" if len(slots) > 1 else self.config.product
            transport = FunctionFsTransport(
                ep_dir, device, strings=UsbStrings(name),
                presence=lambda slot=slot: [slot.present],  # type: ignore[misc]
                **({"endpoints": self.endpoints(ep_dir)} if self.endpoints else {}))
            links.append((transport, device, [index]))
        return links

    def _fail(self, detail: str, *, state: str) -> None:
        self._state, self._detail = state, detail
        log.warning("USB reader %s: %s", state, detail)
        self._core.device_state("usb", "error" if state == "error" else "unavailable", detail)

    def _slot_changed(self, index: int, present: bool) -> None:
        """A card went in or out of host slot ``index``: tell the host now."""
        for transport, device, carried in self._links:
            if index in carried:
                transport.notify(device.slot_changed(carried.index(index), present))

    def snapshot(self) -> UsbStatus:
        """The reader's state for ``/v1/status`` and ``borne doctor``."""
        state = self._state
        if state == "configured" and any(t.host_connected for t, _, _ in self._links):
            state = "host_connected"
        host = self.host
        slots = [UsbSlotStatus(index=index, pattern=pattern,
                               box_slot=host.slots[index].slot_id if host else None,
                               in_use=bool(host and host.powered(index)))
                 for index, pattern in enumerate(self.config.slots)]
        return UsbStatus(mode=self.config.mode, transport=self.config.transport,
                         state=state, detail=self._detail,  # type: ignore[arg-type]
                         reader_name=self.config.product,
                         host_using=host.in_use() if host else [], slots=slots)

    async def stop(self) -> None:
        """Stop the transports (on threads: they join), end the host's holds."""
        links, self._links = self._links, []
        for transport, _, _ in links:
            await asyncio.to_thread(transport.stop)
        if self.host is not None:
            self.host.close()


def _serial_settings(slot_count: int) -> CcidSettings:
    """The device settings matching libccid's serial descriptor (TPDU, 271-byte messages)."""
    return CcidSettings(slot_count=slot_count, max_message_length=MIN_MESSAGE_LENGTH,
                        exchange_level="tpdu")
