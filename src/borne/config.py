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

Each section checks its own values when it is built (``__post_init__``, from a
file or in code), raising a ``ConfigError`` that names the dotted key as the file
writes it; :func:`parse_config` converts the document with msgspec and adds the
file. A section whose checks need a subsystem's knowledge is that subsystem's, in
its ``settings`` module (``[apcv]``, ``[nfc]``, ``[mdns]``, ``[display]``, ``[battery]``,
``[journal]``, ``[audit]``, ``[api]``, ``[update]``, ``[usb]``, ``[network]``), re-exported here; those import nothing of borne but
:mod:`borne.errors`, :mod:`borne.registry`, the sections' base :mod:`borne.section`
and their own pure helpers, and never this module: the configuration is a leaf of the
import graph.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Literal

import msgspec

from .apcv.settings import DEFAULT_RULES, ApcvConfig, RecognitionRule
from .audit.settings import AuditConfig
from .battery.settings import BatteryConfig
from .display.settings import DisplayConfig
from .errors import BackendError, BorneError, ConfigError, Message
from .journal.settings import JournalConfig
from .mdns.settings import MdnsConfig
from .readers.nfc.settings import NfcConfig
from .registry import parse_path
from .secure_channel.key_source import key_source
from .secure_channel.settings import ApiConfig
from .section import Section
from .update.settings import UpdateConfig
from .ccid.settings import UsbConfig
from .network.settings import NetworkConfig

__all__ = [
    "DEFAULT_CONFIG_PATH", "DEFAULT_RULES", "ApcvConfig", "ApduConfig", "ApiConfig", "AuditConfig",
    "BatteryConfig", "CameraConfig", "Config", "ControlConfig", "CpsLayoutConfig", "DaemonConfig",
    "DisplayConfig", "HealthConfig", "JournalConfig", "MdnsConfig", "NetworkConfig", "NfcConfig",
    "PanelConfig",
    "PcscConfig", "ReadersConfig", "RecognitionRule", "ScannerConfig", "UpdateConfig", "UsbConfig",
    "load_config", "load_config_for_tools", "load_config_or_defaults", "parse_config", "read_config_file"]

#: Where the daemon and the CLI look when no ``--config`` is given.
DEFAULT_CONFIG_PATH = Path("/etc/borne/borne.toml")


class DaemonConfig(Section):
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
    #: Where the board secret that wraps the box's private keys comes from: ``rpi-otp`` or
    #: ``file:PATH`` (docs/config.md, :mod:`borne.secure_channel.key_source`).
    keys: str = "file:/etc/borne/board-secret"

    def __post_init__(self) -> None:
        # An unknown scheme, or a secret inside data_dir (copied with the keys it opens), is
        # the file's fault: said when it is read, not when the API starts.
        key_source(self.keys, self.data_dir)


class ControlConfig(Section):
    """The local control socket: how the ``borne`` CLI talks to the running daemon.

    Being able to use it counts as physical presence (pairing, revocation): only
    root and members of ``group`` may connect.
    """

    #: Path of the UNIX socket; empty means ``<runtime_dir>/control.sock``.
    socket: str = ""
    group: str = "borne"


class PcscConfig(Section):
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


class CpsLayoutConfig(Section):
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
    #: Subject attribute OID of the card's kind (a TRE_R87 code: CPS, CPE, CPF, CPA);
    #: empty: not read. Simulator choice, as the others.
    kind_oid: str = "2.5.4.15"

    def __post_init__(self) -> None:
        try:
            path = bytes.fromhex(self.cert_path)
        except ValueError:
            raise ConfigError(Message("pas un chemin hexadécimal", "not a hex path"),
                              key="readers.cps.cert_path") from None
        if not path or len(path) % 2:
            raise ConfigError(Message("des identifiants de fichier de 2 octets entiers",
                                      "a path is whole 2-byte file ids"),
                              key="readers.cps.cert_path")

    def to_layout(self, source: str | None = None) -> object:
        """The decoder's :class:`~borne.readers.cards.cps.CpsLayout` (for the PC/SC backend).

        ``source`` is unused (kept for the callers): the path was checked when the
        section was built. The decoder's type is imported here when a backend is
        built, never to check a file.
        """
        from .readers.cards.cps import CpsLayout

        return CpsLayout(cert_path=bytes.fromhex(self.cert_path),
                         profession_oid=self.profession_oid, identifier_oid=self.identifier_oid,
                         kind_oid=self.kind_oid)


#: Why a duration or a size is refused, in both languages.
_POSITIVE = Message("doit être positif", "must be positive")


class CameraConfig(Section):
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

    def __post_init__(self) -> None:
        for key in ("fps", "width", "height"):
            if getattr(self, key) <= 0:
                raise ConfigError(_POSITIVE, key=f"camera.{key}")
        if self.forget_after_s < 0 or self.on_demand_timeout_s <= 0:
            raise ConfigError(_POSITIVE, key="camera.forget_after_s")


class ScannerConfig(Section):
    """The USB "douchette" QR scanner's settings (backend ``readers.scanner``: ``evdev:DEVICE``)."""

    #: The keyboard layout the scanner is set to type in.
    layout: Literal["azerty", "qwerty"] = "azerty"
    #: A code ends with Enter; keys more than this far apart start a new code.
    gap_s: float = 0.5


class PanelConfig(Section):
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


class ReadersConfig(Section):
    """Which backend drives each kind of input device (path strings, see borne.registry)."""

    smartcard: str = "pcsc"
    #: QR camera, USB QR scanner and NFC chip: backend paths, ``none`` when absent.
    camera: str = "none"
    scanner: str = "none"
    nfc: str = "none"
    pcsc: PcscConfig = msgspec.field(default_factory=PcscConfig)
    cps: CpsLayoutConfig = msgspec.field(default_factory=CpsLayoutConfig)

    def __post_init__(self) -> None:
        # A misspelt backend fails when the file is read rather than at the first card.
        for kind in ("smartcard", "camera", "scanner", "nfc"):
            try:
                parse_path(kind, getattr(self, kind))
            except BackendError as error:  # UnknownBackend
                raise ConfigError(str(error), key=f"readers.{kind}") from None


class ApduConfig(Section):
    """The leased, transparent APDU channel (docs/apdu-channel.md)."""

    #: Whether what may carry a PIN (VERIFY 20/21, CHANGE REFERENCE DATA 24, RESET RETRY
    #: COUNTER 2C, ENVELOPE C2/C3, reader pseudo-APDUs CLA FF: see borne.apdu.validate.PIN_INS)
    #: may go through the channel; no APDU is ever journaled with its data either way. Even
    #: when allowed, a PIN's last try is kept for the person at the box (borne.apdu.pin_guard).
    allow_pin_verification: bool = True
    #: Longest lease a client may ask for, and the one it gets when it does not say.
    max_lease_s: int = 300
    default_lease_s: int = 60
    #: Seconds a lease outlives its client's closed channel (a bridge reconnecting).
    channel_grace_s: float = 5.0

    def __post_init__(self) -> None:
        if not 1 <= self.default_lease_s <= self.max_lease_s or self.channel_grace_s < 0:
            raise ConfigError(Message.same("1 <= default_lease_s <= max_lease_s, "
                                           "channel_grace_s >= 0"), key="apdu")


class HealthConfig(Section):
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

    def __post_init__(self) -> None:
        for low, high in (("disk_fail_free_mb", "disk_warn_free_mb"),
                          ("inodes_fail_free", "inodes_warn_free")):
            if not 0 <= getattr(self, low) <= getattr(self, high):
                raise ConfigError(Message.same(f"0 <= {low} <= {high}"), key=f"health.{low}")
        if self.cert_warn_days < 0 or self.ca_warn_days < 0:
            raise ConfigError(Message("ne doit pas être négatif", "must not be negative"),
                              key="health.cert_warn_days")


class Config(Section):
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
    audit: AuditConfig = msgspec.field(default_factory=AuditConfig)
    update: UpdateConfig = msgspec.field(default_factory=UpdateConfig)
    usb: UsbConfig = msgspec.field(default_factory=UsbConfig)
    network: NetworkConfig = msgspec.field(default_factory=NetworkConfig)
    #: The file this configuration was read from (None: built-in defaults).
    source: str | None = None

    @property
    def control_socket(self) -> Path:
        """The control socket path, derived from the runtime dir unless set."""
        return Path(self.control.socket or os.path.join(self.daemon.runtime_dir, "control.sock"))


_PATH_RE = re.compile(r"`([^`]*)`")


def _key_and_reason(error: msgspec.ValidationError) -> tuple[str, str | Message]:
    """Where the document is wrong (a dotted key) and why, from msgspec's error."""
    text = str(error)
    reason, _, where = text.partition(" - at `$")
    where = where.rstrip("`").lstrip(".")
    check = error.__cause__
    if isinstance(check, ConfigError):  # a section's own check refused a value
        # Its words without the key ConfigError added: they get the file and key again.
        return check.key or where or "?", check.reason
    if reason.startswith("Object contains unknown field"):
        match = _PATH_RE.search(reason)
        field = match.group(1) if match else "?"
        key = f"{where}.{field}" if where else field
        return key, Message("clé inconnue", "unknown key")
    return where or "?", reason


def parse_config(data: dict, *, source: str | None = None) -> Config:
    """Validate a TOML document (already parsed) into a :class:`Config`.

    Every section checks its values as it is built (path strings against the
    backend registry too, so a misspelt backend fails here rather than at the
    first card); the first refusal is a ``ConfigError`` naming ``source`` and the key.
    """
    if "source" in data:
        raise ConfigError(Message("clé inconnue", "unknown key"), file=source, key="source")
    try:
        return msgspec.convert({**data, "source": source}, Config)
    except msgspec.ValidationError as error:
        key, reason = _key_and_reason(error)
        raise ConfigError(reason, file=source, key=key) from None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration.

    ``path=None`` reads :data:`DEFAULT_CONFIG_PATH` if it exists and uses the
    built-in defaults otherwise; an explicit path must exist.
    """
    explicit = path is not None
    file = Path(path) if explicit else DEFAULT_CONFIG_PATH
    if not explicit and not file.exists():
        return Config()
    return parse_config(read_config_file(file), source=str(file))


def read_config_file(file: str | os.PathLike[str]) -> dict:
    """A config file's TOML as a dict, not yet checked; an unreadable file is a ``ConfigError``."""
    try:
        raw = Path(file).read_bytes()
    except OSError as error:
        raise ConfigError(Message(f"illisible ({errno.errorcode.get(error.errno, error.errno)})",
                                  f"cannot read: {error.strerror}"),
                          file=str(file)) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(Message("TOML invalide", f"not valid TOML: {error}"),
                          file=str(file)) from None


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
