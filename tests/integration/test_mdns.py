"""Finding the box over a real network link: DNS-SD/mDNS from the daemon to a workstation.

The test process already has its own network namespace (tests/integration/conftest.py). Each
test adds a veth pair: the box's end stays here, the workstation's end goes into
a second namespace where a plain python-zeroconf browser (support/mdns_browser.py), the
SDK's ``discover`` and ``borne client find`` run. Multicast crosses the link as
it would a phone hotspot's Wi-Fi. Link-local addresses (169.254/16), nothing routed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from borne import API_LEVEL
from borne.mdns.announcement import TXT_KEYS

import support.mdns_browser
from support.box import paired, running_box
from support.fresh_defaults import FRESH_DEFAULTS
from support.sim_cli import BORNE

pytestmark = pytest.mark.pcscd

BROWSER = Path(support.mdns_browser.__file__)

class Lan:
    """A veth link from this namespace (the box) to a new one (the workstation)."""

    BOX = "169.254.77.1"
    WORKSTATION = "169.254.77.2"

    def __init__(self) -> None:
        self.ns = f"borne-ws-{os.getpid()}"
        self.box_if = f"bx{os.getpid() % 10**6}"  # interface names: 15 characters at most

    def up(self) -> None:
        ns = self.ns
        for command in (["ip", "link", "set", "lo", "up"],
                        ["ip", "netns", "add", ns],
                        ["ip", "link", "add", self.box_if, "type", "veth", "peer", "name", "ws0",
                         "netns", ns],
                        ["ip", "addr", "add", f"{self.BOX}/24", "dev", self.box_if],
                        ["ip", "link", "set", self.box_if, "up"],
                        ["ip", "-n", ns, "addr", "add", f"{self.WORKSTATION}/24", "dev", "ws0"],
                        ["ip", "-n", ns, "link", "set", "ws0", "up"],
                        ["ip", "-n", ns, "link", "set", "lo", "up"]):
            subprocess.run(command, check=True, capture_output=True, text=True)

    def down(self) -> None:
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)  # takes ws0 with it
        subprocess.run(["ip", "link", "del", self.box_if], capture_output=True)

    def add_box_address(self, address: str) -> None:
        subprocess.run(["ip", "addr", "add", f"{address}/24", "dev", self.box_if], check=True)

    def on_workstation(self, *argv: str) -> list[str]:
        """``argv`` run on the workstation: its network, and no box installed there."""
        return ["ip", "netns", "exec", self.ns, *FRESH_DEFAULTS, *argv]


@pytest.fixture
def lan():
    if shutil.which("ip") is None:
        pytest.fail("the mDNS tests need iproute2's `ip` (apt-get install -y iproute2)")
    link = Lan()
    link.up()
    yield link
    link.down()


class Browser:
    """support/mdns_browser.py on the workstation's side: its JSON lines, awaited one by one."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, lan: Lan, seconds: float = 60.0) -> Browser:
        process = await asyncio.create_subprocess_exec(
            *lan.on_workstation(sys.executable, str(BROWSER), str(seconds)),
            stdout=asyncio.subprocess.PIPE)
        browser = cls(process)
        await browser.next("ready")
        return browser

    async def next(self, *events: str, timeout: float = 15.0) -> dict:
        """The next line whose event is one of ``events``."""
        async def read() -> dict:
            while True:
                line = await self.process.stdout.readline()
                assert line, "the browser ended"
                message = json.loads(line)
                if message["event"] in events:
                    return message
        return await asyncio.wait_for(read(), timeout)

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


#: The box's sections here: its API on every interface (so on the link), addresses checked often.
ON_THE_LAN = {"api": {"host": "0.0.0.0"}, "mdns": {"recheck_s": 0.2}}


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_browser_across_the_link_finds_the_box_follows_it_and_sees_it_leave(tmp_path, lan,
                                                                                  sim_pcscd):
    browser = await Browser.start(lan)
    started = time.monotonic()
    async with running_box(tmp_path, **ON_THE_LAN) as box:
        found = await browser.next("added")
        print(f"\nmDNS: daemon start -> announcement seen across the link: "
              f"{found['mono'] - started:.3f} s")
        fingerprint = box.api_context.ca.fingerprint_sha256
        name = f"borne-{fingerprint[:8]}"
        assert found["name"] == f"{name}._borne._tcp.local."
        assert found["server"] == f"{name}.local."
        assert found["port"] == box.api.port
        # Only the link's address: never loopback, which would send the workstation to itself.
        assert found["addresses"] == [Lan.BOX]
        assert found["properties"] == {"txtvers": "1", "api": str(API_LEVEL),
                                       "openapi": "/openapi.json", "ca_sha256": fingerprint}
        assert box.core.devices["mdns"]["state"] == "available"

        # A second address (a new DHCP lease, another network): announced within a check.
        lan.add_box_address("169.254.77.3")
        while True:
            updated = await browser.next("added", "updated")
            if updated["addresses"] == [Lan.BOX, "169.254.77.3"]:
                break
        assert updated["port"] == box.api.port and updated["name"] == found["name"]
    try:
        gone = await browser.next("removed", timeout=5.0)  # the goodbye packets
        assert gone["name"] == found["name"]
    finally:
        await browser.close()


async def test_the_announcement_carries_no_personal_data(tmp_path, lan, sim_pcscd):
    browser = await Browser.start(lan)
    try:
        async with running_box(tmp_path, **ON_THE_LAN) as box:
            # A workstation whose name is a person's, paired before: still nothing of it goes out.
            await paired(box, tmp_path / "ws", "Mme Jeanne DUPONT")
            box.mdns.set_port(box.api.port)  # forces a fresh announcement after the pairing
            found = await browser.next("added", "updated")
    finally:
        await browser.close()
    assert set(found["properties"]) == set(TXT_KEYS)  # an allow-list, nothing else
    assert found["properties"]["txtvers"] == "1"
    assert re.fullmatch(r"[0-9]+", found["properties"]["api"])
    assert found["properties"]["openapi"] == "/openapi.json"
    assert re.fullmatch(r"[0-9a-f]{64}", found["properties"]["ca_sha256"])
    assert re.fullmatch(r"borne-[0-9a-f]{8}\._borne\._tcp\.local\.", found["name"])
    assert re.fullmatch(r"borne-[0-9a-f]{8}\.local\.", found["server"])
    everything = json.dumps(found).lower()
    for private in ("dupont", "jeanne", socket.gethostname().lower()):
        assert private not in everything


async def test_the_sdk_and_the_cli_find_the_box_and_the_pinned_ca_tells_which_one(tmp_path, lan,
                                                                                 sim_pcscd):
    async with running_box(tmp_path, **ON_THE_LAN) as box:
        pairing = tmp_path / "ws"
        await paired(box, pairing, "Tablette")
        await until(lambda: box.mdns.addresses == [Lan.BOX])
        env = {k: v for k, v in os.environ.items() if not k.startswith("BORNE_PRIVATE")}
        find = await asyncio.create_subprocess_exec(
            *lan.on_workstation(*BORNE, "client", "find", "--json", "--dir", str(pairing),
                                "--timeout", "4"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        out, err = await find.communicate()
        assert find.returncode == 0, err.decode()
        [line] = out.decode().splitlines()
        listed = json.loads(line)
        assert listed["url"] == f"https://{Lan.BOX}:{box.api.port}" and listed["paired"] is True
        assert listed["ca_sha256"] == box.api_context.ca.fingerprint_sha256
        # What billing software does next: call the box at the address it found, over the link.
        script = ("import asyncio, sys\n"
                  "from borne.client import BoxClient, discover\n"
                  "from borne.client.api import mtls_context\n"
                  "from borne.client.browse import ca_fingerprint\n"
                  "from borne.client.store import WorkstationFiles\n"
                  "async def main():\n"
                  "    files = WorkstationFiles(__import__('pathlib').Path(sys.argv[1]))\n"
                  "    [box] = await discover(5, ca_sha256=ca_fingerprint(files.ca))\n"
                  "    async with BoxClient(box.url, mtls_context(files)) as client:\n"
                  "        print((await client.status())['client']['name'])\n"
                  "asyncio.run(main())\n")
        call = await asyncio.create_subprocess_exec(
            *lan.on_workstation(sys.executable, "-c", script, str(pairing)),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        out, err = await call.communicate()
        assert call.returncode == 0, err.decode()
        assert out.decode().strip() == "Tablette"


async def test_without_a_multicast_network_the_box_runs_on_and_says_why(tmp_path, sim_pcscd):
    # No link added: this namespace has only loopback, which is never announced.
    async with running_box(tmp_path, **ON_THE_LAN) as box:
        await until(lambda: "mdns" in box.core.devices)
        assert box.core.devices["mdns"] == {
            "state": "unavailable", "detail": "no IPv4 address on any interface but loopback"}
        assert box.api is not None and box.core.devices["api"]["state"] == "available"
        [check] = [c for c in box.api_context.health.checks() if c.name == "mdns"]
        assert (check.status, check.code) == ("fail", "mdns_unavailable")
        assert "hotspot" in check.fix_en and "partage de connexion" in check.fix_fr


async def test_a_taken_mdns_port_degrades_then_recovers(tmp_path, lan, sim_pcscd):
    # A socket on 5353 that does not share it (no SO_REUSEADDR): zeroconf cannot bind.
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("0.0.0.0", 5353))
    async with running_box(tmp_path, **ON_THE_LAN) as box:
        try:
            await until(lambda: box.core.devices.get("mdns", {}).get("state") == "unavailable")
            assert "Address already in use" in box.core.devices["mdns"]["detail"]
            assert box.core.devices["api"]["state"] == "available"
            blocker.close()
            browser = await Browser.start(lan)
            try:
                found = await browser.next("added")
                assert found["port"] == box.api.port
                assert box.core.devices["mdns"]["state"] == "available"
            finally:
                await browser.close()
        finally:
            blocker.close()


async def test_an_api_on_loopback_only_is_not_announced(tmp_path, lan, sim_pcscd):
    browser = await Browser.start(lan)
    try:
        async with running_box(tmp_path, api={"host": "127.0.0.1"},
                               mdns={"recheck_s": 0.2}) as box:
            with pytest.raises(asyncio.TimeoutError):
                await browser.next("added", "updated", timeout=3.0)
            assert "mdns" not in box.core.devices  # not a fault: a choice
    finally:
        await browser.close()
