"""The bridge's settings for one box: the ``[bridge]`` table of ``bridge.toml``, in the box's
pairing folder on the workstation (written by ``borne bridge setup``, read by ``borne bridge``)::

    [bridge]
    vpcd_port = 35963          # this box's first vpcd port: give each box its own
    label = "comptoir"         # names /etc/reader.conf.d/borne-comptoir.conf

    [bridge.names]             # box slot number = PC/SC reader name ("CPS 00 00")
    0 = "CPS"
    1 = "Vitale"

An unknown key, a name that could not be a reader's (see
:func:`~borne.bridge.layout.check_reader_name`) or a port out of range is a ConfigError
naming the file and the key. ``--name`` and ``--vpcd-port`` on the command line win over
the file.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import msgspec

from ..errors import ConfigError, Message
from ..section import Section
from .layout import VPCD_PORT, ReaderLayout

__all__ = ["SETTINGS_NAME", "BridgeSettings", "label_for", "load_settings", "save_settings"]

SETTINGS_NAME = "bridge.toml"
_LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


class BridgeSettings(Section):
    """How one box's slots appear on this workstation."""

    #: The first vpcd port of this box (a second box on the workstation takes another range).
    vpcd_port: int = VPCD_PORT
    #: A short lower-case name for this box on the workstation: it names the reader.conf
    #: file and the driver copies ``borne bridge setup`` writes. Empty: the folder's name.
    label: str = ""
    #: Box slot number (as text, TOML keys are) -> the reader's name; empty: unnamed layout.
    names: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.label and not _LABEL.fullmatch(self.label):
            raise ConfigError(Message("1 à 32 de a-z, 0-9 et -, commençant par une lettre ou un "
                                      "chiffre",
                                      "1 to 32 of a-z, 0-9 and -, starting with a letter or digit"),
                              key="bridge.label")
        for number in self.names:
            if not number.isdigit():
                raise ConfigError(Message(f"{number!r} : un numéro d'emplacement de la borne",
                                          f"{number!r}: a box slot number"), key="bridge.names")
        self.layout()  # a name or a port the layout refuses is refused here, with its key

    def layout(self) -> ReaderLayout:
        """The ports and names these settings give."""
        try:
            return ReaderLayout(self.vpcd_port, {int(n): name for n, name in self.names.items()})
        except ConfigError as error:
            raise ConfigError(error.reason, key=f"bridge.{error.key}") from None


def label_for(directory: str | os.PathLike[str]) -> str:
    """A label from the pairing folder's name (``/etc/borne-bridge/Comptoir 1`` -> ``comptoir-1``)."""
    label = re.sub(r"[^a-z0-9]+", "-", Path(directory).resolve().name.lower()).strip("-")[:32]
    return label.strip("-") or "box"


def load_settings(directory: str | os.PathLike[str]) -> BridgeSettings:
    """The settings in ``directory`` (the defaults when it has no ``bridge.toml``)."""
    path = Path(directory) / SETTINGS_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return BridgeSettings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(Message("illisible", f"cannot be read: {error}"), file=str(path)) from None
    unknown = sorted(set(data) - {"bridge"})
    if unknown:
        raise ConfigError(Message("clé inconnue", "unknown key"), file=str(path), key=unknown[0])
    try:
        return msgspec.convert(data.get("bridge", {}), BridgeSettings)
    except msgspec.ValidationError as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise ConfigError(cause.reason, file=str(path), key=cause.key) from None
        unknown_field = re.search(r"unknown field `([^`]*)`", str(error))
        if unknown_field:
            raise ConfigError(Message("clé inconnue", "unknown key"), file=str(path),
                              key=f"bridge.{unknown_field.group(1)}") from None
        raise ConfigError(f"[bridge] {error}", file=str(path)) from None


def save_settings(directory: str | os.PathLike[str], settings: BridgeSettings) -> Path:
    """Write ``settings`` to ``directory/bridge.toml`` (whole: temporary file, then rename)."""
    lines = ["# How this box's slots appear on this workstation (docs/bridge.md).",
             "# Written by `borne bridge setup`; read by `borne bridge`.",
             "[bridge]", f"vpcd_port = {settings.vpcd_port}",
             f"label = {json.dumps(settings.label)}", "", "[bridge.names]"]
    # Names are plain ASCII (check_reader_name): a JSON string is the same TOML string.
    lines += [f"{number} = {json.dumps(name)}"
              for number, name in sorted(settings.names.items(), key=lambda i: int(i[0]))]
    path = Path(directory) / SETTINGS_NAME
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path
