"""What NetworkManager says went wrong, as the box's stable codes (pure, no D-Bus).

NetworkManager reports a failed activation as the device's move to ``FAILED`` with an
``NMDeviceStateReason`` (https://networkmanager.dev/docs/api/latest/nm-dbus-types.html,
"NMDeviceStateReason"; the numbers are NM's ABI, unchanged since 0.9). Of ~70 reasons, the
box tells apart the two a person at the box can act on:

- the password: ``NO_SECRETS`` (7). A WPA/WPA3 handshake that fails makes NM ask its secret
  agents for a new key; the box registers none, so the activation fails with "secrets were
  required, but not provided" (what ``nmcli`` prints for a wrong password).
  ``SUPPLICANT_TIMEOUT`` (11): wpa_supplicant got no handshake through in time, which with a
  network in range is, for a personal network, the password again.
- the network: ``SSID_NOT_FOUND`` (53), "the Wi-Fi network could not be found" (NM >= 1.2).

Everything else is ``network_failed``. ``network_timeout`` is the box's own deadline and
``network_no_wifi`` a box without a Wi-Fi device; neither comes from a reason.

For the lead (the error catalogue and the screen), the words of each code:

=========================  ===================================  ===========================
code                       French                               English
=========================  ===================================  ===========================
network_wrong_password     Mot de passe Wi-Fi refusé            Wi-Fi password refused
network_not_found          Réseau Wi-Fi introuvable             Wi-Fi network not found
network_timeout            Wi-Fi : pas de connexion à temps     Wi-Fi: no connection in time
network_failed             Connexion Wi-Fi impossible           Wi-Fi connection failed
network_no_wifi            Pas de Wi-Fi sur ce boîtier           No Wi-Fi on this box
=========================  ===================================  ===========================
"""

from __future__ import annotations

__all__ = ["DEVICE_ACTIVATED", "DEVICE_FAILED", "DEVICE_TYPE_ETHERNET", "DEVICE_TYPE_WIFI",
           "ACTIVE_ACTIVATED", "ACTIVE_DEACTIVATED", "NETWORK_FAILED", "NETWORK_NOT_FOUND",
           "NETWORK_NO_WIFI", "NETWORK_TIMEOUT", "NETWORK_WRONG_PASSWORD", "REASON_NO_SECRETS",
           "REASON_SSID_NOT_FOUND", "REASON_SUPPLICANT_TIMEOUT", "WORDS_BY_CODE", "failure_code"]

NETWORK_WRONG_PASSWORD = "network_wrong_password"
NETWORK_NOT_FOUND = "network_not_found"
NETWORK_TIMEOUT = "network_timeout"
NETWORK_FAILED = "network_failed"
NETWORK_NO_WIFI = "network_no_wifi"

#: code -> (French, English): the lead moves them to the error catalogue.
WORDS_BY_CODE: dict[str, tuple[str, str]] = {
    NETWORK_WRONG_PASSWORD: ("Mot de passe Wi-Fi refusé", "Wi-Fi password refused"),
    NETWORK_NOT_FOUND: ("Réseau Wi-Fi introuvable", "Wi-Fi network not found"),
    NETWORK_TIMEOUT: ("Wi-Fi : pas de connexion à temps", "Wi-Fi: no connection in time"),
    NETWORK_FAILED: ("Connexion Wi-Fi impossible", "Wi-Fi connection failed"),
    NETWORK_NO_WIFI: ("Pas de Wi-Fi sur ce boîtier", "No Wi-Fi on this box"),
}

# NMDeviceStateReason
REASON_NO_SECRETS = 7
REASON_SUPPLICANT_TIMEOUT = 11
REASON_SSID_NOT_FOUND = 53
# NMDeviceType
DEVICE_TYPE_ETHERNET = 1
DEVICE_TYPE_WIFI = 2
# NMDeviceState
DEVICE_ACTIVATED = 100
DEVICE_FAILED = 120
# NMActiveConnectionState
ACTIVE_ACTIVATED = 2
ACTIVE_DEACTIVATED = 4

_CODES = {REASON_NO_SECRETS: NETWORK_WRONG_PASSWORD,
          REASON_SUPPLICANT_TIMEOUT: NETWORK_WRONG_PASSWORD,
          REASON_SSID_NOT_FOUND: NETWORK_NOT_FOUND}


def failure_code(reason: int) -> str:
    """The box's code for a device that failed with ``reason`` (an NMDeviceStateReason)."""
    return _CODES.get(reason, NETWORK_FAILED)
