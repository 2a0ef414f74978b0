"""The box keeps an admin workstation: the API refuses to revoke the last one, the box's own
CLI may (the person at the box is the authority) and says how to pair another.

An admin workstation is what lists and revokes the others from the network (a lost tablet);
a box left without one needs someone at the box to pair a new one (`borne pair open --admin`).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from borne.client import BoxClient

from support.box import paired, running_box

pytestmark = pytest.mark.pcscd


@pytest.fixture
async def box(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def revoke(client: BoxClient, client_id: str):
    return await client._http.delete(f"/v1/clients/{client_id}")


async def test_the_last_admin_cannot_revoke_itself_and_is_told_how_to_get_another(box, tmp_path):
    from support.contract import check

    admin = await paired(box, tmp_path / "admin", "Back-office", admin=True)
    async with BoxClient.from_directory(tmp_path / "admin") as client:
        refused = await revoke(client, admin.client_id)
        check("DELETE", "/v1/clients/{client_id}", refused)
        body = refused.json()
        assert (refused.status_code, body["error"]) == (409, "last_admin")
        assert body["details"] == {"client_id": admin.client_id}
        assert "borne pair open --admin" in body["message"] and "appairez" in body["message"]
        english = await client._http.delete(f"/v1/clients/{admin.client_id}",
                                            headers={"Accept-Language": "en"})
        assert "pair another one first" in english.json()["message"]
        assert "borne pair open --admin" in english.json()["message"]
        assert (await client.status())["client"]["admin"] is True  # still served
    assert box.api_context.clients.active_admins() == [admin.client_id]

    # With a second admin paired (on the box), the first may go: one admin is left.
    second = await paired(box, tmp_path / "second", "Bureau", admin=True)
    async with BoxClient.from_directory(tmp_path / "admin") as client:
        gone = await revoke(client, admin.client_id)
        assert gone.status_code == 200 and gone.json()["revoked"] is True
    async with BoxClient.from_directory(tmp_path / "second") as client:
        refused = await revoke(client, second.client_id)
        assert (refused.status_code, refused.json()["error"]) == (409, "last_admin")


async def test_the_box_cli_may_revoke_the_last_admin_and_warns(box, tmp_path):
    admin = await paired(box, tmp_path / "admin", "Back-office", admin=True)
    plain = await paired(box, tmp_path / "plain", "Comptoir")
    (tmp_path / "borne.toml").write_text(
        f'[daemon]\nruntime_dir = "{tmp_path / "run"}"\ndata_dir = "{tmp_path / "data"}"\n')

    def cli(language: str, client_id: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "borne.cli.main", "--lang", language,
                               "--config", str(tmp_path / "borne.toml"), "clients", "revoke",
                               client_id], capture_output=True, text=True, timeout=60)

    run = await asyncio.to_thread(cli, "en", plain.client_id)
    assert run.returncode == 0 and "revoked" in run.stdout and run.stderr == ""  # not an admin
    run = await asyncio.to_thread(cli, "fr", admin.client_id)
    assert run.returncode == 0, run.stderr
    assert "révoqué" in run.stdout
    assert "plus aucun poste administrateur" in run.stderr
    assert "borne pair open --admin" in run.stderr
    assert box.api_context.clients.active_admins() == []
    # What the warning says to do gives the box an admin again.
    again = await paired(box, tmp_path / "again", "Nouveau bureau", admin=True)
    assert box.api_context.clients.active_admins() == [again.client_id]
