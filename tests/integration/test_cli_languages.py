"""The box's CLI says the daemon's refusals in the CLI's language (``--lang``), whatever the
daemon's own: the control socket sends both, so no line mixes two languages."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from support.box import running_box

pytestmark = pytest.mark.pcscd


async def test_a_french_box_refuses_in_the_language_of_the_cli(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as box:  # [daemon] language: French
        assert box.config.daemon.language == "fr"
        (tmp_path / "borne.toml").write_text(
            f'[daemon]\nruntime_dir = "{tmp_path / "run"}"\ndata_dir = "{tmp_path / "data"}"\n')

        def revoke(language: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "borne.cli.main", "--lang", language,
                                   "--config", str(tmp_path / "borne.toml"), "clients", "revoke",
                                   "ws-nobody"], capture_output=True, text=True, timeout=60)

        english, french = await asyncio.gather(asyncio.to_thread(revoke, "en"),
                                               asyncio.to_thread(revoke, "fr"))
    assert english.returncode == french.returncode == 2
    assert english.stderr == "borne: Unknown workstation: ws-nobody [client_unknown]\n"
    assert french.stderr == "borne: Poste inconnu : ws-nobody [client_unknown]\n"
