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


async def test_the_workstation_hears_the_box_in_its_own_language(tmp_path, sim_pcscd):
    from borne.client import BoxClient, BoxError

    from support.box import paired, url

    async with running_box(tmp_path) as box:
        address = url(box)

        def pair(language: str) -> subprocess.CompletedProcess:  # no pairing window is open
            return subprocess.run([sys.executable, "-m", "borne.cli.main", "--lang", language,
                                   "client", "pair", "--box", address, "--code", "482913",
                                   "--name", "Comptoir", "--dir", str(tmp_path / language)],
                                  capture_output=True, text=True, timeout=60)

        english, french = await asyncio.gather(asyncio.to_thread(pair, "en"),
                                               asyncio.to_thread(pair, "fr"))
        assert english.stderr == ("borne: Pairing is closed: open it on the box "
                                  "[pairing_closed]\n")
        assert french.stderr == ("borne: Appairage fermé : ouvrez-le sur la borne "
                                 "[pairing_closed]\n")

        # The event stream of a workstation revoked meanwhile ends in its language too.
        ws = await paired(box, tmp_path / "ws")
        async with BoxClient.from_directory(tmp_path / "ws", language="en") as client:
            events = client.events(after=box.bus.last_seq)
            first = asyncio.ensure_future(events.__anext__())
            await asyncio.sleep(0.3)
            box.api_context.revoke(ws.client_id)
            with pytest.raises(BoxError) as ended:
                while True:
                    await asyncio.wait_for(first, 5)
                    first = asyncio.ensure_future(events.__anext__())
            assert ended.value.code == "client_revoked"
            assert ended.value.message.startswith("This workstation has been revoked: pair it")
