"""The battery: its level as the daemon judged it, and whether its board answers.

Judged from what the daemon already keeps (``core.battery``, the ``battery.state``
data, and ``core.devices["battery"]``): nothing is read from the bus here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .check import Check

__all__ = ["check_battery"]

_CHARGE_FR = "branchez le chargeur de la borne"
_CHARGE_EN = "plug the box's charger in"


def check_battery(battery: Mapping[str, Any] | None, device: Mapping[str, Any] | None,
                  configured: bool) -> Check | None:
    """One check, or None for a box with no battery (not configured, nothing reported)."""
    if battery is None and device is None:
        return None if not configured else Check(
            "battery", "ok", "batterie : pas encore de mesure", "battery: no reading yet")
    if device is not None and device.get("state") == "error":
        # The device's detail is the log's English sentence: in the English check only.
        detail = f" ({device.get('detail')})" if device.get("detail") else ""
        return Check(
            "battery", "fail", "niveau de batterie illisible",
            f"battery level unreadable{detail}",
            "vérifiez que la carte batterie est bien enfichée et que l'I2C est activé "
            "(raspi-config) : i2cdetect -y 1 doit montrer son adresse (42 sur la carte "
            "Waveshare) ; réglage [battery] device",
            "check that the battery board is seated and I2C is enabled (raspi-config): "
            "i2cdetect -y 1 must show its address (42 on the Waveshare board); setting "
            "[battery] device",
            code="battery_error")
    battery = battery or {}
    percent, state = battery.get("percent"), battery.get("state")
    charging_fr = ", en charge" if battery.get("charging") else ""
    charging_en = ", charging" if battery.get("charging") else ""
    if percent is None:
        return Check("battery", "ok", "batterie : pas encore de mesure",
                     "battery: no reading yet")
    if state == "critical":
        return Check("battery", "fail", f"batterie vide ({percent} %) : la borne s'arrête",
                     f"battery empty ({percent} %): the box is shutting down",
                     _CHARGE_FR + " ; les lectures gardées sont enregistrées avant l'arrêt",
                     _CHARGE_EN + "; the reads it keeps are stored before it stops",
                     code="battery_critical")
    if state == "low" and not battery.get("charging"):
        return Check("battery", "warn", f"batterie faible ({percent} %{charging_fr})",
                     f"battery low ({percent} %{charging_en})",
                     _CHARGE_FR + " bientôt", _CHARGE_EN + " soon", code="battery_low")
    return Check("battery", "ok", f"batterie {percent} %{charging_fr}",
                 f"battery {percent} %{charging_en}")
