"""What the screen should show now, from the daemon's events: a pure state machine.

:class:`ScreenState` folds the event stream (``apply``) into the facts the screen
needs, and :meth:`ScreenState.view` picks the one view that matters at a given
monotonic time, by priority:

0. "Batterie vide / Arrêt" once the battery is critical (the box is powering off), then
   "Redémarrage" once an update's reboot was asked for (the box is going down);
1. the pairing code, while the window is open (the person at the box must read it);
   then a PIN's last try a workstation asked for, until the button allows it
   ("Code CPS : dernier essai", :mod:`borne.apdu.pin_guard`);
2. a short message about what just happened (a card read, an apCV presented, a
   prescription scanned, "Représentez l'appli carte Vitale", a read error), for a
   few seconds, or until the OK button dismisses it;
3. a device that is down (pcscd, a reader, the camera, the NFC chip);
4. the countdown of the current apCV session ("Session : 14 min", "Facture 1/2");
5. an update under way ("Mise à jour… 42 %") or ready and waiting for its reboot;
6. idle (or the mobile-mode screen).

What a new system's boot came to ("Version 1.5.0", "Mise à jour annulée") is a message (2).

Identity data never enters this state: a carte Vitale is a count of
beneficiaries; only the CPS holder's name (the professional's own card, shown
to them) is looked up, through ``cps_lookup``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import events as ev
from ..events import EventData
from . import views as v

__all__ = ["FLASH_SECONDS", "ScreenState"]

#: How long each kind of message stays on screen (seconds).
FLASH_SECONDS = {"vitale": 10.0, "cps": 5.0, "apcv": 8.0, "prescription": 8.0, "error": 8.0,
                 "reauth": 15.0, "update": 30.0, "network": 10.0}

#: Devices whose failure is shown, and the error code shown for each.
_DEVICE_ERRORS = {"pcsc": "pcsc_unavailable", "storage": "storage_unavailable",
                  "camera": "camera_unavailable", "nfc": "nfc_unavailable",
                  "scanner": "scanner_unavailable", "config": "config_invalid"}
#: A device state with its own message (the data partition is full: reads are refused).
_STATE_ERRORS = {("storage", "full"): "storage_full"}


@dataclass
class _Session:
    expires_mono: float
    used: int
    allowed: int


@dataclass
class ScreenState:
    """The facts the screen is drawn from, updated by :meth:`apply`."""

    mode: str = "counter"
    clock_synced: bool = False
    network: str | None = None
    paired_clients: int = 0
    readers: set[str] = field(default_factory=set)
    devices: dict[str, str] = field(default_factory=dict)
    #: slot id -> (holder, profession) of the CPS in that slot.
    cps: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    sessions: dict[str, _Session] = field(default_factory=dict)
    flash: tuple[Any, float] | None = None
    pairing: tuple[str, float] | None = None
    #: (slot, until): a PIN's last try waits for the button (never in an event).
    pin_request: tuple[str, float] | None = None
    #: A Wi-Fi code shown, waiting for the button: (SSID, until).
    wifi_request: tuple[str, float] | None = None
    #: What the open window says of other devices: (contested, wrong codes).
    pairing_trouble: tuple[bool, int] = (False, 0)
    #: Monotonic time of the last change a person would notice (dims the screen later).
    last_activity: float = 0.0
    #: Battery and reads waiting, for mobile mode (filled by the mobile-mode issue).
    battery_percent: int | None = None
    charging: bool = False
    #: ``battery.state``'s state: ok, low, critical or unknown.
    battery_state: str = "unknown"
    reads_waiting: int = 0
    #: The site's profession key (``[apcv] site_profession``), for a CPS that does not say its own.
    site_profession: str | None = None
    #: An update under way: installing (its percent), ready, or rebooting (None: none).
    update: v.UpdateView | None = None

    # -- input ------------------------------------------------------------------------------

    def apply(self, event: EventData, now: float,
              cps_lookup: Callable[[str], tuple[str | None, str | None]] | None = None) -> bool:
        """Fold one event's data in; True if what the screen shows may have changed."""
        match event:
            case ev.DeviceState():
                self.devices[event.device] = event.state
            case ev.ReaderAttached():
                self.readers.add(event.slot)
            case ev.ReaderDetached():
                self.readers.discard(event.slot)
                self.cps.pop(event.slot, None)
                self._flash(v.ErrorView("reader_unavailable"), now, "error")
            case ev.CardDecoded():
                self._card_decoded(event, now, cps_lookup)
            case ev.CardRemoved():
                self.cps.pop(event.slot, None)
                if self.pin_request is not None and self.pin_request[0] == event.slot:
                    self.pin_request = None  # that card's PIN is no longer the question
            case ev.CardFailed() | ev.CaptureFailed():
                self._flash(v.ErrorView(event.code), now, "error")
            case ev.ApcvPresented():
                self._flash(v.ApcvPresentedView(event.channel), now, "apcv")
            case ev.PrescriptionScanned():
                self._flash(v.PrescriptionView(), now, "prescription")
            case ev.NetworkOffered():
                self.wifi_request = (event.ssid, now + event.expires_in_s)
                self.last_activity = now
            case ev.NetworkJoined():
                self.wifi_request = None
                self._flash(v.WifiJoinedView(event.ssid, event.address), now, "network")
            case ev.NetworkFailed():
                self.wifi_request = None
                self._flash(v.ErrorView(event.code), now, "error")
            case ev.SessionOpened():
                self.sessions[event.session_id] = _Session(now + event.expires_in_s, 0,
                                                           event.invoices_allowed)
                self.flash = None  # the countdown is now what matters
            case ev.InvoiceClaimed():
                session = self.sessions.get(event.session_id)
                if session is not None:
                    session.used = event.invoices_used
            case ev.InvoiceReleased():
                # Given back: the session counts one less, and an exhausted one is open again.
                self.sessions[event.session_id] = _Session(now + event.seconds_left,
                                                           event.invoices_used,
                                                           event.invoices_allowed)
                if self.flash is not None and isinstance(self.flash[0], v.ReauthView):
                    self.flash = None  # "Représentez l'appli" is no longer true
            case ev.SessionExhausted():
                if self.sessions.pop(event.session_id, None) is not None:
                    self._flash(v.ReauthView("quota"), now, "reauth")
            case ev.SessionExpired():
                if self.sessions.pop(event.session_id, None) is not None:
                    self._flash(v.ReauthView("expired"), now, "reauth")
            case ev.ModeChanged():
                self.mode = event.mode
            case ev.JournalStored() | ev.JournalCollected() | ev.JournalPurged():
                self.reads_waiting = event.waiting
            case ev.JournalRecovered():
                # A corrupted journal was set aside intact (for recovery) and a fresh one started.
                self._flash(v.ErrorView("journal_recovered"), now, "error")
            case ev.JournalRetentionWarning():
                # Reads nobody collected will soon be purged (data minimisation): say it while
                # it helps.
                self._flash(v.ErrorView("journal_retention"), now, "error")
            case ev.ClockSet():
                # A paired client's time counts as synchronised, like NTP's (borne.runtime.clock).
                self.clock_synced = True
            case ev.BatteryState():
                # News that changes the screen but must not wake it (the battery's level
                # moving by a percent) does not count as activity.
                if not self._battery(event, now):
                    return True
            case ev.UpdateAvailable() | ev.UpdateProgress() | ev.UpdateInstalled() \
                    | ev.UpdateRefusedEvent() | ev.UpdateCommitted() | ev.UpdateRolledBack():
                self._update(event, now)
            case ev.PairingCompleted():
                self.pairing = None
                self.paired_clients += 1
            case _:
                return False
        self.last_activity = now
        return True

    def _flash(self, view: Any, now: float, kind: str) -> None:
        self.flash = (view, now + FLASH_SECONDS[kind])

    def _card_decoded(self, event: ev.CardDecoded, now: float,
                      lookup: Callable[[str], tuple[str | None, str | None]] | None) -> None:
        if event.card_type == "vitale":
            beneficiaries = event.beneficiaries if isinstance(event.beneficiaries, int) else 0
            self._flash(v.VitaleView(beneficiaries), now, "vitale")
        elif event.card_type == "cps":
            profession = event.profession if isinstance(event.profession, str) else None
            holder, profession = (lookup(event.slot) if lookup is not None
                                  else (None, profession))
            self.cps[event.slot] = (holder, profession)
            self._flash(v.CpsView(holder, profession), now, "cps")

    def _battery(self, event: ev.BatteryState, now: float) -> bool:
        """Fold the battery's news in; whether it should wake the screen."""
        previous, was_charging = self.battery_state, self.charging
        self.battery_percent = event.percent
        self.charging = event.charging
        self.battery_state = event.state
        if self.battery_state == "low" and previous in ("ok", "unknown") and not self.charging:
            self._flash(v.ErrorView("battery_low"), now, "error")  # "Batterie faible", once
            return True
        # A new state or the charger plugged in wakes the screen; the level alone does not.
        return self.battery_state != previous or self.charging != was_charging

    def _update(self, event: EventData, now: float) -> None:
        version = self.update.version if self.update is not None else None
        match event:
            case ev.UpdateAvailable():
                self.update = v.UpdateView("installing", 0, event.version)
            case ev.UpdateProgress() if event.step == "rebooting":
                self.update = v.UpdateView("rebooting", 100, version)
            case ev.UpdateProgress():
                self.update = v.UpdateView("installing", event.percent, version)
            case ev.UpdateInstalled():
                self.update = v.UpdateView("ready", 100, event.version)
            case ev.UpdateRefusedEvent():
                self.update = None
                self._flash(v.ErrorView(event.code), now, "error")
            case ev.UpdateCommitted():
                self.update = None
                self._flash(v.UpdateView("committed", 100, event.version), now, "update")
            case ev.UpdateRolledBack():
                self.update = None
                back_to = event.back_to if isinstance(event.back_to, str) else None
                self._flash(v.UpdateView("rolled_back", 0, back_to), now, "update")

    def show_pairing(self, code: str, expires_mono: float, now: float) -> None:
        """The pairing window opened (the code never travels in events)."""
        self.pairing = (code, expires_mono)
        self.pairing_trouble = (False, 0)
        self.last_activity = now

    def ask_pin(self, slot: str, until: float, now: float) -> None:
        """A workstation's PIN command was refused at the card's last try: ask the person."""
        self.pin_request = (slot, until)
        self.last_activity = now

    def press(self, now: float) -> str | None:
        """The OK button: the slot whose PIN request is on screen now (the press allows it),
        else None and the current message is dismissed."""
        view = self.view(now)
        if self.pin_request is not None and isinstance(view, v.ErrorView) \
                and view.code == "pin_last_try_protected":
            slot, self.pin_request = self.pin_request[0], None
            self.last_activity = now
            return slot
        self.dismiss(now)
        return None

    def take_wifi_press(self, now: float) -> bool:
        """The OK button while the screen asks to join a Wi-Fi network: True (the press is
        the confirmation; the question goes), else False."""
        if isinstance(self.view(now), v.WifiOfferView):
            self.wifi_request = None
            self.last_activity = now
            return True
        return False

    def dismiss(self, now: float) -> bool:
        """The OK button: drop the current message; True if there was one."""
        self.last_activity = now
        if self.flash is not None and now < self.flash[1]:
            self.flash = None
            return True
        return False

    # -- output -----------------------------------------------------------------------------

    def view(self, now: float) -> Any:
        """The one view to show at ``now``."""
        if self.battery_state == "critical" and not self.charging:
            return v.ErrorView("battery_critical")  # "Batterie vide / Arrêt": powering off
        if self.update is not None and self.update.phase == "rebooting":
            return self.update  # the box is going down: nothing else is true for long
        if self.pairing is not None:
            code, expires = self.pairing
            if now < expires:
                return v.PairingView(code, int(expires - now + 0.999), *self.pairing_trouble)
            self.pairing = None
        if self.pin_request is not None:
            if now < self.pin_request[1]:
                return v.ErrorView("pin_last_try_protected")
            self.pin_request = None
        if self.wifi_request is not None:
            if now < self.wifi_request[1]:
                return v.WifiOfferView(self.wifi_request[0], int(self.wifi_request[1] - now + 0.999))
            self.wifi_request = None
        if self.flash is not None:
            if now < self.flash[1]:
                return self.flash[0]
            self.flash = None
        for device, code in _DEVICE_ERRORS.items():
            state = self.devices.get(device)
            if (device, state) in _STATE_ERRORS:
                return v.ErrorView(_STATE_ERRORS[device, state])
            if state in ("unavailable", "error"):
                return v.ErrorView(code)
        session = self._current_session(now)
        if session is not None:
            return v.SessionView(int(session.expires_mono - now + 0.999), session.used,
                                 session.allowed)
        if self.update is not None:
            return self.update
        if self.mode == "mobile":
            return v.MobileView(self.battery_percent, self.charging, self.reads_waiting)
        profession = next((p for _h, p in self.cps.values() if p), self.site_profession)
        return v.IdleView(readers=len(self.readers), readers_ok=bool(self.readers),
                          network=self.network, mode=self.mode, clock_synced=self.clock_synced,
                          paired_clients=self.paired_clients,
                          cps_profession=profession if self.cps else None,
                          profession_unset=bool(self.cps) and profession is None)

    def _current_session(self, now: float) -> _Session | None:
        live = [s for s in self.sessions.values() if now < s.expires_mono]
        return max(live, key=lambda s: s.expires_mono) if live else None

    def next_change(self, now: float) -> float | None:
        """When the view next changes by itself (a countdown tick, a message ending)."""
        times = []
        if self.pairing is not None:
            times.append(now + 1.0)
        if self.flash is not None:
            times.append(self.flash[1])
        if self.pin_request is not None:
            times.append(self.pin_request[1])
        session = self._current_session(now)
        if session is not None:
            times.append(min(session.expires_mono, now + 1.0))
        return min(times) if times else None
