"""The box's network, as the daemon says it (``network`` in its status).

``borne doctor`` prints it (``network_link``): a network service off is not a problem, nor
one without NetworkManager here (the ``network`` device check says that); no network at all,
or a Wi-Fi signal too weak to rely on, are warnings with what to do. An SSID is whatever a phone or an access point sent: it is printed escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .check import Check

__all__ = ["NAME", "WEAK_SIGNAL", "check_network"]

#: The check's name: "network" is the device check (NetworkManager reached or not).
NAME = "network_link"

#: Below this signal (%), a Wi-Fi link drops requests now and then: say so.
WEAK_SIGNAL = 25


def _safe(text: object) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(text))


def check_network(status: Mapping[str, Any] | None) -> Check | None:
    """One check from the daemon's network status (None: off, or a daemon too old)."""
    state = status.get("state") if status is not None else None
    if state in (None, "off", "unavailable"):
        return None  # NetworkManager unreachable: the "network" device check says so and why
    pending = status.get("pending_ssid")
    wait_fr = f" ; code Wi-Fi « {_safe(pending)} » en attente du bouton" if pending else ""
    wait_en = f"; Wi-Fi code \"{_safe(pending)}\" waiting for the button" if pending else ""
    if state == "offline":
        return Check(NAME, "warn", f"aucun réseau : ni câble ni Wi-Fi{wait_fr}",
                     f"no network: no cable, no Wi-Fi{wait_en}",
                     "branchez le câble, ou montrez le code Wi-Fi du téléphone à la caméra "
                     "puis appuyez sur le bouton",
                     "plug the cable in, or show the phone's Wi-Fi code to the camera, then "
                     "press the button", code="network_offline")
    address = _safe(status.get("address") or "?")
    if state == "ethernet":
        return Check(NAME, "ok", f"câble Ethernet, adresse {address}{wait_fr}",
                     f"Ethernet cable, address {address}{wait_en}")
    ssid, signal = _safe(status.get("ssid") or "?"), status.get("signal")
    level_fr = f" (signal {signal} %)" if signal is not None else ""
    level_en = f" (signal {signal}%)" if signal is not None else ""
    detail_fr = f"Wi-Fi « {ssid} »{level_fr}, adresse {address}{wait_fr}"
    detail_en = f"Wi-Fi \"{ssid}\"{level_en}, address {address}{wait_en}"
    if signal is not None and signal < WEAK_SIGNAL:
        return Check(NAME, "warn", detail_fr, detail_en,
                     "rapprochez la borne du point d'accès, ou branchez un câble",
                     "move the box closer to the access point, or plug a cable in",
                     code="network_weak_signal")
    return Check(NAME, "ok", detail_fr, detail_en)
