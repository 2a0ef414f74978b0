"""A workstation's pcscd driving a serial CCID reader (libccidtwin) on a given tty.

pcscd runs in a mount namespace of its own (``unshare --mount``) with a folder of ours bound
on ``/run/pcscd``, so it meets neither the machine's pcscd nor the tests' ``sim_pcscd``: its
socket is ``run_dir/pcscd.comm``, which a PC/SC client reaches with ``PCSCLITE_CSOCK_NAME``
(read once per process by libpcsclite: run clients as subprocesses, as a workstation's
programs are). pcscd reads EVERY file of its config folder as a reader entry, so the folder
holds reader.conf alone and the log lives beside it.

``SEC1210`` is libccid's name for a dual-slot serial reader (LudovicRousseau/CCID
``src/ccid_serial.c``, ``set_ccid_descriptor``); ``SEC1210URT`` its one-slot variant.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from borne.sim.processes import terminate

__all__ = ["TWIN_DRIVER", "WorkstationPcscd"]

TWIN_DRIVER = "/usr/lib/pcsc/drivers/serial/libccidtwin.so"


class WorkstationPcscd:
    """pcscd with one libccidtwin reader named ``name`` on the tty ``device``."""

    def __init__(self, work_dir: Path, device: str, name: str = "Borne USB", *,
                 model: str = "SEC1210", debug: bool = False) -> None:
        self.work_dir = work_dir
        self.device = device
        self.name = name
        self.model = model
        self.debug = debug
        self.run_dir = work_dir / "run"
        self.config_dir = work_dir / "readers"
        self.log_path = work_dir / "pcscd.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> str:
        """pcscd's socket, for a client's ``PCSCLITE_CSOCK_NAME``."""
        return str(self.run_dir / "pcscd.comm")

    @property
    def readers(self) -> list[str]:
        """The PC/SC names of the reader's slots (two for a SEC1210)."""
        count = 1 if self.model == "SEC1210URT" else 2
        return [f"{self.name} 00 {slot:02X}" for slot in range(count)]

    def client_env(self) -> dict[str, str]:
        """The environment of a PC/SC client of this pcscd."""
        return {**os.environ, "PCSCLITE_CSOCK_NAME": self.socket}

    def start(self) -> WorkstationPcscd:
        """Start pcscd; return once its socket exists (10 s at most)."""
        for folder in (self.run_dir, self.config_dir):
            folder.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "reader.conf").write_text(
            f'FRIENDLYNAME "{self.name}"\nDEVICENAME {self.device}:{self.model}\n'
            f'LIBPATH {TWIN_DRIVER}\n')
        inner = (f"mount --make-rprivate / && mount --bind {self.run_dir} /run/pcscd && "
                 f"exec pcscd --foreground --config {self.config_dir}"
                 + (" --debug --apdu" if self.debug else ""))
        env = {**os.environ, "LIBCCID_ifdLogLevel": "0x000F" if self.debug else "0x0003"}
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(["unshare", "--mount", "sh", "-c", inner], env=env,
                                             stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pcscd did not start:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Stop pcscd."""
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def log_tail(self, lines: int = 40) -> str:
        """The end of pcscd's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
