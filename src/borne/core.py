"""The daemon's state: what the readers hold now, built from backend observations.

:class:`Core` is the :class:`~borne.readers.base.ReaderSink` every backend
reports to. It keeps the slots, the device states and the decoded cards, and
publishes the public events. Decoded cards (identity data) stay here, in
memory, while the card is in its slot (plus an optional short grace), and are
never put into events.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from . import API_LEVEL, __version__
from .runtime.clock import Clock
from .errors import message_for
from .events import (CardDecoded, CardFailed, CardInserted, CardRemoved, DeviceState, EventBus,
                     ReaderAttached, ReaderDetached)
from .readers.base import SlotInfo
from .readers.cards.model import Card

__all__ = ["Core", "SlotState"]


@dataclass
class SlotState:
    """One slot and what it holds."""

    info: SlotInfo
    #: "empty", "reading", "decoded", "phone" (an apCV presented) or "error"
    state: str = "empty"
    atr: bytes | None = None
    card: Card | None = None
    error: str | None = None

    def to_dict(self, *, identity: bool, language: str) -> dict[str, Any]:
        """The slot as JSON; the card's content only with ``identity=True``."""
        body = self.info.to_dict()
        body["state"] = self.state
        body["atr"] = self.atr.hex(" ").upper() if self.atr else None
        if self.card is not None:
            body["card"] = self.card.to_dict() if identity else self.card.summary()
        else:
            body["card"] = None
        body["error"] = (
            {"code": self.error, "message": message_for(self.error, language)} if self.error else None
        )
        return body


class Core:
    """Receives observations, keeps state, publishes events. Runs on the event loop."""

    def __init__(self, bus: EventBus, clock: Clock, *, mode: str = "counter",
                 card_grace_s: float = 0.0, language: str = "fr") -> None:
        self.bus = bus
        self.clock = clock
        self.mode = mode
        self.language = language
        self.started_mono = clock.monotonic()
        self.devices: dict[str, dict[str, Any]] = {}
        #: The config file's error when the daemon runs on defaults instead (see ``borne serve``).
        self.config_problem: Exception | None = None
        self.slots: dict[str, SlotState] = {}
        self._grace_s = card_grace_s
        self._forget: dict[str, asyncio.TimerHandle] = {}
        #: Where payloads of phones on contactless slots go (the daemon's ApcvService).
        self.capture_sink: Any = None
        #: The battery's ``battery.state`` data (borne.battery.service); None: no battery.
        self.battery: dict[str, Any] | None = None

    # -- ReaderSink ---------------------------------------------------------------------------

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        previous = self.devices.get(device, {}).get("state")
        self.devices[device] = {"state": state, "detail": detail}
        if previous != state:
            self.bus.publish(DeviceState(device=device, state=state, detail=detail))

    def reader_attached(self, slot: SlotInfo) -> None:
        self.slots[slot.id] = SlotState(slot)
        self.bus.publish(ReaderAttached(slot=slot.id, id=slot.id, name=slot.name, kind=slot.kind,
                                        backend=slot.backend))

    def reader_detached(self, slot_id: str) -> None:
        if self.slots.pop(slot_id, None) is not None:
            self._cancel_forget(slot_id)
            self.bus.publish(ReaderDetached(slot=slot_id))

    def card_inserted(self, slot_id: str, atr: bytes, detected_ns: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None:
            return
        self._cancel_forget(slot_id)
        slot.state, slot.atr, slot.card, slot.error = "reading", atr, None, None
        self.bus.publish(CardInserted(slot=slot_id, atr=atr, detected_ns=detected_ns))

    def card_removed(self, slot_id: str, detected_ns: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None:
            return
        slot.state, slot.atr, slot.error = "empty", None, None
        if slot.card is not None and self._grace_s > 0:
            loop = asyncio.get_running_loop()
            self._forget[slot_id] = loop.call_later(self._grace_s, self._forget_card, slot_id)
        else:
            slot.card = None
        self.bus.publish(CardRemoved(slot=slot_id, detected_ns=detected_ns))

    def card_decoded(self, slot_id: str, card: Card, detected_ns: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None:
            return
        slot.state, slot.card, slot.error = "decoded", card, None
        self.bus.publish(CardDecoded.of_summary(slot_id, card.summary(), detected_ns))

    def card_error(self, slot_id: str, code: str, detected_ns: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None:
            return
        slot.state, slot.card, slot.error = "error", None, code
        self.bus.publish(CardFailed(slot=slot_id, code=code, message=message_for(code, "en"),
                                   detected_ns=detected_ns))

    def phone_presented(self, slot_id: str, payload: bytes, detected_ns: int) -> None:
        slot = self.slots.get(slot_id)
        if slot is None:
            return
        # The slot shows a phone; the payload goes to the presentation store, not the slot.
        slot.state, slot.card, slot.error = "phone", None, None
        if self.capture_sink is not None:
            self.capture_sink.payload_captured("pcsc_contactless", payload, detected_ns)

    # -- queries ------------------------------------------------------------------------------

    def card(self, slot_id: str) -> Card | None:
        """The decoded card in a slot (identity data: for authorised callers only)."""
        slot = self.slots.get(slot_id)
        return slot.card if slot else None

    def readers(self, *, identity: bool) -> list[dict[str, Any]]:
        """Every slot as JSON, by name; card contents only with ``identity=True``."""
        return [slot.to_dict(identity=identity, language=self.language)
                for slot in sorted(self.slots.values(), key=lambda s: s.info.name)]

    def snapshot(self, *, identity: bool, with_readers: bool = True) -> dict[str, Any]:
        """The whole state as JSON: what ``borne status --json`` prints."""
        wall = self.clock.wall()
        state = {
            "version": __version__,
            "api_level": API_LEVEL,
            "mode": self.mode,
            "uptime_s": round(self.clock.monotonic() - self.started_mono, 3),
            "clock": {"wall": wall.iso, "synchronised": wall.synchronised,
                      "source": wall.source},
            "devices": self.devices,
            "battery": self.battery,
            "last_event_seq": self.bus.last_seq,
        }
        if with_readers:
            state["readers"] = self.readers(identity=identity)
        return state

    # -- grace --------------------------------------------------------------------------------

    def _forget_card(self, slot_id: str) -> None:
        self._forget.pop(slot_id, None)
        slot = self.slots.get(slot_id)
        if slot is not None and slot.state == "empty":
            slot.card = None

    def _cancel_forget(self, slot_id: str) -> None:
        handle = self._forget.pop(slot_id, None)
        if handle is not None:
            handle.cancel()
