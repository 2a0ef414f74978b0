"""What the network routes let a paired workstation gone bad, or a LAN caller, try.

- A plain (non-admin) workstation can neither list the Wi-Fi networks the box keeps nor forget
  one: ``403 forbidden`` on both, whatever the id, and nothing changes (which networks a box
  joins says where it works; forgetting the one it is on takes it off the network).
- After a join, no answer of any route an admin or a plain workstation may call holds the
  password: the box never asks NetworkManager for a profile's secrets.
- A hostile id (traversal, NUL, over-long, not NetworkManager's alphabet) is refused with a
  clean JSON ``404 not_found``, and nothing is forgotten.

The real daemon runs in the test process on loopback, NetworkManager is python-dbusmock's
template on a private bus (:mod:`support.nm_bus`); the join goes through the network
service as the camera and the button drive it (tests/integration/test_network_service.py
drives it with the camera twin and the mock button).
"""

from __future__ import annotations

import shutil

import pytest

from support.box import paired_http, running_box
from support.nm_bus import WIFI_PATH
from support.waiting import until

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="needs dbus-daemon (Debian package: dbus)")

PASSWORD = "Zq7-mot;de:passe"
CODE = b"WIFI:T:WPA;S:Pharmacie du Port;P:Zq7-mot\\;de\\:passe;;"


@pytest.fixture
async def box(tmp_path, nm_mock):
    await nm_mock.add_wifi()
    await nm_mock.give_address(WIFI_PATH, "192.168.43.17", "wifi")
    async with running_box(tmp_path, network={"dbus_address": nm_mock.address, "confirm_s": 5,
                                              "poll_s": 1}) as daemon:
        assert daemon.network.code_shown(CODE, "camera") is None  # offered, not refused
        assert daemon.network.button_pressed()  # the person at the box confirms
        await until(lambda: any(e.type == "network.joined" for e in daemon.bus.history()),
                    timeout=10)
        yield daemon
    await nm_mock.close()


async def test_a_plain_workstation_can_neither_list_nor_forget(box, tmp_path):
    (kept,) = await box.network.known()
    async with paired_http(box, tmp_path / "plain") as plain:
        answers = [await plain.get("/v1/network")] + [
            await plain.delete(f"/v1/network/{target}")
            for target in (kept.id, "00000000-0000-0000-0000-000000000000")]
    assert {(a.status_code, a.json()["error"]) for a in answers} == {(403, "forbidden")}
    assert len({repr(a.json()["details"]) for a in answers}) == 1  # nothing learnt
    assert [k.id for k in await box.network.known()] == [kept.id]


async def test_no_answer_holds_the_password(box, tmp_path):
    texts = []
    async with paired_http(box, tmp_path / "admin", admin=True) as admin:
        for path in ("/v1/network", "/v1/status", "/v1/audit?limit=1000", "/openapi.json"):
            answer = await admin.get(path)
            assert answer.status_code == 200, path
            texts.append(answer.text)
        assert "Pharmacie du Port" in texts[0]  # the list is there, its password is not
    async with paired_http(box, tmp_path / "plain") as plain:
        texts.append((await plain.get("/v1/status")).text)
    assert not any(PASSWORD in text or "Zq7" in text for text in texts)


@pytest.mark.parametrize("target", ["..%2f..%2fsettings", "a" * 65, "%00", "x;y", "%C3%A9t%C3%A9",
                                    "..", "%2e%2e", "*"])
async def test_a_hostile_id_is_a_clean_404(box, tmp_path, target):
    async with paired_http(box, tmp_path / "admin", admin=True) as admin:
        answer = await admin.delete(f"/v1/network/{target}")
    assert answer.status_code in (404, 405), answer.text
    assert answer.json()["error"] in ("not_found", "method_not_allowed")
    assert len(await box.network.known()) == 1
