"""The box's configuration: one TOML file, typed, frozen, every default built in.

``borne serve`` with no file at all runs on the real PC/SC stack. A file only
says what differs from the defaults::

    [daemon]
    data_dir = "/var/lib/borne"
    language = "fr"            # words on screen and in errors: "fr" or "en"

    [readers]
    smartcard = "pcsc"         # a backend path string, see borne.registry

    [readers.pcsc]
    contactless = ["*Contactless*", "*KAP-Move* 02"]

An unknown or misspelt key, a value of the wrong type or a path string that no
backend answers is a :class:`~borne.errors.ConfigError` naming the file and the
key, and the daemon does not start.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Literal

import msgspec

from .errors import BorneError, ConfigError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ApduConfig",
    "ApiConfig",
    "Config",
    "ControlConfig",
    "CpsLayoutConfig",
    "DaemonConfig",
    "BatteryConfig",
    "HealthConfig",
    "JournalConfig",
    "MdnsConfig",
    "PcscConfig",
    "ReadersConfig",
    "load_config",
    "load_config_for_tools",
    "load_config_or_defaults",
    "parse_config",
]

#: Where the daemon and the CLI look when no ``--config`` is given.
DEFAULT_CONFIG_PATH = Path("/etc/borne/borne.toml")


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every config section: immutable, unknown keys refused."""


class DaemonConfig(_Section):
    """Where the daemon keeps its state, and how it speaks."""

    #: Persistent data (paired clients, journals): the box's writable data partition.
    data_dir: str = "/var/lib/borne"
    #: Runtime files (the control socket); a tmpfs that vanishes at reboot.
    runtime_dir: str = "/run/borne"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: Language of words meant for a person (screen, CLI, error messages).
    language: Literal["fr", "en"] = "fr"
    #: Seconds a decoded card's identity data are kept after the card is removed
    #: (so a billing client that was a moment late can still fetch them). 0 = forget at once.
    card_grace_s: float = msgspec.field(default=0.0)
    #: ``counter`` (a pharmacy counter, on mains) or ``mobile`` (a nurse's bag, on battery:
    #: the camera scans only when asked, the screen dims sooner and shows the battery and the
    #: reads waiting). Where the box starts; ``borne mode`` / ``PUT /v1/mode`` switch it.
    mode: Literal["counter", "mobile"] = "counter"


class ControlConfig(_Section):
    """The local control socket: how the ``borne`` CLI talks to the running daemon.

    Being able to use it counts as physical presence (pairing, revocation): only
    root and members of ``group`` may connect.
    """

    #: Path of the UNIX socket; empty means ``<runtime_dir>/control.sock``.
    socket: str = ""
    group: str = "borne"


class PcscConfig(_Section):
    """Settings of the PC/SC backends (``pcsc`` and its twin ``sim``)."""

    #: Reader names (fnmatch globs) whose slot is contactless. pcscd does not say
    #: which slot of a multi-slot reader is contactless, so it is configured; a
    #: PC/SC Part 3 contactless pseudo-ATR (3B 8x 80 01) also marks it.
    contactless: list[str] = msgspec.field(
        default_factory=lambda: ["*Contactless*", "*CTLS*", "* CL *", "*PICC*"]
    )
    #: How often to retry when pcscd is not running (seconds).
    retry_interval_s: float = 0.5
    #: Reader names (globs) to ignore entirely, e.g. a SIM reader built into a modem.
    ignore: list[str] = msgspec.field(default_factory=list)


class CpsLayoutConfig(_Section):
    """Where a CPS keeps its authentication certificate and how its subject is read.

    NOT publicly documented for real CPx cards: the defaults are the simulator's
    layout (see :mod:`borne.readers.cards.cps`). A deployment that knows its
    cards' layout sets it here; without it a real CPS is still recognised, with
    its generation and serial, and ``holder: null``.
    """

    #: Hex path from the MF of the certificate file.
    cert_path: str = "3F00B02EC001"
    #: Subject attribute OIDs: profession code (TRE_G15) and national identifier.
    profession_oid: str = "2.5.4.12"
    identifier_oid: str = "2.5.4.5"

    def to_layout(self, source: str | None = None) -> object:
        """The decoder's :class:`~borne.readers.cards.cps.CpsLayout`."""
        from .readers.cards.cps import CpsLayout

        try:
            path = bytes.fromhex(self.cert_path)
        except ValueError:
            raise ConfigError("not a hex path", file=source, key="readers.cps.cert_path") from None
        if not path or len(path) % 2:
            raise ConfigError("a path is whole 2-byte file ids", file=source,
                              key="readers.cps.cert_path")
        return CpsLayout(cert_path=path, profession_oid=self.profession_oid,
                         identifier_oid=self.identifier_oid)


class RecognitionRule(_Section):
    """One rule: payloads it matches are of ``kind``. Every condition given must hold."""

    kind: Literal["apcv", "prescription", "unknown"]
    #: Only for payloads from these channels (empty: any).
    channels: list[str] = msgspec.field(default_factory=list)
    #: A regular expression the whole payload, read as text, must match.
    pattern: str | None = None
    #: Hex prefix the raw payload must start with.
    prefix_hex: str | None = None
    min_bytes: int = 0
    max_bytes: int | None = None


#: The built-in rules. The prescription number's shape is public (18 upper-case
#: letters and digits, domain sample ``01S2TBPZ2JCNZZYGHZ``). The apCV's payloads
#: are NOT public: whatever the apCV application answered over NFC is taken as an
#: apCV presentation, and so is any other QR payload of 64 bytes or more that is
#: not a web address. The 64-byte floor is a heuristic of ours, not a known
#: property of the apCV: it keeps product codes, words and short references out.
#: The billing software authenticates every presentation and refuses what is not
#: an apCV. A deployment that knows better narrows these rules.
DEFAULT_RULES = (
    RecognitionRule(kind="prescription", pattern=r"[0-9A-Z]{18}"),
    RecognitionRule(kind="apcv", channels=["nfc", "pcsc_contactless"]),
    RecognitionRule(kind="unknown", pattern=r"(?i)https?://.*"),
    RecognitionRule(kind="apcv", min_bytes=64),
)


class CameraConfig(_Section):
    """The QR camera's settings (its backend is ``readers.camera``: ``picamera2``, ``images:DIR``)."""

    #: ``always``: scan continuously (a counter). ``on_demand``: only while asked
    #: (a button, the API or ``borne scan``), to save battery in mobile mode.
    scan: Literal["always", "on_demand"] = "always"
    #: Frames per second the camera is read at while scanning.
    fps: float = 10.0
    #: Frame size asked of the camera (the ``images:`` twin scales its pictures to it).
    width: int = 1280
    height: int = 720
    #: The QR decoder and the preprocessing pipeline (see ``bench/qr_decoders.py``).
    decoder: Literal["zxing", "pyzbar"] = "zxing"
    #: A code that stays in view is one presentation; it counts again only after it
    #: has been out of view this long.
    forget_after_s: float = 2.0
    #: In on_demand mode, scanning stops by itself after this long.
    on_demand_timeout_s: float = 60.0


class ScannerConfig(_Section):
    """The USB "douchette" QR scanner's settings (backend ``readers.scanner``: ``evdev:DEVICE``)."""

    #: The keyboard layout the scanner is set to type in.
    layout: Literal["azerty", "qwerty"] = "azerty"
    #: A code ends with Enter; keys more than this far apart start a new code.
    gap_s: float = 0.5


class NfcConfig(_Section):
    """The apCV over NFC: which application to select and which commands to send.

    The apCV's AID and exchange are NOT public (see docs/cards.md): both are
    settings, and the defaults are the simulator's virtual phone, not the real
    app. A deployment sets the values its licensed billing software documents.
    """

    #: AID selected on a phone in card emulation (hex).
    aid: str = "F0424F524E4553494D"  # "\xF0BORNESIM": the simulator's, proprietary range
    #: Commands sent after the SELECT, in order (hex APDUs); the answers, in
    #: order, form the opaque presentation.
    script: list[str] = msgspec.field(default_factory=lambda: ["80CA000000"])
    #: A phone that stops answering for this long is gone.
    exchange_timeout_s: float = 1.0


class ApcvConfig(_Section):
    """The apCV session policy and the recognition of captured payloads.

    The quota follows the profession of the CPS in the box (``CpsCard.profession``:
    ``pharmacist``, ``nurse``, ``doctor``..., from the TRE_G15 code); the Assurance
    Maladie's rule is 2 invoices per session for pharmacists and nurses, 1 for
    every other profession.
    """

    #: How long a session lasts (the Assurance Maladie's rule: 20 minutes).
    session_seconds: float = 1200.0
    #: Invoices per session by profession; other professions get ``invoices_default``.
    invoices_by_profession: dict[str, int] = msgspec.field(
        default_factory=lambda: {"pharmacist": 2, "nurse": 2})
    invoices_default: int = 1
    #: A presentation not fetched by a billing client within this time is forgotten.
    presentation_ttl_s: float = 120.0
    #: Payloads larger than this are refused (a QR code holds at most 2953 bytes).
    max_payload_bytes: int = 4096
    #: Ordered recognition rules; the first that matches names the payload.
    rules: list[RecognitionRule] = msgspec.field(default_factory=lambda: list(DEFAULT_RULES))


class DisplayConfig(_Section):
    """The OLED screen (``device``: a backend path, see ``borne.registry`` kind ``display``)."""

    #: ``luma:ssd1306:i2c:1:0x3c``, ``luma:sh1106:...``, ``luma:ssd1309:...``,
    #: ``luma:ssd1322:spi:0:0`` (256x64 grayscale), the twin ``dummy:128x64`` /
    #: ``dummy:256x64``, or ``none``.
    device: str = "none"
    #: Contrast when in use, and once dimmed (0..255).
    brightness: int = 200
    dim_brightness: int = 16
    #: Seconds without an event before the screen dims and starts shifting.
    dim_after_s: float = 60.0
    #: The same in mobile mode: the screen is the battery's largest consumer after the Pi.
    mobile_dim_after_s: float = 15.0
    #: Pixels the content moves (every ``shift_every_s``) while dimmed, against burn-in.
    shift_px: int = 2
    shift_every_s: float = 60.0
    #: Local hours the screen is off, e.g. "22:00-07:00"; empty: never.
    night_off: str = ""
    #: Rotation of the panel as mounted: 0, 1, 2 or 3 quarter turns.
    rotate: int = 0
    #: Seconds between retries when the screen is missing or failing.
    retry_s: float = 5.0


class PanelConfig(_Section):
    """Buttons, status LED and buzzer on GPIO (BCM numbers), through gpiozero."""

    #: gpiozero pin factory: ``native`` on the box (lgpio), ``mock`` for the twin, or
    #: ``none`` (no buttons, LED nor buzzer).
    pins: Literal["native", "mock", "none"] = "none"
    #: OK / next screen; a long press opens the pairing window.
    button: int | None = 17
    long_press_s: float = 3.0
    #: Status LED: on = ready, slow blink = busy, fast blink = error.
    led: int | None = 27
    #: Active buzzer: a short beep on a good read, two longer beeps on an error.
    buzzer: int | None = 22
    beep_on_read: bool = True
    beep_on_error: bool = True


class ReadersConfig(_Section):
    """Which backend drives each kind of input device (path strings, see borne.registry)."""

    smartcard: str = "pcsc"
    #: QR camera, USB QR scanner and NFC chip: backend paths, ``none`` when absent.
    camera: str = "none"
    scanner: str = "none"
    nfc: str = "none"
    pcsc: PcscConfig = msgspec.field(default_factory=PcscConfig)
    cps: CpsLayoutConfig = msgspec.field(default_factory=CpsLayoutConfig)


class ApiConfig(_Section):
    """The mutually authenticated HTTPS API for billing software."""

    enabled: bool = True
    host: str = "0.0.0.0"
    #: 0 picks a free port (tests); the box uses 8443.
    port: int = 8443
    #: TLS 1.3 only, unless a billing workstation that cannot do 1.3 forces this on.
    allow_tls12: bool = False
    #: Names and addresses in the box's server certificate, besides the machine's
    #: hostname, "localhost" and the loopback addresses.
    hostnames: list[str] = msgspec.field(default_factory=list)
    addresses: list[str] = msgspec.field(default_factory=list)
    #: Seconds between heartbeats on idle event streams.
    heartbeat_s: float = 15.0
    #: Events a stream may hold for a slow client before it is cut off.
    stream_queue: int = 256
    #: How long the pairing window stays open, and how many wrong codes close it.
    pairing_window_s: float = 120.0
    pairing_max_failures: int = 5
    #: A client must finish its TLS handshake within this time, and an idle
    #: keep-alive connection is closed after ``keepalive_s``.
    handshake_timeout_s: float = 10.0
    keepalive_s: float = 30.0


class ApduConfig(_Section):
    """The leased, transparent APDU channel (docs/apdu-channel.md)."""

    #: Whether PIN commands (VERIFY 20/21, CHANGE REFERENCE DATA 24: see
    #: borne.apdu.validate.PIN_INS) may go through the channel; no APDU is ever
    #: journaled with its data either way.
    allow_pin_verification: bool = True
    #: Longest lease a client may ask for, and the one it gets when it does not say.
    max_lease_s: int = 300
    default_lease_s: int = 60
    #: Seconds a lease outlives its client's closed channel (a bridge reconnecting).
    channel_grace_s: float = 5.0


class MdnsConfig(_Section):
    """How the box announces its API on the local network (DNS-SD over mDNS, ``_borne._tcp``).

    The announcement carries no personal data: a box name, the API's port, and
    TXT keys from an allow-list (API level, the OpenAPI document's path, the
    SHA-256 fingerprint of the box's CA). See :mod:`borne.mdns.announcement`.
    """

    enabled: bool = True
    #: The announced name; empty: ``borne-`` and the first 8 hex digits of the CA's
    #: fingerprint. Letters, digits and ``-`` only: never a person's or a pharmacy's name.
    name: str = ""
    #: Network interfaces to announce on (e.g. ``["wlan0"]``); empty: every one but loopback.
    interfaces: list[str] = msgspec.field(default_factory=list)
    #: Seconds between checks of the interfaces' addresses (a new hotspot, a new DHCP
    #: lease): the announcement follows them.
    recheck_s: float = 10.0


class HealthConfig(_Section):
    """Thresholds of the health checks (``borne doctor`` and ``health`` in ``GET /v1/status``).

    The data partition is measured where ``daemon.data_dir`` lives: free space (MB,
    what the unprivileged ``borne`` user may still write) and free inodes. Below a
    ``warn`` level the check warns; below a ``fail`` level it fails.
    """

    disk_warn_free_mb: int = 200
    disk_fail_free_mb: int = 50
    inodes_warn_free: int = 2000
    inodes_fail_free: int = 200
    #: Warn this many days before the box's HTTPS server certificate or a paired
    #: workstation's certificate expires. The server certificate renews itself 30
    #: days before its end, so a warning at 20 means renewal has been failing.
    cert_warn_days: int = 20
    #: Warn this many days before the box's own CA expires (every workstation must
    #: then pair again: give the pharmacy time).
    ca_warn_days: int = 180


class BatteryConfig(_Section):
    """The battery of a mobile box: a UPS board read over I2C (see :mod:`borne.battery`).

    ``device`` is ``ina219:i2c:BUS:ADDR`` (an INA219 current monitor, as on the
    Waveshare UPS HATs: ``ina219:i2c:1:0x42``), the twin ``sim`` (or ``sim:FILE``,
    whose JSON ``{"percent": 50, "charging": false}`` the twin follows), or ``none``.
    The level is read from the pack's voltage (``cells`` in series, ``curve``);
    a level is *entered* only when ``confirm_readings`` readings in a row are at or
    under it, so a load spike never powers the box off; charging cancels.
    """

    device: str = "none"
    #: The INA219's shunt resistor (ohms): 0.1 on the Waveshare UPS HATs.
    shunt_ohms: float = 0.1
    #: Li-ion cells in series: 2 on the Waveshare UPS HAT (2 x 18650), 1 on its HAT (C).
    cells: int = 2
    #: ``li-ion``: a cell's open-circuit voltage table (borne.battery.curve); ``linear``:
    #: 3.0 V = 0 %, 4.2 V = 100 % per cell, as the boards' sample code does.
    curve: Literal["li-ion", "linear"] = "li-ion"
    #: At or under these levels (%): a warning, then the box flushes and powers off.
    low_percent: int = 20
    critical_percent: int = 5
    #: Seconds between readings, and readings in a row needed to enter a lower level.
    poll_s: float = 10.0
    confirm_readings: int = 3
    #: Current into the battery above this (mA) means charging. Positive is into the
    #: battery on the Waveshare boards; ``invert_current`` for a board wired the other way.
    charging_ma: float = 20.0
    invert_current: bool = False
    #: Seconds "Batterie vide / Arrêt" stays on screen before the power-off is asked for.
    poweroff_delay_s: float = 5.0


class JournalConfig(_Section):
    """The offline journal (docs/journal.md): reads kept, encrypted, until the billing software collects them.

    On by default, in counter mode too: a read made while the billing software
    is closed or its network is down is not lost, and the box cannot read its own
    records (each is sealed for one paired workstation). Off: nothing is written.
    """

    enabled: bool = True
    #: Records nobody acknowledged are deleted this many days after the read.
    retention_days: float = 7.0
    #: ``journal.retention_warning`` this many seconds before records are deleted.
    warn_before_s: float = 86400.0
    #: What is journaled: ``vitale`` and ``cps`` reads, ``apcv`` presentations,
    #: ``prescription`` scans.
    kinds: list[Literal["vitale", "cps", "apcv", "prescription"]] = msgspec.field(
        default_factory=lambda: ["vitale", "cps", "apcv", "prescription"])


class Config(_Section):
    """The whole configuration. Build it with :func:`load_config` or :func:`parse_config`."""

    daemon: DaemonConfig = msgspec.field(default_factory=DaemonConfig)
    control: ControlConfig = msgspec.field(default_factory=ControlConfig)
    readers: ReadersConfig = msgspec.field(default_factory=ReadersConfig)
    api: ApiConfig = msgspec.field(default_factory=ApiConfig)
    mdns: MdnsConfig = msgspec.field(default_factory=MdnsConfig)
    camera: CameraConfig = msgspec.field(default_factory=CameraConfig)
    scanner: ScannerConfig = msgspec.field(default_factory=ScannerConfig)
    nfc: NfcConfig = msgspec.field(default_factory=NfcConfig)
    apcv: ApcvConfig = msgspec.field(default_factory=ApcvConfig)
    apdu: ApduConfig = msgspec.field(default_factory=ApduConfig)
    display: DisplayConfig = msgspec.field(default_factory=DisplayConfig)
    panel: PanelConfig = msgspec.field(default_factory=PanelConfig)
    health: HealthConfig = msgspec.field(default_factory=HealthConfig)
    journal: JournalConfig = msgspec.field(default_factory=JournalConfig)
    battery: BatteryConfig = msgspec.field(default_factory=BatteryConfig)
    #: The file this configuration was read from (None: built-in defaults).
    source: str | None = None

    @property
    def control_socket(self) -> Path:
        """The control socket path, derived from the runtime dir unless set."""
        return Path(self.control.socket or os.path.join(self.daemon.runtime_dir, "control.sock"))


_PATH_RE = re.compile(r"`([^`]*)`")


def _key_from_msgspec(error: msgspec.ValidationError) -> tuple[str, str]:
    """Turn msgspec's message into (dotted key, reason)."""
    text = str(error)
    reason, _, where = text.partition(" - at `$")
    where = where.rstrip("`").lstrip(".")
    if reason.startswith("Object contains unknown field"):
        match = _PATH_RE.search(reason)
        field = match.group(1) if match else "?"
        key = f"{where}.{field}" if where else field
        return key, "unknown key"
    return where or "?", reason


def parse_config(data: dict, *, source: str | None = None) -> Config:
    """Validate a TOML document (already parsed) into a :class:`Config`.

    Path strings are checked against the backend registry too, so a misspelt
    backend fails here rather than at the first card.
    """
    if "source" in data:
        raise ConfigError("unknown key", file=source, key="source")
    try:
        config = msgspec.convert({**data, "source": source}, Config)
    except msgspec.ValidationError as error:
        key, reason = _key_from_msgspec(error)
        raise ConfigError(reason, file=source, key=key) from None
    from .registry import parse_path  # late: the registry imports nothing heavy either

    config.readers.cps.to_layout(source)
    from .readers.nfc.apcv_script import apcv_settings

    apcv_settings(config.nfc.aid, config.nfc.script, source=source)
    try:
        from .apcv.recognise import compile_rules

        compile_rules(config.apcv.rules)
    except ValueError as error:
        raise ConfigError(str(error), file=source, key="apcv.rules") from None
    if not 0 <= config.api.port <= 65535:
        raise ConfigError("not a TCP port", file=source, key="api.port")
    from .mdns.announcement import check_mdns_config  # late: it imports no zeroconf either

    check_mdns_config(config.mdns, source)
    camera = config.camera
    for key, value in (("fps", camera.fps), ("width", camera.width), ("height", camera.height)):
        if value <= 0:
            raise ConfigError("must be positive", file=source, key=f"camera.{key}")
    if camera.forget_after_s < 0 or camera.on_demand_timeout_s <= 0:
        raise ConfigError("must be positive", file=source, key="camera.forget_after_s")
    if config.apcv.session_seconds <= 0 or config.apcv.invoices_default < 1 \
            or any(n < 1 for n in config.apcv.invoices_by_profession.values()):
        raise ConfigError("a positive duration and at least 1 invoice", file=source, key="apcv")
    apdu = config.apdu
    if not 1 <= apdu.default_lease_s <= apdu.max_lease_s or apdu.channel_grace_s < 0:
        raise ConfigError("1 <= default_lease_s <= max_lease_s, channel_grace_s >= 0",
                          file=source, key="apdu")
    if not 1 <= config.api.pairing_max_failures <= 100:
        raise ConfigError("between 1 and 100", file=source, key="api.pairing_max_failures")
    health = config.health
    for low, high in (("disk_fail_free_mb", "disk_warn_free_mb"),
                      ("inodes_fail_free", "inodes_warn_free")):
        if not 0 <= getattr(health, low) <= getattr(health, high):
            raise ConfigError(f"0 <= {low} <= {high}", file=source, key=f"health.{low}")
    if health.cert_warn_days < 0 or health.ca_warn_days < 0:
        raise ConfigError("must not be negative", file=source, key="health.cert_warn_days")
    journal = config.journal
    if not 0 < journal.retention_days <= 366:
        raise ConfigError("between 0 (excluded) and 366 days", file=source,
                          key="journal.retention_days")
    if not 0 <= journal.warn_before_s < journal.retention_days * 86400:
        raise ConfigError("0 <= warn_before_s < retention_days", file=source,
                          key="journal.warn_before_s")
    if not 0 <= config.display.shift_px <= 2:  # the screens keep a 2-pixel margin
        raise ConfigError("between 0 and 2", file=source, key="display.shift_px")
    from .battery.settings import check_battery_config  # late: nothing heavy either

    check_battery_config(config.battery, source)
    if config.display.device != "none":
        from .display.device import parse_display_path

        scheme, _, argument = config.display.device.partition(":")
        try:
            parse_display_path(scheme, argument or None)
        except Exception as error:  # UnknownBackend, ConfigError
            raise ConfigError(str(error), file=source, key="display.device") from None
    paths = [(kind, getattr(config.readers, kind), f"readers.{kind}")
             for kind in ("smartcard", "camera", "scanner", "nfc")]
    for kind, value, key in [*paths, ("display", config.display.device, "display.device")]:
        try:
            parse_path(kind, value)
        except Exception as error:  # UnknownBackend, BackendError
            raise ConfigError(str(error), file=source, key=key) from None
    return config


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration.

    ``path=None`` reads :data:`DEFAULT_CONFIG_PATH` if it exists and uses the
    built-in defaults otherwise; an explicit path must exist.
    """
    explicit = path is not None
    file = Path(path) if explicit else DEFAULT_CONFIG_PATH
    if not explicit and not file.exists():
        return Config()
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", file=str(file)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"not valid TOML: {error}", file=str(file)) from None
    return parse_config(data, source=str(file))


def load_config_or_defaults(path: str | os.PathLike[str] | None = None) -> tuple[Config, BorneError | None]:
    """:func:`load_config`, or the built-in defaults and the reason when the file is refused.

    What the daemon does at boot (a box nobody logs into must come up), and so
    what the operator's tools do too: they must find the daemon the same way.
    """
    try:
        return load_config(path), None
    except BorneError as error:
        return Config(), error


def load_config_for_tools(path: str | os.PathLike[str] | None = None) -> Config:
    """:func:`load_config_or_defaults` for a CLI command: a refused file is one warning on stderr."""
    config, problem = load_config_or_defaults(path)
    if problem is not None:
        print(f"borne: {problem.message('en')} (using the built-in defaults, as the daemon does)",
              file=sys.stderr)
    return config
