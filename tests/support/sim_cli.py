"""The simulated box as a person runs it: ``borne sim run`` in a child, driven by the ``borne`` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

__all__ = ["BORNE", "pair_workstation", "start_sim"]

#: The ``borne`` command, as installed (run with this interpreter).
BORNE = [sys.executable, "-m", "borne.cli.main"]


def _fresh_namespace_env() -> dict[str, str]:
    # The simulator must build its own private pcscd and network, not reuse the tests'.
    return {k: v for k, v in os.environ.items()
            if k not in ("BORNE_PRIVATE_PCSCD_SOCKET", "BORNE_PRIVATE_NETWORK")}


def start_sim(tmp_path, readers: str = "", extra: str = "", daemon: str = ""):
    """`borne sim run` in a child with its own namespaces, once it says it is ready.

    Returns (process, cli prefix). ``readers`` and ``daemon`` add lines to the
    ``[readers]`` and ``[daemon]`` sections, ``extra`` whole sections.
    """
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}/data"\n'
                      + daemon + '[readers]\nsmartcard = "sim"\n' + readers + extra)
    # Its own network namespace too, so its vpcd ports do not clash with the tests' pcscd.
    launcher = ("from borne.sim.namespace import isolate_network; isolate_network(); "
                "from borne.cli.main import main; raise SystemExit(main())")
    sim = subprocess.Popen([sys.executable, "-c", launcher, "--config", str(config), "sim", "run"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=_fresh_namespace_env())
    assert sim.stdout is not None
    for line in sim.stdout:
        if "simulated box ready" in line:
            return sim, BORNE + ["--config", str(config)]
    sim.wait(10)
    pytest.fail(f"sim run ended: {sim.stderr.read() if sim.stderr else ''}")


def pair_workstation(sim, cli, folder, name: str = "LGO") -> list[str]:
    """Pair a workstation (inside the simulated box's network) into ``folder``.

    Returns the command prefix that runs a command on that network.
    """
    workstation = ["nsenter", f"--net=/proc/{sim.pid}/ns/net"]
    opened = subprocess.run(cli + ["pair", "open"], capture_output=True, text=True, timeout=30)
    assert opened.returncode == 0, opened.stderr
    code = re.search(r"Code d'appairage : (\d{6})", opened.stdout).group(1)
    subprocess.run(workstation + BORNE + ["client", "pair", "--box", "https://127.0.0.1:8443",
                                          "--code", code, "--name", name, "--dir", str(folder)],
                   check=True, capture_output=True, timeout=60)
    return workstation
