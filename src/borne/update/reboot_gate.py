"""The reboot gate: never in the middle of a patient.

A reboot into a new slot waits while a card is being read, an APDU lease is held
(a billing software is talking to a card), an apCV session is open, or the battery
is low (a mobile box could die half-way through its first boot); an admin may force
it. When the gate opens, the daemon (user ``borne``, no capabilities) creates
``<runtime_dir>/reboot-request`` (:mod:`borne.runtime.request_file`), as
:mod:`borne.battery.poweroff` does for a power-off;
root's ``borne-update-reboot.path`` sees it and runs ``systemctl reboot '0 tryboot'``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..runtime.request_file import write_request

__all__ = ["HOLDS", "REBOOT_REQUEST", "RebootGate", "request_reboot_file"]

#: The file's name in the runtime directory (image's ``borne-update-reboot.path`` watches it).
REBOOT_REQUEST = "reboot-request"
#: What can hold a reboot, in the order they are reported.
HOLDS = ("card_reading", "apdu_lease", "apcv_session", "battery_low")


def request_reboot_file(runtime_dir: Path, reason: str) -> Path:
    """Create the request atomically (the path unit never sees a half-written file)."""
    return write_request(runtime_dir, REBOOT_REQUEST, reason)


class RebootGate:
    """What holds a reboot now, read from the daemon's live state (nothing cached).

    ``core`` gives the slots and the battery; ``apcv()`` and ``apdu()`` return the
    apCV service and the APDU channel when they exist (the API may be off).
    """

    def __init__(self, core: Any, *, apcv: Callable[[], Any] = lambda: None,
                 apdu: Callable[[], Any] = lambda: None) -> None:
        self._core = core
        self._apcv = apcv
        self._apdu = apdu

    def held_by(self) -> list[str]:
        """The reasons holding a reboot now (:data:`HOLDS`), empty when it may go."""
        held = []
        slots = self._core.slots
        if any(slot.state == "reading" for slot in slots.values()):
            held.append("card_reading")
        apdu = self._apdu()
        if apdu is not None:
            now = apdu.now()
            if any(apdu.book.for_slot(slot, now) is not None for slot in slots):
                held.append("apdu_lease")
        apcv = self._apcv()
        if apcv is not None and apcv.sessions.active(apcv.now()):
            held.append("apcv_session")
        battery = self._core.battery or {}
        if battery.get("state") in ("low", "critical") and not battery.get("charging"):
            held.append("battery_low")
        return held
