"""The simulated box as a person runs it: ``borne sim run`` in a child, driven by the ``borne`` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import pytest

from support.fresh_defaults import FRESH_DEFAULTS
from support.sections import merged, simulated_box, toml_text

__all__ = ["BORNE", "insert_and_read", "pair_workstation", "sim_config", "start_sim"]

#: The ``borne`` command, as installed (run with this interpreter).
BORNE = [sys.executable, "-m", "borne.cli.main"]


def _fresh_namespace_env() -> dict[str, str]:
    # The simulator must build its own private pcscd and network, not reuse the tests'.
    return {k: v for k, v in os.environ.items()
            if k not in ("BORNE_PRIVATE_PCSCD_SOCKET", "BORNE_PRIVATE_NETWORK")}


def sim_config(tmp_path: Path, **sections: Mapping[str, object]) -> Path:
    """A simulated box's config file ``tmp_path/borne.toml``, with ``sections`` merged over it.

    For a box in a child (``borne sim run``, or ``borne serve`` on the tests'
    pcscd). The base: runtime and data dirs under ``tmp_path`` and the ``sim``
    smart-card backend; everything else is the daemon's default (so ``borne sim
    run`` has its API on port 8443 of its own network).
    """
    config = tmp_path / "borne.toml"
    config.write_text(toml_text(merged(simulated_box(tmp_path), sections)))
    return config


def start_sim(tmp_path: Path, *, config_file: Path | None = None, options: Sequence[str] = (),
              **sections: Mapping[str, object]) -> tuple[subprocess.Popen[str], list[str]]:
    """`borne sim run` of :func:`sim_config` in a child with its own namespaces, once it is ready.

    Returns (process, the command prefix that drives it: ``borne --config FILE``).
    ``config_file`` runs a file of the test's own exactly as a person types it
    (``borne sim run --config FILE``), where the box's default paths are empty
    (:data:`~support.fresh_defaults.FRESH_DEFAULTS`: the simulator's own defaults
    then land in a private ``/run`` and ``/var/lib``); the prefix then runs in the
    child's mount and network namespaces, where its sockets are. ``options`` go after
    ``sim run`` (``["--listen", "0.0.0.0"]``). Its log is copied
    to the test's stderr as it comes (shown when the test fails), so a long run
    never fills the pipe and stalls the box.
    """
    # Its own network namespace too, so its vpcd ports do not clash with the tests' pcscd.
    launcher = ("from borne.sim.namespace import isolate_network; isolate_network(); "
                "from borne.cli.main import main; raise SystemExit(main())")
    if config_file is None:
        config = sim_config(tmp_path, **sections)
        argv = [sys.executable, "-c", launcher, "--config", str(config), "sim", "run", *options]
    else:
        config = config_file
        argv = FRESH_DEFAULTS + [sys.executable, "-c", launcher, "sim", "run",
                                 "--config", str(config), *options]
    sim = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=_fresh_namespace_env())
    assert sim.stdout is not None and sim.stderr is not None
    for line in sim.stdout:
        if "simulated box ready" in line:
            for stream in (sim.stdout, sim.stderr):
                threading.Thread(target=_copy_to_stderr, args=(stream,), daemon=True).start()
            inside = ([] if config_file is None else
                      ["nsenter", f"--mount=/proc/{sim.pid}/ns/mnt", f"--net=/proc/{sim.pid}/ns/net"])
            return sim, inside + BORNE + ["--config", str(config)]
    sim.wait(10)
    pytest.fail(f"sim run ended: {sim.stderr.read()}")


def _copy_to_stderr(stream: IO[str]) -> None:
    for line in stream:
        sys.stderr.write("sim run: " + line)


def pair_workstation(sim, cli, folder, name: str = "LGO") -> list[str]:
    """Pair a workstation (inside the simulated box's network) into ``folder``.

    Returns the command prefix that runs a command as on that workstation: on the
    box's network, where no box is installed (:data:`~support.fresh_defaults.FRESH_DEFAULTS`:
    not this machine's ``/etc/borne/borne.toml``, which the ``borne`` command reads).
    """
    workstation = ["nsenter", f"--net=/proc/{sim.pid}/ns/net", *FRESH_DEFAULTS]
    opened = subprocess.run(cli + ["pair", "open"], capture_output=True, text=True, timeout=30)
    assert opened.returncode == 0, opened.stderr
    code = re.search(r"Code d'appairage : (\d{6})", opened.stdout).group(1)
    subprocess.run(workstation + BORNE + ["client", "pair", "--box", "https://127.0.0.1:8443",
                                          "--code", code, "--name", name, "--dir", str(folder)],
                   check=True, capture_output=True, timeout=60)
    return workstation


#: Run on the workstation: waits until the box has read, in one of its slots, a card of type
#: argv[3] and profession argv[2] ("-": any).
_READ = r"""
import asyncio, sys, time
from borne.client import BoxClient

async def main(directory, profession, kind):
    async with BoxClient.from_directory(directory) as box:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for slot in await box.readers():
                if slot["state"] == "decoded":
                    card = await box.card(slot["id"])
                    if card["type"] == kind and profession in ("-", card.get("profession")):
                        return
            await asyncio.sleep(0.05)
        raise SystemExit(f"no {kind} ({profession}) read within 30 s")

asyncio.run(main(*sys.argv[1:4]))
"""


def insert_and_read(cli: Sequence[str], workstation: Sequence[str], folder: Path, slot: int,
                    card: str, *, kind: str = "cps", profession: str = "-") -> None:
    """``borne sim insert SLOT CARD``, then wait until the box has read that card.

    ``sim insert`` returns once the card is in the reader, not once the box has read it: a
    test that goes on at once races the read (an apCV session opened before the CPS is read
    answers ``no_cps``; one opened while the previous CPS is still the box's has its quota).
    """
    subprocess.run([*cli, "sim", "insert", str(slot), card], check=True, capture_output=True,
                   timeout=30)
    read = subprocess.run([*workstation, sys.executable, "-c", _READ, str(folder), profession,
                           kind], capture_output=True, text=True, timeout=60)
    assert read.returncode == 0, read.stderr
