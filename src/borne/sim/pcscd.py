"""A private pcscd serving virtual vpcd readers, started and stopped on demand.

``PrivatePcscd(work_dir, readers)`` writes one vpcd entry per :class:`SimReader`
into ``work_dir/readers/`` and runs ``pcscd -f -c work_dir/readers``, logging to
``work_dir/pcscd.log`` (the log stays outside the reader folder: pcscd would
parse it as a reader entry). pcscd's socket is always ``/run/pcscd/pcscd.comm``
(Debian's 1.9.9 ignores ``PCSCLITE_CSOCK_NAME``), so beside a system pcscd call
:func:`borne.sim.namespace.isolate_pcscd_socket` first.

Each vpcd entry gives two slots: ``NAME 00 00`` on its port, ``NAME 00 01`` on
port + 1. vpcd readers live from pcscd's start to its stop: to make readers
appear or disappear, :meth:`PrivatePcscd.restart` with another reader list.

Slots are numbered over the readers in order. With :data:`DEFAULT_SIM_READERS`
(a reader like the Kapelse KAP-Move: two contact slots and one contactless):

====  ======================  ======  ===========
slot  PC/SC reader name       port    kind
====  ======================  ======  ===========
0     Borne Sim 00 00         40059   contact
1     Borne Sim 00 01         40060   contact
2     Borne Sim CL 00 00      40061   contactless
3     Borne Sim CL 00 01      40062   spare (contact)
====  ======================  ======  ===========

vpcd itself makes no difference between contact and contactless: the kind only
says which card a test should put there.

vpcd quirk: one loaded copy of the driver serves one entry only (its slot table
is indexed by slot number, so a second entry takes over the first one's slots
and cards on the first entry's ports are never seen). Every entry after the
first therefore loads its own copy of the driver from ``work_dir/drivers/``
(so ``work_dir`` must not be on a ``noexec`` mount).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from borne.errors import BorneError, Message
from borne.sim.namespace import PCSCD_RUN_DIR
from borne.sim.processes import terminate

__all__ = ["DEFAULT_SIM_READERS", "VPCD_DRIVER", "PrivatePcscd", "SimReader", "SimSlot"]

#: The vpcd reader driver (Debian package ``vsmartcard-vpcd``).
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
PCSCD_SOCKET = f"{PCSCD_RUN_DIR}/pcscd.comm"

SlotKind = Literal["contact", "contactless"]


@dataclass(frozen=True)
class SimReader:
    """One vpcd entry: two slots named ``{name} 00 00``/``{name} 00 01`` on ``port``/``port + 1``.

    ``kinds`` says what each of the two slots stands for.
    """

    name: str
    port: int
    kinds: tuple[SlotKind, SlotKind] = ("contact", "contact")

    def entry(self, driver: str = VPCD_DRIVER) -> str:
        """The reader.conf.d entry pcscd reads, loading the vpcd driver from ``driver``."""
        return (
            f'FRIENDLYNAME "{self.name}"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            f"LIBPATH      {driver}\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )


class SimSlot(NamedTuple):
    """One virtual slot: its number, its PC/SC reader name, the TCP port a card connects to."""

    index: int
    reader: str
    port: int


#: Slots 0, 1: contact; 2: contactless; 3: spare (see the module docstring).
DEFAULT_SIM_READERS: tuple[SimReader, ...] = (
    SimReader("Borne Sim", 0x9C7B),
    SimReader("Borne Sim CL", 0x9C7D, ("contactless", "contact")),
)

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


class PrivatePcscd:
    """A pcscd process of our own, serving the vpcd slots of ``readers``."""

    def __init__(self, work_dir: str | os.PathLike[str], readers: Sequence[SimReader] = DEFAULT_SIM_READERS,
                 *, debug: bool = False, config_dir: str | os.PathLike[str] | None = None) -> None:
        """``config_dir``: a reader.conf.d folder written elsewhere (by ``borne bridge setup``),
        used as it is; ``readers`` then only says which slots to wait for."""
        self.work_dir = Path(work_dir)
        self.debug = debug
        self.config_dir = Path(config_dir) if config_dir is not None else None
        self.readers: tuple[SimReader, ...] = ()
        self._set_readers(readers)
        self._process: subprocess.Popen[bytes] | None = None
        # A script that dies on an exception must not leave pcscd running behind it.
        atexit.register(self.stop)

    @property
    def log_path(self) -> Path:
        """pcscd's output (``-d -a`` in debug mode: every APDU)."""
        return self.work_dir / "pcscd.log"

    @property
    def slots(self) -> list[SimSlot]:
        """Every slot of the current readers, numbered in order (two per reader)."""
        return [
            SimSlot(2 * r + s, f"{reader.name} 00 {s:02X}", reader.port + s)
            for r, reader in enumerate(self.readers)
            for s in (0, 1)
        ]

    def slot_kind(self, index: int) -> SlotKind:
        """Whether slot ``index`` stands for a contact or a contactless slot."""
        return self.readers[index // 2].kinds[index % 2]

    @property
    def running(self) -> bool:
        """True while our pcscd process lives."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Our pcscd's process id, while it runs."""
        return self._process.pid if self.running and self._process else None

    def start(self) -> None:
        """Start pcscd and return once every reader is listed by a PC/SC client.

        Refuses (``sim_pcscd_running``) if some pcscd already answers on this
        namespace's socket or a vpcd port is taken; ``sim_pcscd_failed`` with
        the tail of pcscd's log if the readers do not show within 10 s.
        """
        if self.running:
            raise BorneError("this PrivatePcscd is already started", code="sim_pcscd_running")
        if shutil.which("pcscd") is None or not os.path.exists(VPCD_DRIVER):
            raise BorneError(Message("pcscd ou le pilote vpcd manque (apt-get install pcscd "
                                     "vsmartcard-vpcd)", "pcscd or the vpcd driver is missing "
                                     "(apt-get install pcscd vsmartcard-vpcd)"),
                             code="sim_pcscd_failed")
        _refuse_running_pcscd()
        for slot in self.slots:
            _refuse_taken_port(slot.port)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        readers_dir = self.config_dir or self._write_entries()
        command = ["pcscd", "--foreground", "--config", str(readers_dir)]
        if self.debug:
            command += ["--debug", "--apdu"]
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
        try:
            self._wait_for_readers()
        except BaseException:
            self.kill()
            raise

    def stop(self) -> None:
        """Stop pcscd as systemd would (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is not None:
            terminate(process, _STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL pcscd: a crash. Its socket file stays behind, as after a real crash."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def restart(self, readers: Sequence[SimReader] | None = None) -> None:
        """Stop (if running) and start again, with another reader list if given."""
        self.stop()
        if readers is not None:
            self._set_readers(readers)
        self.start()

    def wait_card(self, slot: int, present: bool = True, timeout: float = 5.0) -> bytes:
        """Block until pcscd reports slot ``slot`` holding a card (or empty); the card's ATR.

        pcscd polls vpcd slots about every 400 ms, so a card process's connection
        or exit shows only then. Raises ``sim_unavailable`` on timeout.
        """
        from smartcard import scard

        reader = self.slots[slot].reader
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise BorneError(f"pcscd does not answer: {scard.SCardGetErrorMessage(hresult)}",
                             code="sim_unavailable")
        try:
            state = scard.SCARD_STATE_UNAWARE
            deadline = time.monotonic() + timeout
            while True:
                remaining = max(0, int((deadline - time.monotonic()) * 1000))
                hresult, states = scard.SCardGetStatusChange(context, remaining, [(reader, state)])
                if hresult != scard.SCARD_S_SUCCESS:
                    raise BorneError(
                        f"{reader}: still {'empty' if present else 'holding a card'} after {timeout} s "
                        f"({scard.SCardGetErrorMessage(hresult)})", code="sim_unavailable")
                _, state, atr = states[0]
                state &= ~scard.SCARD_STATE_CHANGED
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return bytes(atr)
        finally:
            scard.SCardReleaseContext(context)

    def __enter__(self) -> PrivatePcscd:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of pcscd's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _set_readers(self, readers: Sequence[SimReader]) -> None:
        names = [reader.name for reader in readers]
        if len(set(names)) != len(names):
            # pcscd would number duplicates "NAME 01 00": keep names unique so slots stay predictable.
            raise ValueError(f"reader names must be unique: {names}")
        self.readers = tuple(readers)

    def _write_entries(self) -> Path:
        readers_dir = self.work_dir / "readers"
        drivers_dir = self.work_dir / "drivers"
        for folder in (readers_dir, drivers_dir):
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.iterdir():
                old.unlink()
        for number, reader in enumerate(self.readers):
            driver = VPCD_DRIVER
            if number:
                # See the module docstring: a copy of the file is a separate
                # dlopen (another inode), with its own slot table.
                driver = str(drivers_dir / f"libifdvpcd-{number}.so")
                shutil.copyfile(VPCD_DRIVER, driver)
            (readers_dir / f"vpcd-{number}").write_text(reader.entry(driver))
        return readers_dir

    def _wait_for_readers(self) -> None:
        from smartcard import scard  # heavy, and needed only here

        expected = {slot.reader for slot in self.slots}
        deadline = time.monotonic() + _START_TIMEOUT
        seen: set[str] = set()
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise BorneError(
                    f"pcscd exited with status {self._process.returncode}; its log ends with:\n"
                    f"{self.log_tail()}", code="sim_pcscd_failed")
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult == scard.SCARD_S_SUCCESS:
                try:
                    hresult, readers = scard.SCardListReaders(context, [])
                    seen = set(readers) if hresult == scard.SCARD_S_SUCCESS else set()
                finally:
                    scard.SCardReleaseContext(context)
                if expected <= seen:
                    return
            time.sleep(0.05)
        raise BorneError(
            f"pcscd did not list {sorted(expected - seen)} within {_START_TIMEOUT:.0f} s "
            f"(listed: {sorted(seen)}); its log ends with:\n{self.log_tail()}",
            code="sim_pcscd_failed")


def _refuse_running_pcscd() -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(PCSCD_SOCKET)
        except OSError:
            return  # absent, or left behind by a dead pcscd (which the new one cleans up)
    raise BorneError(Message(
        f"un pcscd répond déjà sur {PCSCD_SOCKET} : arrêtez-le, ou isolez d'abord ce processus "
        "(borne.sim.namespace.isolate_pcscd_socket)",
        f"a pcscd already answers on {PCSCD_SOCKET}: stop it, or isolate this process first "
        "(borne.sim.namespace.isolate_pcscd_socket)"), code="sim_pcscd_running")


def _refuse_taken_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # REUSEADDR, as vpcd's own listener: only a live listener makes the bind fail,
        # not connections of a previous pcscd lingering in TIME_WAIT.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as error:
            raise BorneError(
                f"vpcd port {port} (0x{port:04X}) is taken ({error.strerror}): another pcscd with "
                "vpcd readers runs in this network namespace", code="sim_pcscd_running") from None
