"""Every event the box publishes: one frozen ``msgspec.Struct`` per type.

An event's data is typed on the bus (an ATR is ``bytes``, a count an ``int``) and
becomes JSON only at the edges (:mod:`borne.events.wire`). The fields are the
keys of the event's ``data`` on ``GET /v1/events``, in the same order: a field is
added at the end, never renamed nor removed (``tests/data/event_shapes.json``).

Each class's ``TYPE`` is the event's name (the envelope's ``type``, never a key of
``data``); :data:`AnyEventData` is the union of them all, tagged by that name
through :data:`EVENT_CLASSES`. The first line of each docstring is what the event
means (:data:`EVENT_TYPES`).

Events never carry identity data (names, NIR, birth dates) nor PINs: a decoded
card is announced by its summary, and its content is fetched from the state.
"""

from __future__ import annotations

import typing
from typing import Final, Union

import msgspec
from msgspec import UNSET, UnsetType

from .base import EventData
from .network_events import NetworkFailed, NetworkJoined, NetworkLost, NetworkOffered
from .update_events import (
    UpdateAvailable, UpdateCommitted, UpdateInstalled, UpdateProgress, UpdateRefusedEvent,
    UpdateRolledBack,
)

__all__ = [
    "EVENT_CLASSES", "EVENT_TYPES", "AnyEventData", "ApcvPresented", "BatteryState",
    "CaptureFailed", "CardDecoded", "CardFailed", "CardInserted", "CardRemoved", "ClientRevoked",
    "ClockSet", "DaemonStarted", "DaemonStopping", "DeviceState", "EventData", "InvoiceClaimed",
    "InvoiceReleased",
    "JournalCollected", "JournalPurged", "JournalRecovered", "JournalRetentionWarning",
    "JournalStored", "ModeChanged", "NetworkFailed", "NetworkJoined", "NetworkLost",
    "NetworkOffered", "PairingCompleted", "PairingOpened", "PrescriptionScanned",
    "PresentationExpired", "ReaderAttached", "ReaderDetached", "SessionExhausted",
    "SessionExpired", "SessionOpened", "UpdateAvailable", "UpdateCommitted", "UpdateInstalled",
    "UpdateProgress", "UpdateRefusedEvent", "UpdateRolledBack",
]


# -- the daemon and its devices ---------------------------------------------------------------

class DaemonStarted(EventData, frozen=True, kw_only=True):
    """The daemon finished starting (readers enumerated)."""

    TYPE = "daemon.started"
    ready_after_s: float


class DaemonStopping(EventData, frozen=True, kw_only=True):
    """The daemon is shutting down."""

    TYPE = "daemon.stopping"


class DeviceState(EventData, frozen=True, kw_only=True):
    """A device backend changed state (e.g. pcsc available/unavailable)."""

    TYPE = "device.state"
    #: ``pcsc``, ``api``, ``camera``, ``journal``, ``battery``...
    device: str
    #: ``available``, ``unavailable``, ``error``, ``full``...
    state: str
    #: Why, for a person (an English sentence or a stable code), or None.
    detail: str | None


class ModeChanged(EventData, frozen=True, kw_only=True):
    """The box switched between counter and mobile mode."""

    TYPE = "mode.changed"
    mode: str


class ClockSet(EventData, frozen=True, kw_only=True):
    """The wall clock became trustworthy: a paired client set it, or NTP took over."""

    TYPE = "clock.set"
    #: ``client`` or ``ntp``.
    source: str
    #: How far the wall clock moved, in seconds (3 decimals).
    offset_s: float


class BatteryState(EventData, frozen=True, kw_only=True):
    """The battery's level, charging or state (ok/low/critical) changed."""

    TYPE = "battery.state"
    percent: int | None
    charging: bool
    #: ``ok``, ``low``, ``critical`` or ``unknown``.
    state: str
    voltage_mv: int | None


# -- readers and cards ------------------------------------------------------------------------

class ReaderAttached(EventData, frozen=True, kw_only=True):
    """A reader slot appeared."""

    TYPE = "reader.attached"
    slot: str
    #: The slot's id again (``slot``), as in ``GET /v1/readers``.
    id: str
    name: str
    #: ``contact`` or ``contactless``.
    kind: str
    backend: str


class ReaderDetached(EventData, frozen=True, kw_only=True):
    """A reader slot went away."""

    TYPE = "reader.detached"
    slot: str


class CardInserted(EventData, frozen=True, kw_only=True):
    """A card is present in a slot (ATR known)."""

    TYPE = "card.inserted"
    slot: str
    #: The answer to reset (JSON: spaced upper-case hex, ``3B 95 ...``).
    atr: bytes
    #: Monotonic time (ns) at which the backend learned of it.
    detected_ns: int


class CardRemoved(EventData, frozen=True, kw_only=True):
    """The card left its slot."""

    TYPE = "card.removed"
    slot: str
    detected_ns: int


class CardDecoded(EventData, frozen=True, kw_only=True):
    """The card in a slot was read and decoded (content via the state, not the event).

    The card's summary only (``Card.summary()``): its type, and a carte Vitale's
    number of beneficiaries or a CPS's generation and profession. A field a card
    type does not have is left out of the JSON (``UNSET``), not sent as null.
    """

    TYPE = "card.decoded"
    slot: str
    #: ``vitale``, ``vitale1``, ``cps`` or ``unknown`` (JSON key: ``type``).
    card_type: str = msgspec.field(name="type")
    beneficiaries: int | UnsetType = UNSET
    generation: str | UnsetType = UNSET
    profession: str | None | UnsetType = UNSET
    detected_ns: int

    @classmethod
    def of_summary(cls, slot: str, summary: dict[str, typing.Any],
                   detected_ns: int) -> CardDecoded:
        """The event for a card's ``summary()``; a key this struct does not know is an error."""
        fields = dict(summary)
        return cls(slot=slot, card_type=fields.pop("type"), detected_ns=detected_ns, **fields)


class CardFailed(EventData, frozen=True, kw_only=True):
    """Reading the card in a slot failed (stable code)."""

    TYPE = "card.error"
    slot: str
    code: str
    #: The code's message: English on the bus and in the log; each API event stream says
    #: it in its own language (``Accept-Language``).
    message: str
    detected_ns: int


# -- pairing ----------------------------------------------------------------------------------

class PairingOpened(EventData, frozen=True, kw_only=True):
    """The pairing window opened (the code is shown on the box only)."""

    TYPE = "pairing.opened"
    expires_in_s: int


class PairingCompleted(EventData, frozen=True, kw_only=True):
    """A workstation was paired."""

    TYPE = "pairing.completed"
    client_id: str


class ClientRevoked(EventData, frozen=True, kw_only=True):
    """A paired workstation was revoked."""

    TYPE = "client.revoked"
    client_id: str


# -- apCV presentations and sessions ----------------------------------------------------------

class _Presentation(EventData, frozen=True, kw_only=True):
    """The fields of both presentation announcements (apCV, prescription)."""

    presentation_id: str
    #: ``qr_camera``, ``qr_scanner``, ``nfc``, ``pcsc_contactless``.
    channel: str
    expires_in_s: int
    detected_ns: int


class ApcvPresented(_Presentation, frozen=True, kw_only=True):
    """An appli carte Vitale was presented (QR or NFC): fetch it by its id, once."""

    TYPE = "apcv.presented"


class PrescriptionScanned(_Presentation, frozen=True, kw_only=True):
    """An ordonnance numérique QR code was scanned: fetch it by its id, once."""

    TYPE = "prescription.scanned"


class PresentationExpired(EventData, frozen=True, kw_only=True):
    """A presentation nobody fetched within its time was forgotten."""

    TYPE = "apcv.presentation.expired"
    presentation_id: str
    #: ``apcv`` or ``prescription``.
    kind: str


class CaptureFailed(EventData, frozen=True, kw_only=True):
    """A QR code or an NFC presentation could not be used (stable code)."""

    TYPE = "capture.error"
    channel: str
    code: str
    #: The code's message: English on the bus and in the log; each API event stream says
    #: it in its own language (``Accept-Language``).
    message: str
    detected_ns: int


class SessionOpened(EventData, frozen=True, kw_only=True):
    """An apCV session opened (quota from the CPS in the box, else the site's profession)."""

    TYPE = "apcv.session.opened"
    session_id: str
    presentation_id: str
    profession: str | None
    invoices_allowed: int
    expires_in_s: int
    #: Where the quota came from: ``card`` (the CPS's profession), ``site`` (``[apcv]
    #: site_profession``) or ``default`` (neither: ``invoices_default``).
    quota_source: str


class InvoiceClaimed(EventData, frozen=True, kw_only=True):
    """An invoice of an apCV session was claimed."""

    TYPE = "apcv.invoice.claimed"
    session_id: str
    #: The invoice's number in its session (1, 2...; a released one's number is not reused).
    invoice: int
    invoices_allowed: int
    seconds_left: int
    #: Invoices that count against the quota now (released ones do not).
    invoices_used: int


class InvoiceReleased(EventData, frozen=True, kw_only=True):
    """An invoice of an apCV session was given back: it no longer counts against the quota."""

    TYPE = "apcv.invoice.released"
    session_id: str
    invoice: int
    #: Why, from a closed list: ``signature_failed``, ``transmission_failed``, ``cancelled``,
    #: ``other``.
    reason: str
    invoices_used: int
    invoices_allowed: int
    seconds_left: int


class SessionExhausted(EventData, frozen=True, kw_only=True):
    """An apCV session used its last invoice: present the app again."""

    TYPE = "apcv.session.exhausted"
    session_id: str
    invoices_used: int


class SessionExpired(EventData, frozen=True, kw_only=True):
    """An apCV session reached its end (20 minutes)."""

    TYPE = "apcv.session.expired"
    session_id: str
    invoices_used: int


# -- the offline journal ----------------------------------------------------------------------

class JournalStored(EventData, frozen=True, kw_only=True):
    """A read was stored, encrypted, in the offline journal (seq, kind, waiting)."""

    TYPE = "journal.stored"
    seq: int
    kind: str
    #: Reads with a record still waiting for a workstation.
    waiting: int


class JournalCollected(EventData, frozen=True, kw_only=True):
    """A client acknowledged journal records, which were deleted."""

    TYPE = "journal.collected"
    client_id: str
    acked: int
    waiting: int


class JournalRetentionWarning(EventData, frozen=True, kw_only=True):
    """Unacknowledged journal records will soon be purged."""

    TYPE = "journal.retention_warning"
    records: int
    purge_in_s: int


class JournalPurged(EventData, frozen=True, kw_only=True):
    """Unacknowledged journal records older than the retention were purged."""

    TYPE = "journal.purged"
    records: int
    waiting: int


class JournalRecovered(EventData, frozen=True, kw_only=True):
    """A corrupted journal was set aside intact and a fresh one started."""

    TYPE = "journal.recovered"
    #: The file name the corrupted journal was kept under.
    set_aside: str


#: Every event's data: the union of the structs, tagged by their ``TYPE``.
AnyEventData = Union[
    DaemonStarted, DaemonStopping, DeviceState, ReaderAttached, ReaderDetached, CardInserted,
    CardRemoved, CardDecoded, CardFailed, PairingOpened, PairingCompleted, ClientRevoked,
    ApcvPresented, PrescriptionScanned, PresentationExpired, CaptureFailed, SessionOpened,
    InvoiceClaimed, SessionExhausted, SessionExpired, ClockSet, ModeChanged, BatteryState,
    JournalStored, JournalCollected, JournalRetentionWarning, JournalPurged, JournalRecovered,
    InvoiceReleased, UpdateAvailable, UpdateProgress, UpdateInstalled, UpdateCommitted,
    UpdateRolledBack, UpdateRefusedEvent, NetworkOffered, NetworkJoined, NetworkFailed,
    NetworkLost,
]

#: Event name -> its struct. New types are added, never renamed.
EVENT_CLASSES: Final[dict[str, type[EventData]]] = {
    cls.TYPE: cls for cls in typing.get_args(AnyEventData)}

#: Event name -> what it means (the first line of its struct's docstring).
EVENT_TYPES: Final[dict[str, str]] = {
    name: (cls.__doc__ or "").strip().splitlines()[0] for name, cls in EVENT_CLASSES.items()}
