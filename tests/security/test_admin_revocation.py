"""What revoking workstations lets a paired workstation gone bad try.

- A plain workstation cannot revoke anyone, itself included, and learns nothing about which
  ids exist: every attempt is the same ``403 forbidden``, and nothing changes.
- An admin workstation (a stolen back-office tablet) may revoke the others: that is its job,
  and the person at the box can pair new ones. It cannot leave the box without an admin:
  revoking the last one, itself, is ``409 last_admin``, also when two admins revoke each other
  at the same moment.

The real daemon runs in the test process on loopback (``tests/security/conftest.py``).
"""

from __future__ import annotations

import asyncio

import pytest

from borne.client import BoxClient

from support.box import paired, running_box


@pytest.fixture
async def box(tmp_path):
    async with running_box(tmp_path) as daemon:
        yield daemon


async def test_a_plain_workstation_cannot_revoke_nor_probe(box, tmp_path):
    admin = await paired(box, tmp_path / "admin", "Back-office", admin=True)
    plain = await paired(box, tmp_path / "plain", "Comptoir")
    async with BoxClient.from_directory(tmp_path / "plain") as client:
        answers = [await client._http.delete(f"/v1/clients/{target}")
                   for target in (admin.client_id, plain.client_id, "ws-nobody", "..%2f")]
        assert {(a.status_code, a.json()["error"]) for a in answers} == {(403, "forbidden")}
        assert len({repr(a.json()["details"]) for a in answers}) == 1
        assert (await client.status())["client"]["client_id"] == plain.client_id
    assert sorted(box.api_context.clients.active_admins()) == [admin.client_id]
    assert box.api_context.clients.count() == 2


async def test_two_admins_revoking_each_other_at_once_leave_one(box, tmp_path):
    one = await paired(box, tmp_path / "one", "Bureau 1", admin=True)
    two = await paired(box, tmp_path / "two", "Bureau 2", admin=True)
    async with BoxClient.from_directory(tmp_path / "one") as a, \
            BoxClient.from_directory(tmp_path / "two") as b:
        await a.status(), await b.status()  # both connections open before the race
        first, second = await asyncio.gather(a._http.delete(f"/v1/clients/{two.client_id}"),
                                             b._http.delete(f"/v1/clients/{one.client_id}"))
        outcomes = sorted([(first.status_code, first.json().get("error")),
                           (second.status_code, second.json().get("error"))])
    # One revoked the other; the other was refused (already revoked, or the last admin).
    assert [status for status, _ in outcomes].count(200) == 1, outcomes
    assert outcomes[1][0] in (403, 409), outcomes
    survivors = box.api_context.clients.active_admins()
    assert len(survivors) == 1
    async with BoxClient.from_directory(tmp_path / ("one" if survivors == [one.client_id]
                                                    else "two")) as last:
        refused = await last._http.delete(f"/v1/clients/{survivors[0]}")
        assert (refused.status_code, refused.json()["error"]) == (409, "last_admin")
    assert box.api_context.clients.active_admins() == survivors
