"""The kept Wi-Fi networks from an admin workstation (``GET``/``DELETE /v1/network``) and on the
box (``borne network list|forget|window``), against python-dbusmock's NetworkManager.

The real daemon runs in the test process; NetworkManager is the mock on a private bus
(:mod:`support.nm_bus`). A network is joined as the box joins one: a Wi-Fi code offered to
the network service, then the button (tests/integration/test_network_service.py drives the
same through the camera twin and the mock button).
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from support.box import paired_http, running_box
from support.nm_bus import WIFI_PATH, NmMock
from support.sections import merged, simulated_box, toml_text
from support.waiting import until

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="needs dbus-daemon (Debian package: dbus)")


def network_section(nm_mock: NmMock) -> dict:
    return {"dbus_address": nm_mock.address, "confirm_s": 5, "poll_s": 1}


async def join(box, code: bytes) -> None:
    """A code shown, the button pressed: the box joins (NetworkManager keeps a profile)."""
    joined = len([e for e in box.bus.history() if e.type == "network.joined"])
    assert box.network.code_shown(code, "camera") is None
    assert box.network.button_pressed()
    await until(lambda: len([e for e in box.bus.history() if e.type == "network.joined"])
                > joined, timeout=10)


@pytest.fixture
async def box(tmp_path, nm_mock):
    await nm_mock.add_wifi()
    await nm_mock.give_address(WIFI_PATH, "192.168.43.17", "wifi")
    async with running_box(tmp_path, network=network_section(nm_mock)) as daemon:
        yield daemon
    await nm_mock.close()


async def test_an_admin_lists_and_forgets_the_kept_networks(box, nm_mock, tmp_path):
    await join(box, b"WIFI:T:WPA;S:Pharmacie;P:motdepasse1;;")
    await join(box, b"WIFI:T:SAE;S:Claire\\;tel;P:motdepasse2;;")
    await nm_mock.add_access_point(WIFI_PATH, "Claire;tel", 70)  # the radio is on the last one
    await until(lambda: box.network.snapshot().signal == 70, timeout=10)
    async with paired_http(box, tmp_path / "admin", admin=True) as admin:
        network = (await admin.get("/v1/status")).json()["network"]
        assert network == {"state": "wifi", "detail": None, "ethernet": False,
                           "ssid": "Claire;tel", "signal": 70, "address": "192.168.43.17",
                           "pending_ssid": None}
        listed = (await admin.get("/v1/network")).json()["networks"]
        assert sorted(n["ssid"] for n in listed) == ["Claire;tel", "Pharmacie"]
        assert all(set(n) == {"id", "ssid", "priority", "autoconnect", "active"} for n in listed)
        (pharmacy,) = [n for n in listed if n["ssid"] == "Pharmacie"]
        forgotten = await admin.delete(f"/v1/network/{pharmacy['id']}")
        assert (forgotten.status_code, forgotten.json()) == (200, {"id": pharmacy["id"],
                                                                   "ssid": "Pharmacie"})
        again = await admin.delete(f"/v1/network/{pharmacy['id']}")
        assert (again.status_code, again.json()["error"]) == (404, "not_found")
        assert [n["ssid"] for n in (await admin.get("/v1/network")).json()["networks"]] \
            == ["Claire;tel"]
    entries = box.api_context.audit.entries(limit=1000)
    assert any(e.action == "DELETE /v1/network/{network_id}" and e.status == 200
               and (e.detail or {}).get("ssid") == "Pharmacie" for e in entries), \
        [(e.action, e.status, e.detail) for e in entries]


async def test_the_box_commands_list_forget_and_open_a_window(nm_mock, tmp_path, capsys):
    """`borne network list|forget|window` and `borne doctor`'s line, as the person at the box
    types them."""
    from borne.cli.main import main

    await nm_mock.add_wifi()
    await nm_mock.give_address(WIFI_PATH, "192.168.43.17", "wifi")
    config = tmp_path / "borne.toml"
    config.write_text(toml_text(merged(simulated_box(tmp_path), {
        "api": {"enabled": False}, "network": network_section(nm_mock)})))

    def borne(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--config", str(config), "--lang", "en"])
        out = capsys.readouterr()
        return code, out.out, out.err

    async with running_box(tmp_path, api={"enabled": False}, network=network_section(nm_mock)) as box:
        code, out, _ = await asyncio.to_thread(borne, "network", "list")
        assert (code, out) == (0, "No Wi-Fi network kept.\n")
        await join(box, b"WIFI:T:WPA;S:Pharmacie;P:motdepasse1;;")
        code, out, _ = await asyncio.to_thread(borne, "network", "list")
        (line,) = out.splitlines()
        ident = line.split()[0]
        assert code == 0 and "Pharmacie" in line and "active" in line and "motdepasse" not in out
        await nm_mock.add_access_point(WIFI_PATH, "Pharmacie", 70)
        await until(lambda: box.network.snapshot().signal == 70, timeout=10)
        from borne.cli.doctor import run_checks

        checks = await asyncio.to_thread(run_checks, str(config))
        (line,) = [c for c in checks if c.name == "network_link"]
        assert (line.status, line.detail("en")) == ("ok", 'Wi-Fi "Pharmacie" (signal 70%), '
                                                          'address 192.168.43.17')
        from borne.control.client import call

        shown = (await asyncio.to_thread(call, box.config.control_socket, "status"))["network"]
        assert (shown["state"], shown["ssid"], shown["signal"]) == ("wifi", "Pharmacie", 70)
        code, out, _ = await asyncio.to_thread(borne, "network", "forget", ident)
        assert (code, out) == (0, "Wi-Fi network Pharmacie forgotten.\n")
        code, _, err = await asyncio.to_thread(borne, "network", "forget", ident)
        assert code == 2 and err.strip().endswith("[network_unknown]")
        # The window: the next code joins without a press.
        code, out, _ = await asyncio.to_thread(borne, "network", "window", "60")
        assert (code, out) == (0, "The next Wi-Fi code shown within 60 s joins without "
                                  "the button.\n")
        assert box.network.code_shown(b"WIFI:S:Salle;;", "camera") is None
        await until(lambda: any(e.type == "network.joined" and e.data.ssid == "Salle"
                                for e in box.bus.history()), timeout=10)
        with pytest.raises(SystemExit) as usage:  # 1..600 s, said by argparse
            await asyncio.to_thread(borne, "network", "window", "0")
        assert usage.value.code == 2 and "0 is not between 1 and 600" in capsys.readouterr().err
    await nm_mock.close()
