"""The NetworkManager connection profile of one Wi-Fi network (pure: no D-Bus here).

The settings are NM's D-Bus settings (``a{sa{sv}}``,
https://networkmanager.dev/docs/api/latest/nm-settings-dbus.html), given here as
``{section: {key: (D-Bus signature, value)}}`` so this module needs no D-Bus library;
:mod:`borne.network.nm_client` wraps them in variants.

- One profile per SSID, named ``borne-wifi-<ssid>``, ``autoconnect`` on (the box rejoins
  after a reboot), ``autoconnect-priority`` the box's order among known networks (NM
  prefers the higher one in range).
- **Ethernet first**: ``ipv4.route-metric``/``ipv6.route-metric`` 600. NM's default metric
  depends on the device type, 100 for Ethernet and 600 for Wi-Fi (``route-metric`` -1, "the
  default value", in nm-settings; NetworkManager's ``nm_device_get_route_metric_default``):
  writing 600 keeps Wi-Fi behind a plugged cable even where ``NetworkManager.conf`` changes
  the defaults. The box never writes a wired profile.
- The PSK goes to NM once, in ``802-11-wireless-security.psk``; NM keeps it (root-only, in
  ``/etc/NetworkManager/system-connections``) and the box never reads it back.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KEY_MANAGEMENTS", "PRIORITY_MAX", "PRIORITY_MIN", "PROFILE_PREFIX", "WIFI_ROUTE_METRIC", "Settings", "profile_name",
           "wifi_profile"]

PROFILE_PREFIX = "borne-wifi-"
#: NM's own default for Wi-Fi (Ethernet's is 100): lower wins, so a cable stays first.
WIFI_ROUTE_METRIC = 600
#: ``802-11-wireless-security.key-mgmt`` values the box writes ("none": an open network).
KEY_MANAGEMENTS = ("none", "wpa-psk", "sae")
_SSID_MAX_BYTES = 32
#: ``connection.autoconnect-priority``'s range (nm-settings-dbus); higher is preferred.
PRIORITY_MIN, PRIORITY_MAX = -999, 999

#: ``{section: {key: (signature, value)}}``
Settings = dict[str, dict[str, tuple[str, Any]]]


def profile_name(ssid: str) -> str:
    """The ``connection.id`` of the box's profile for ``ssid``."""
    return PROFILE_PREFIX + ssid


def wifi_profile(ssid: str, password: str | None, key_mgmt: str, *, hidden: bool,
                 priority: int, uuid: str) -> Settings:
    """The settings of the profile for ``ssid``. ``ValueError`` (never naming the password)
    if the SSID is empty or over 32 bytes, the priority outside -999..999, ``key_mgmt``
    unknown, or the password missing for a secured network or given for an open one."""
    raw = ssid.encode("utf-8")
    if not 1 <= len(raw) <= _SSID_MAX_BYTES:
        raise ValueError(f"an SSID is 1 to {_SSID_MAX_BYTES} bytes, not {len(raw)}")
    if not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise ValueError(f"a priority is {PRIORITY_MIN}..{PRIORITY_MAX}, not {priority}")
    if key_mgmt not in KEY_MANAGEMENTS:
        raise ValueError(f"key management {key_mgmt!r} is not one the box writes")
    if (key_mgmt == "none") != (password is None):
        raise ValueError("an open network takes no password; a secured one needs one")
    wireless: dict[str, tuple[str, Any]] = {"ssid": ("ay", raw), "mode": ("s", "infrastructure"),
                                            "hidden": ("b", hidden)}
    settings: Settings = {
        "connection": {"id": ("s", profile_name(ssid)), "uuid": ("s", uuid),
                       "type": ("s", "802-11-wireless"), "autoconnect": ("b", True),
                       "autoconnect-priority": ("i", priority)},
        "802-11-wireless": wireless,
        "ipv4": {"method": ("s", "auto"), "route-metric": ("x", WIFI_ROUTE_METRIC)},
        "ipv6": {"method": ("s", "auto"), "route-metric": ("x", WIFI_ROUTE_METRIC)},
    }
    if password is not None:
        settings["802-11-wireless-security"] = {"key-mgmt": ("s", key_mgmt),
                                                "psk": ("s", password)}
    return settings
