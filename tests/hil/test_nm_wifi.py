"""Hardware-in-the-loop: joining a real Wi-Fi network through the box's NetworkManager.

Runs only on a real box (``BORNE_HIL=1``, root, NetworkManager running, the Pi's Wi-Fi up)
with a network in range given as ``BORNE_HIL_WIFI_SSID`` and ``BORNE_HIL_WIFI_PSK`` (WPA2
or WPA3 personal); everywhere else it is skipped with the reason. Run it with a cable
plugged or at the console: it joins that network, then tries a wrong password for it (the
box leaves it for a moment), then joins it again. The profile it makes,
``borne-wifi-<ssid>``, stays known afterwards, as after a confirmed QR code.

What only a real NetworkManager, wpa_supplicant and radio can say is checked here: which
NMDeviceStateReason a wrong password and an absent network really give (``NO_SECRETS``,
``SSID_NOT_FOUND``), that the address comes with ``ACTIVATED``, and that a cable stays the
address the box reports. The same behaviour is tested off the box against python-dbusmock's
NetworkManager (tests/integration/test_nm_client.py, tests/security/test_nm_psk_not_logged.py).
"""

from __future__ import annotations

import os
import secrets

import pytest

from borne.network.nm_client import NmClient

pytestmark = pytest.mark.skipif(
    os.environ.get("BORNE_HIL") != "1" or not os.environ.get("BORNE_HIL_WIFI_SSID"),
    reason="hardware-in-the-loop: set BORNE_HIL=1, BORNE_HIL_WIFI_SSID and BORNE_HIL_WIFI_PSK "
           "on a real box with Wi-Fi")

SSID = os.environ.get("BORNE_HIL_WIFI_SSID", "")
PSK = os.environ.get("BORNE_HIL_WIFI_PSK", "")


@pytest.mark.timeout(300)
async def test_a_real_network_is_joined_refused_with_a_wrong_password_and_joined_again():
    async with NmClient() as nm:
        joined = await nm.join(SSID, PSK, "wpa-psk", priority=10, timeout_s=60)
        assert joined.ok and joined.address, joined
        state = await nm.state()
        assert state.wifi_ssid == SSID and state.signal is not None
        if not state.ethernet:
            assert state.address == joined.address
        wrong = await nm.join(SSID, "not-the-" + secrets.token_hex(8), "wpa-psk", priority=10,
                              timeout_s=90)
        assert (wrong.ok, wrong.code) == (False, "network_wrong_password")
        again = await nm.join(SSID, PSK, "wpa-psk", priority=10, timeout_s=60)
        assert again.ok, again
        assert [n.ssid for n in await nm.known()].count(SSID) == 1


@pytest.mark.timeout(300)
async def test_a_network_out_of_range_is_not_found_and_forgotten_after():
    absent = "borne-absent-" + secrets.token_hex(4)
    async with NmClient() as nm:
        result = await nm.join(absent, "12345678", "wpa-psk", timeout_s=90)
        assert (result.ok, result.code) == (False, "network_not_found")
        (profile,) = [n for n in await nm.known() if n.ssid == absent]
        assert await nm.forget(profile.id)
        assert absent not in [n.ssid for n in await nm.known()]
