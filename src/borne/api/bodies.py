"""The JSON bodies of the v1 API as msgspec structs: what the routes send and read, and
the OpenAPI document's schemas (generated from them by :mod:`borne.api.openapi`).

A struct's docstring and its fields' ``Meta(description=...)`` are the document's
words. A struct marked ``inline`` is written out where it is used rather than
named in ``components``. Fields marked ``UNDOCUMENTED`` are sent but not promised
by the document (yet). The bodies of the apCV, lease, journal and pairing routes
are in :mod:`borne.api.flow_bodies`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec
from aiohttp import web
from msgspec import UNSET, Meta, Struct, UnsetType

from ..error_catalogue import Surface, codes
from ..health import CODES as HEALTH_CODES
from ..ccid.status import UsbStatus
from ..network.status import NetworkStatus
from ..update.state import UpdateStatus
from .schema_forms import UNDOCUMENTED

__all__ = [
    "Audit", "AuditEntry", "Battery", "CameraScan", "CardSummary", "Client", "ClientIdentity",
    "Clients", "Clock", "ClockSet", "ClockSetResult", "Device", "Error", "HealthCheck",
    "ModeChange", "Readers", "Scanning", "Slot", "SlotError", "Status", "Words", "json_body",
]

#: Every code the API answers (the catalogue's ``Surface.API``).
ApiCode = Literal[codes(Surface.API)]  # type: ignore[valid-type]
#: Every code a health check may end with (another vocabulary: borne.health).
HealthCode = Literal[HEALTH_CODES]  # type: ignore[valid-type]
#: The box's modes.
Mode = Literal["counter", "mobile"]
#: Where the box's wall clock comes from.
ClockSource = Literal["ntp", "client", "none"]


def json_body(body: Struct, *, status: int = 200,
              headers: dict[str, str] | None = None) -> web.Response:
    """``body`` as the JSON response (its fields in order, as ``json.dumps`` writes them)."""
    return web.json_response(msgspec.to_builtins(body), status=status, headers=headers)


class Error(Struct, forbid_unknown_fields=True):
    """The one error shape: a stable `error` code for programs, a `message` for a person
    (French, or English when `Accept-Language` asks for it) and `details`."""

    error: ApiCode
    message: str
    details: dict[str, Any]


# -- GET /v1/status ---------------------------------------------------------------------------

class Words(Struct, forbid_unknown_fields=True):
    """The same words in French and English."""

    fr: str
    en: str


class HealthCheck(Struct, forbid_unknown_fields=True):
    """One health check. `detail` and `fix` are for a person, in French and English
    whatever the box's language; `code` is stable, for programs. `fix` is null when there is
    nothing to do."""

    name: Annotated[str, Meta(description="what was checked: config, pcscd, readers, camera, "
                              "scanner, nfc, display, panel, api, storage, battery, disk, clock, "
                              "ca_cert, server_cert, clients")]
    code: HealthCode
    status: Literal["ok", "warn", "fail"]
    detail: Words
    fix: Words | None


class Battery(Struct, forbid_unknown_fields=True):
    """The battery, as the `battery.state` event says it. `state` is `low` and then `critical`
    once several readings in a row are at or under the configured levels; at `critical` the
    box stores what it holds and powers off. `unknown`: not enough readings yet, or the
    board failed"""

    percent: Annotated[int, Meta(ge=0, le=100)] | None
    charging: bool
    state: Literal["ok", "low", "critical", "unknown"]
    voltage_mv: int | None


class Clock(Struct):
    """The box's wall clock (UTC). `source`: `ntp` (the kernel is synchronised), `client` (a
    paired workstation set it: POST /v1/clock), `none` (not to be trusted: `synchronised` is
    false)"""

    wall: str
    synchronised: bool
    source: ClockSource


class Device(Struct):
    """A device's state, and why when it is not well (words for a person)."""

    state: str
    detail: str | None | UnsetType = UNSET


class ClientIdentity(Struct):
    """The workstation asking."""

    client_id: str
    name: str
    admin: bool


class Status(Struct):
    """Version, API level, mode, devices, clock, health checks, and who is asking."""

    version: str
    api_level: int
    mode: Mode
    uptime_s: float
    clock: Clock
    devices: dict[str, Device]
    battery: Annotated[Battery | None, Meta(
        description="the battery (a mobile box's UPS board); null: none configured. Its "
                    "board's health is `devices.battery`")]
    last_event_seq: int
    readers: Annotated[int, Meta(description="number of reader slots")]
    health: Annotated[list[HealthCheck], Meta(
        description="the box's health checks, the same as `borne doctor`'s")]
    client: ClientIdentity
    update: Annotated[UpdateStatus, Meta(
        description="the system's version, the booted slot and the update's state")]
    usb: Annotated[UsbStatus, Meta(
        description="the box as a USB smart-card reader: its state and the slots in use")]
    network: Annotated[NetworkStatus, Meta(
        description="the box's network: Ethernet or the Wi-Fi joined, its signal and address; "
                    "never a password")]


# -- slots and what they hold -----------------------------------------------------------------

class CardSummary(Struct):
    """The type of card a slot holds; its content is at `/v1/readers/{slot_id}/card`."""

    type: Literal["vitale", "vitale1", "cps", "unknown"]
    beneficiaries: Annotated[int | UnsetType, UNDOCUMENTED] = UNSET
    generation: Annotated[str | UnsetType, UNDOCUMENTED] = UNSET
    profession: Annotated[str | None | UnsetType, UNDOCUMENTED] = UNSET


class SlotError(Struct):
    """Why the slot's last read failed."""

    inline: ClassVar[bool] = True
    code: str
    message: str


class Slot(Struct):
    """A reader slot and the type of card it holds."""

    id: str
    name: str
    kind: Literal["contact", "contactless"]
    backend: str
    state: Literal["empty", "reading", "decoded", "phone", "error"]
    atr: str | None
    card: CardSummary | None
    error: SlotError | None


class Readers(Struct):
    """Every slot, by name."""

    readers: list[Slot]


# -- workstations and the audit journal -------------------------------------------------------

class Client(Struct):
    """A paired workstation."""

    client_id: str
    name: str
    serial: Annotated[str, UNDOCUMENTED]
    admin: bool
    not_after: Annotated[str, UNDOCUMENTED]
    fingerprint_sha256: Annotated[str, UNDOCUMENTED]
    paired_at: Annotated[str, UNDOCUMENTED]
    revoked_at: str | None
    revoked: Annotated[bool, UNDOCUMENTED]


class Clients(Struct):
    """The paired workstations."""

    clients: list[Client]


class AuditEntry(Struct):
    """One request (or APDU) in the audit journal."""

    seq: int
    mono: Annotated[float, UNDOCUMENTED]
    boot_id: Annotated[str, UNDOCUMENTED]
    wall: str
    wall_synced: bool
    client_id: str | None
    action: str
    resource: str
    status: int
    detail: Annotated[dict[str, Any] | None, UNDOCUMENTED]
    prev_hash: Annotated[str, UNDOCUMENTED]
    hash: str


class Audit(Struct):
    """Audit entries, oldest first."""

    entries: list[AuditEntry]


# -- the mode, the camera, the clock ----------------------------------------------------------

class ModeChange(Struct):
    """The box's mode."""

    inline: ClassVar[bool] = True
    mode: Mode


class CameraScan(Struct):
    """Start or stop the camera (start when `on` is left out)."""

    inline: ClassVar[bool] = True
    on: bool | UnsetType = UNSET


class Scanning(Struct):
    """Whether the camera scans now."""

    inline: ClassVar[bool] = True
    scanning: bool


class ClockSet(Struct):
    """The time a workstation gives the box."""

    utc: Annotated[str, Meta(max_length=64, description="the workstation's time now, ISO 8601 "
                                                        "with a time zone: YYYY-MM-DDThh:mm:ssZ "
                                                        "(`date -u +%FT%TZ`)",
                             extra_json_schema={"format": "date-time"})]


class ClockSetResult(Struct):
    """The box's wall clock once set."""

    wall: str
    synchronised: bool
    source: ClockSource
    offset_s: Annotated[float, Meta(description="the offset the box applied: how far its wall "
                                                "clock moved, in seconds (0: kept as it was)")]
