"""What ``borne bridge setup`` writes for pcsc-lite: one vpcd entry per named box slot.

pcsc-lite reads every file of ``/etc/reader.conf.d/`` at start; an entry of ours::

    FRIENDLYNAME "CPS"
    DEVICENAME   /dev/null:0x8C7B
    LIBPATH      /usr/local/lib/borne-bridge/libifdvpcd-comptoir-0.so
    CHANNELID    0x8C7B

(the keys of vsmartcard's ``ifd-vpcd/reader.conf.in``; with ``/dev/null`` before the colon,
vpcd listens on the port and the next one, one per slot: ``IFDHCreateChannelByName`` in
``ifd-vpcd.c``). pcsc-lite names the entry's slots "CPS 00 00" and "CPS 00 01".

Each entry loads **its own copy** of the vpcd driver. pcsc-lite loads a library once for
all the entries naming it, and vpcd keeps its sockets in one static table indexed by the
slot number, which is 0 and 1 for every entry (``ctx[Lun & 0xffff]`` in ``ifd-vpcd.c``):
a second entry on the same file would take over the first one's slots. A copy is another
file for the dynamic loader, with a table of its own. The copies are root's, in a folder
only root may write (pcscd runs them as root); they do not follow upgrades of the
``vsmartcard-vpcd`` package: run ``borne bridge setup`` again after one.

Before writing, the other files of the folder are read: a port or a reader name another
entry already has (Debian's own ``vpcd`` file serves "Virtual PCD" on 35963 and 35964, a
second box's file its own) is refused, naming the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import BorneError, Message
from .layout import ReaderLayout

__all__ = ["DEFAULT_DRIVER", "DEFAULT_DRIVER_DIR", "DEFAULT_READER_CONF_DIR", "Entry",
           "check_free", "install", "read_entries", "reader_conf"]

#: Debian's vpcd driver (package vsmartcard-vpcd).
DEFAULT_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
#: Where the copies go (root's, not written by any package).
DEFAULT_DRIVER_DIR = Path("/usr/local/lib/borne-bridge")
DEFAULT_READER_CONF_DIR = Path("/etc/reader.conf.d")

_LINE = re.compile(r'^\s*(FRIENDLYNAME|DEVICENAME|CHANNELID)\s+"?([^"\n]*)"?\s*$', re.M)


@dataclass(frozen=True)
class Entry:
    """A vpcd-like entry of a reader.conf file: its name and the ports it listens on."""

    file: Path
    name: str
    ports: tuple[int, ...]


def read_entries(folder: Path, *, skip: Path | None = None) -> list[Entry]:
    """The entries of every file of ``folder`` but ``skip`` (pcsc-lite's keys, as it reads them)."""
    entries: list[Entry] = []
    if not folder.is_dir():
        return entries
    for file in sorted(folder.iterdir()):
        if file.name.startswith(".") or not file.is_file() or (
                skip is not None and file.resolve() == skip.resolve()):
            # pcsc-lite skips dot files too (DBGetReaderListDir)
            continue
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        name, port = None, None
        for key, value in _LINE.findall(text) + [("FRIENDLYNAME", None)]:
            if key == "FRIENDLYNAME":  # starts the next entry: the previous one is whole
                if name is not None:
                    ports = (port, port + 1) if port is not None else ()
                    entries.append(Entry(file, name, ports))
                name, port = value, None
            elif port is None or key == "DEVICENAME":
                port = _port(value) if key == "CHANNELID" else _port(value.rpartition(":")[2])
    return entries


def _port(text: str) -> int | None:
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None


def check_free(layout: ReaderLayout, entries: list[Entry]) -> None:
    """Refuse a port or a name of ``layout`` that an entry of another file already has."""
    for number, name in sorted(layout.names.items()):
        for entry in entries:
            shared = sorted(set(layout.ports(number)) & set(entry.ports))
            if shared:
                raise BorneError(Message(
                    f"port vpcd {shared[0]} (emplacement {number} de la borne) déjà servi par "
                    f"{entry.file} (« {entry.name} ») : supprimez ce fichier si cette borne "
                    "remplace l'autre, ou choisissez un autre --vpcd-port",
                    f"vpcd port {shared[0]} (box slot {number}) is already served by {entry.file} "
                    f"(\"{entry.name}\"): remove that file if this box replaces it, or choose "
                    "another --vpcd-port"), code="bridge_port_taken", port=shared[0])
            if entry.name == name:
                raise BorneError(Message(
                    f"le nom de lecteur « {name} » est déjà celui de {entry.file} : donnez "
                    "d'autres noms aux lecteurs de cette borne",
                    f"the reader name \"{name}\" is already {entry.file}'s: "
                    "give this box's readers other names"), code="bridge_name_taken", name=name)


def driver_copy(driver_dir: Path, label: str, number: int) -> Path:
    """Where box slot ``number``'s copy of the vpcd driver goes."""
    return driver_dir / f"libifdvpcd-{label}-{number}.so"


def reader_conf(layout: ReaderLayout, *, label: str, box_url: str, driver_dir: Path,
                slot_ids: Mapping[int, str]) -> str:
    """The reader.conf file for one box: an entry per named slot, each with its driver copy."""
    lines = [f"# borne bridge: the box {box_url} ({label}) on this workstation.",
             "# Written by `borne bridge setup` (docs/bridge.md); pcscd reads it when it starts.",
             "# Each entry loads its own copy of the vpcd driver (see docs/bridge.md)."]
    for number, name in sorted(layout.names.items()):
        port = layout.port(number)
        where = slot_ids.get(number, "not seen on the box yet: its port is kept for it")
        lines += ["", f"# Box slot {number} ({where}): PC/SC reader \"{name} 00 00\"",
                  f'FRIENDLYNAME "{name}"', f"DEVICENAME   /dev/null:0x{port:04X}",
                  f"LIBPATH      {driver_copy(driver_dir, label, number)}",
                  f"CHANNELID    0x{port:04X}"]
    return "\n".join(lines) + "\n"


def install(text: str, conf_path: Path, *, layout: ReaderLayout, label: str, driver: Path,
            driver_dir: Path) -> None:
    """Copy the driver once per named slot into ``driver_dir``, then write ``conf_path``
    (into a folder that must exist: pcscd's, where pcscd is installed).

    ``driver_dir`` is made 0755; one that exists must be this user's and writable by
    nobody else (pcscd loads what is in it as root).
    """
    if not conf_path.parent.is_dir():
        raise BorneError(Message(f"pas de dossier {conf_path.parent} : pcscd est-il installé ? "
                                 "(apt install pcscd vsmartcard-vpcd)",
                                 f"no folder {conf_path.parent}: is pcscd installed? "
                                 "(apt install pcscd vsmartcard-vpcd)"), code="config_invalid")
    if not driver.is_file():
        raise BorneError(Message(f"pas de pilote vpcd en {driver} (apt install vsmartcard-vpcd, "
                                 "ou --driver)",
                                 f"no vpcd driver at {driver} (apt install vsmartcard-vpcd, or "
                                 "--driver)"), code="config_invalid")
    driver_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    status = driver_dir.stat()
    if status.st_uid != os.geteuid() or status.st_mode & 0o022:
        raise BorneError(Message(f"{driver_dir} doit appartenir à cet utilisateur et n'être "
                                 "modifiable par personne d'autre : pcscd y charge les pilotes "
                                 "en root",
                                 f"{driver_dir} must belong to this user and be writable by nobody "
                                 "else: pcscd loads the drivers in it as root"),
                         code="config_invalid")
    wanted = {driver_copy(driver_dir, label, number) for number in layout.names}
    for copy in sorted(wanted):
        _write_whole(copy, driver.read_bytes(), 0o644)
    for old in driver_dir.glob(f"libifdvpcd-{label}-*.so"):
        if old not in wanted:  # a slot no longer named: its entry is gone too
            old.unlink()
    _write_whole(conf_path, text.encode(), 0o644)


def _write_whole(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as out:
        out.write(data)
    os.chmod(temporary, mode)  # whatever the umask
    os.replace(temporary, path)
