"""``GET /v1/status`` carries the health checks, over the real mutually authenticated API."""

from __future__ import annotations

import asyncio

import pytest

from borne.client import BoxClient
from borne.errors import ConfigError

from support.box import paired, running_box
from support.contract import validate_status

pytestmark = pytest.mark.pcscd


#: An NFC reader that is not plugged in.
UNPLUGGED_NFC = {"nfc": "nfcpy:usb:ffff:ffff"}


async def test_status_carries_the_health_checks_in_both_languages(tmp_path, sim_pcscd):
    async with running_box(tmp_path, readers=UNPLUGGED_NFC) as box:
        await paired(box, tmp_path / "ws", "Comptoir 1")
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            body = await client.status()
            for _ in range(100):  # nfcpy reports the missing chip from its worker thread
                if body["devices"].get("nfc", {}).get("state") == "unavailable":
                    break
                await asyncio.sleep(0.05)
                body = await client.status()
        validate_status(body)
        health = {check["name"]: check for check in body["health"]}
        assert [c["name"] for c in body["health"]] == [
            "config", "pcscd", "readers", "camera", "scanner", "nfc", "display", "panel", "api",
            "storage", "journal", "disk", "clock", "ca_cert", "server_cert", "clients"]
        assert health["pcscd"]["status"] == "ok" and health["readers"]["detail"]["en"] == "4 reader(s)"
        nfc = health["nfc"]
        assert (nfc["status"], nfc["code"]) == ("fail", "nfc_unavailable")
        assert "lsusb" in nfc["fix"]["fr"] and "lsusb" in nfc["fix"]["en"]
        assert health["camera"]["code"] == "not_configured" and health["camera"]["fix"] is None
        assert health["api"]["status"] == "ok"
        assert health["server_cert"]["status"] == "ok" and health["ca_cert"]["status"] == "ok"
        assert health["clients"]["detail"]["en"] == "1 paired workstation(s), certificates valid"
        # The clock check follows the daemon's own clock state, whatever this machine's is.
        expected = "ok" if body["clock"]["synchronised"] else "warn"
        assert health["clock"]["status"] == expected


async def test_a_filling_data_partition_and_a_config_fallback_show_in_status(tmp_path, sim_pcscd,
                                                                             mount_tmpfs):
    with mount_tmpfs(tmp_path / "data", "size=16m"):
        async with running_box(tmp_path, readers=UNPLUGGED_NFC,
                               health={"disk_warn_free_mb": 8, "disk_fail_free_mb": 4}) as box:
            # What `borne serve` does when the config file is refused (the hook the daemon
            # sets); the health checks read it when asked.
            box.core.config_problem = ConfigError("not valid TOML: Expected '='",
                                                  file="/etc/borne/borne.toml")
            await paired(box, tmp_path / "ws")
            (tmp_path / "data" / "filler").write_bytes(bytes(13 * 1024 * 1024))  # < 4 MB left
            box.storage.check()  # what its timer does every few seconds
            async with BoxClient.from_directory(tmp_path / "ws") as client:
                body = await client.status()
            validate_status(body)
            health = {check["name"]: check for check in body["health"]}
            assert (health["disk"]["status"], health["disk"]["code"]) == ("fail", "disk_full")
            assert str(tmp_path / "data") in health["disk"]["detail"]["fr"]
            assert (health["storage"]["status"], health["storage"]["code"]) == ("fail", "storage_full")
            config = health["config"]
            assert (config["status"], config["code"]) == ("fail", "config_fallback")
            assert config["detail"]["en"].startswith(
                "fell back to defaults because: Invalid configuration")
            assert "/etc/borne/borne.toml" in config["detail"]["fr"]
