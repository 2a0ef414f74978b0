"""Which vpcd port, and so which PC/SC reader of the workstation, each box slot gets.

The bridge numbers the box's slots once and for all (:mod:`borne.bridge.slot_map`); a
slot's number gives its vpcd port, and the port gives the reader name the billing
software sees. Two layouts:

- **unnamed** (no ``--name``): slot N goes to port ``vpcd_port + N``. The names are those
  of the workstation's vpcd entries: Debian's ``/etc/reader.conf.d/vpcd`` serves ports
  35963 and 35964 as "Virtual PCD 00 00" and "Virtual PCD 00 01".
- **named** (``--name 0=CPS --name 1=Vitale``): every named slot has a vpcd entry of its
  own, whose FRIENDLYNAME is the name: pcsc-lite lists it as ``"CPS 00 00"``
  (``RFSetReaderName`` in pcsc-lite's readerfactory.c appends ``" %02X 00"``, the first
  number being 00 for a reader.conf entry, then the slot number for each slot of it).
  vpcd opens two slots per entry (vsmartcard's ``--enable-vpcdslots``, 2 by default, on
  ports CHANNELID and CHANNELID + 1), so slot N takes ports ``vpcd_port + 2N`` and
  ``+ 2N + 1``: the second one, listed as ``"CPS 00 01"``, stays empty. Slots not named
  are not bridged.

A slot's port follows from its number only, never from which other slots the box has
now: a slot the box lacks keeps its port, and its reader stays empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ConfigError, Message

__all__ = ["VPCD_PORT", "ReaderLayout", "check_reader_name", "parse_name_option"]

#: vpcd's first port (vsmartcard's default, 0x8C7B = 35963).
VPCD_PORT = 0x8C7B
#: Box slot numbers a name may be given to (ports stay below 65536 from any base we accept).
MAX_SLOT_NUMBER = 63

# A name goes into pcsc-lite's reader.conf (a quoted token ends at '"' or a newline) and,
# on Windows, into BixVReader.ini read with the ANSI GetPrivateProfileStringA: plain
# ASCII words only, so no name can break out of its line or be read differently there.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ()+_.\-]*")
#: pcsc-lite keeps MAX_READERNAME (128) bytes with " 00 00"; far more than a billing
#: software's settings field shows.
_NAME_MAX = 64


def check_reader_name(name: str, *, key: str = "name", file: str | None = None) -> str:
    """``name`` if it can be a reader's name on the workstation; else a ConfigError saying why."""
    if len(name) > _NAME_MAX or not _NAME.fullmatch(name) or name != name.rstrip():
        raise ConfigError(Message(
            f"nom de lecteur {name!r} : 1 à {_NAME_MAX} lettres ASCII, chiffres, espaces et "
            "( ) + _ . - (il va dans le reader.conf de pcsc-lite et le BixVReader.ini de Windows)",
            f"reader name {name!r}: 1 to {_NAME_MAX} ASCII letters, digits, spaces and "
            "( ) + _ . - (it goes into pcsc-lite's reader.conf and Windows' BixVReader.ini)"),
            key=key, file=file)
    return name


def parse_name_option(text: str) -> tuple[int, str]:
    """``"0=CPS"`` (``--name``) as ``(0, "CPS")``; a ConfigError names what is wrong."""
    number, sep, name = text.partition("=")
    if not sep or not number.strip().isdigit() or int(number) > MAX_SLOT_NUMBER:
        raise ConfigError(Message(f"--name {text!r} : N=NOM attendu, N un numéro d'emplacement "
                                  f"de la borne 0..{MAX_SLOT_NUMBER} (voir `borne bridge setup`)",
                                  f"--name {text!r}: expected N=NAME, N a box slot number "
                                  f"0..{MAX_SLOT_NUMBER} (see `borne bridge setup`)"), key="--name")
    return int(number), check_reader_name(name.strip(), key="--name")


@dataclass(frozen=True)
class ReaderLayout:
    """The vpcd ports (and, when named, the reader names) of one box's slots.

    ``names`` maps a box slot number to its reader name; empty means unnamed.
    """

    vpcd_port: int = VPCD_PORT
    names: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        highest = 65536 - 2 * (MAX_SLOT_NUMBER + 1)
        if not 1024 <= self.vpcd_port <= highest:
            raise ConfigError(Message(f"port vpcd {self.vpcd_port} : entre 1024 et {highest}",
                                      f"vpcd port {self.vpcd_port}: between 1024 and {highest}"),
                              key="vpcd_port")
        for number, name in self.names.items():
            if not 0 <= number <= MAX_SLOT_NUMBER:
                raise ConfigError(Message(f"numéro d'emplacement {number} : 0..{MAX_SLOT_NUMBER}",
                                          f"box slot number {number}: 0..{MAX_SLOT_NUMBER}"),
                                  key="names")
            check_reader_name(name, key=f"names.{number}")
        taken = list(self.names.values())
        if len(set(taken)) != len(taken):
            raise ConfigError(Message(f"deux emplacements avec le même nom : {sorted(taken)}",
                                      f"two box slots with the same reader name: {sorted(taken)}"),
                              key="names")

    @property
    def named(self) -> bool:
        """Whether each bridged slot has a vpcd entry and a name of its own."""
        return bool(self.names)

    def bridged(self, number: int) -> bool:
        """Whether box slot ``number`` appears on the workstation at all."""
        return not self.named or number in self.names

    def port(self, number: int) -> int:
        """The vpcd port of box slot ``number`` (where the bridge plugs its card in)."""
        return self.vpcd_port + (2 * number if self.named else number)

    def ports(self, number: int) -> tuple[int, ...]:
        """Every port box slot ``number``'s vpcd entry listens on (named: its two slots)."""
        port = self.port(number)
        return (port, port + 1) if self.named else (port,)

    def reader_name(self, number: int) -> str | None:
        """The PC/SC reader name on a pcsc-lite workstation; None when the layout is unnamed
        (the names are then those of whatever vpcd entries serve the ports)."""
        return f"{self.names[number]} 00 00" if number in self.names else None
