"""The devices the daemon drives, judged from the states their backends report.

The daemon already knows each device's state (``core.devices``: ``available``,
``unavailable`` when it is absent or unplugged and retried, ``error`` when it
failed); these checks only put words and a fix on it, so computing them costs
nothing on the event loop (no call to pcscd, no device opened).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..error_catalogue import MESSAGES
from .check import Check
from .pcscd import readers_check

__all__ = ["configured_devices", "device_checks"]

_RESTART_FR = ("redémarrez le service (systemctl restart borne) ; si l'erreur revient : "
               "journalctl -u borne")
_RESTART_EN = ("restart the daemon (systemctl restart borne); if the error comes back: "
               "journalctl -u borne")

@dataclass(frozen=True)
class _Words:
    """How a device is named, and what to do when it is missing or failing."""

    label_fr: str
    label_en: str
    #: "prêt", "prête", "prêts": French agrees with the device's name.
    ready_fr: str
    setting: str
    gone_fr: str
    gone_en: str
    broken_fr: str = _RESTART_FR
    broken_en: str = _RESTART_EN


_MOUNTED_FR = ("vérifiez que la partition de données est montée et appartient à borne "
               "(findmnt -T /var/lib/borne ; chown -R borne: /var/lib/borne)")
_MOUNTED_EN = ("check that the data partition is mounted and owned by borne "
               "(findmnt -T /var/lib/borne; chown -R borne: /var/lib/borne)")
_WHY_FR = "journalctl -u borne dit pourquoi (port 8443 déjà pris ? certificats illisibles ?)"
_WHY_EN = "journalctl -u borne says why (port 8443 already taken? unreadable certificates?)"
_PINS_FR = "vérifiez le réglage [panel] (pins, numéros de broches BCM) et le câblage"
_PINS_EN = "check the [panel] setting (pins, BCM pin numbers) and the wiring"

_DEVICES: dict[str, _Words] = {
    "camera": _Words(
        "caméra QR", "QR camera", "prête", "[readers] camera",
        "vérifiez la nappe (ou le câble USB) de la caméra et le réglage [readers] camera ; "
        "rpicam-hello --list-cameras doit la lister",
        "check the camera's ribbon (or USB) cable and the [readers] camera setting; "
        "rpicam-hello --list-cameras must list it"),
    "scanner": _Words(
        "douchette USB", "USB scanner", "prête", "[readers] scanner",
        "branchez la douchette ; vérifiez le réglage [readers] scanner "
        "(evdev:/dev/input/by-id/...)",
        "plug the scanner in; check the [readers] scanner setting (evdev:/dev/input/by-id/...)"),
    "nfc": _Words(
        "lecteur NFC", "NFC reader", "prêt", "[readers] nfc",
        "branchez le lecteur NFC (lsusb doit le lister) ; s'il l'est, un module du noyau "
        "(pn533_usb, port100) le retient peut-être : python -m nfc (nfcpy) le dit",
        "plug the NFC reader in (lsusb must list it); if it is, a kernel module (pn533_usb, "
        "port100) may be holding it: python -m nfc (nfcpy) tells",
        "nfcpy est absent ou en panne : réinstallez borne ; journalctl -u borne",
        "nfcpy is missing or failing: reinstall borne; journalctl -u borne"),
    "display": _Words(
        "écran", "screen", "prêt", "[display] device",
        "vérifiez le câblage de l'écran et que l'I2C est activé (raspi-config) : i2cdetect -y 1 "
        "doit montrer son adresse (souvent 3c) ; réglage [display] device",
        "check the screen's wiring and that I2C is enabled (raspi-config): i2cdetect -y 1 must "
        "show its address (often 3c); setting [display] device",
        "vérifiez le câblage de l'écran (I2C/SPI) ; " + _RESTART_FR,
        "check the screen's wiring (I2C/SPI); " + _RESTART_EN),
    "panel": _Words("bouton, voyant et buzzer", "button, LED and buzzer", "prêts", "[panel] pins",
                    _PINS_FR, _PINS_EN, _PINS_FR, _PINS_EN),
    "api": _Words("API HTTPS", "HTTPS API", "prête", "[api] enabled", _WHY_FR, _WHY_EN,
                  _WHY_FR, _WHY_EN),
    "storage": _Words("dossier de données", "data directory", "prêt", "[daemon] data_dir",
                      _MOUNTED_FR, _MOUNTED_EN, _MOUNTED_FR, _MOUNTED_EN),
    "journal": _Words(
        "journal hors ligne", "offline journal", "prêt", "[journal] enabled",
        "vérifiez la partition de données (borne doctor : disk) ; un journal abîmé est mis de "
        "côté intact (journal.db.corrupt-*) et un neuf commencé",
        "check the data partition (borne doctor: disk); a damaged journal is set aside intact "
        "(journal.db.corrupt-*) and a fresh one started",
        "la partition de données est pleine ou illisible : faites collecter les lectures par le "
        "logiciel de facturation (borne client journal), puis libérez de la place",
        "the data partition is full or unreadable: have the billing software collect the reads "
        "(borne client journal), then free some space"),
    "mdns": _Words("annonce sur le réseau (mDNS)", "network announcement (mDNS)", "prête",
                   "[mdns] enabled",
                   "reliez la borne au réseau (Wi-Fi, partage de connexion) et vérifiez le réglage "
                   "[mdns] interfaces ; en attendant, saisissez l'adresse de la borne dans le logiciel",
                   "connect the box to the network (Wi-Fi, hotspot) and check the [mdns] interfaces "
                   "setting; meanwhile, type the box's address into the billing software"),
}
#: Devices that report a state only when something is wrong (the GPIO panel), or
#: always before the daemon is ready (pcsc, api, storage): no state is no news.
_SILENT_WHEN_WELL = {"pcsc", "panel", "api", "storage", "mdns", "journal"}
#: Reported by their own checks: ``config`` (the daemon fell back to its defaults) and
#: ``battery`` (borne.health.battery, which also judges the level).
_NOT_A_DEVICE = {"config", "battery"}


def configured_devices(config: Any) -> dict[str, bool]:
    """Which devices ``config`` (a :class:`~borne.config.Config`) asks the daemon to drive."""
    readers = config.readers
    return {"pcsc": True, "camera": readers.camera != "none", "scanner": readers.scanner != "none",
            "nfc": readers.nfc != "none", "display": config.display.device != "none",
            "panel": config.panel.pins != "none", "api": bool(config.api.enabled), "storage": True,
            "journal": bool(config.journal.enabled)}


#: A device's detail that is the same in both languages: the API's port.
_SAME_IN_BOTH = re.compile(r"port \d+")


def _with(detail: str | None) -> tuple[str, str]:
    """A device's detail for the French and the English check: the words of a stable code in
    each language; an English sentence (a device's state is the log's) in the English one
    only, so that the French check is French throughout."""
    if not detail:
        return "", ""
    if _SAME_IN_BOTH.fullmatch(detail):
        return f" ({detail})", f" ({detail})"
    words = MESSAGES.get(detail)
    if words is not None:
        return f" ({words.fr})", f" ({words.en})"
    return "", f" ({detail})"


def _pcsc_checks(state: Mapping[str, Any] | None, slots: int | None) -> list[Check]:
    if state is None:
        return []
    detail_fr, detail_en = _with(state.get("detail"))
    if state.get("state") == "unavailable":
        return [Check("pcscd", "fail", f"le service ne joint pas pcscd{detail_fr}",
                      f"the daemon cannot reach pcscd{detail_en}",
                      "systemctl restart pcscd (apt-get install pcscd s'il manque)",
                      "systemctl restart pcscd (apt-get install pcscd if it is missing)",
                      code="pcscd_down")]
    if state.get("state") != "available":
        return [Check("pcscd", "fail", f"lecture des cartes en panne{detail_fr}",
                      f"card reading failed{detail_en}", _RESTART_FR, _RESTART_EN,
                      code="pcsc_error")]
    checks = [Check("pcscd", "ok", "pcscd répond au service", "pcscd answers the daemon")]
    if slots is not None:
        checks.append(readers_check(slots))
    return checks


def _device_check(device: str, state: Mapping[str, Any] | None, configured: bool) -> Check | None:
    known = device in _DEVICES
    words = _DEVICES.get(device) or _Words(device, device, "prêt", "", _RESTART_FR, _RESTART_EN)
    label_fr, label_en = words.label_fr, words.label_en
    # A device with a state is driven, whatever ``configured`` says (the doctor reads a
    # config file the daemon may not have started with).
    if not configured and state is None:
        return Check(device, "ok", f"{label_fr} : pas dans la configuration ({words.setting})",
                     f"{label_en}: not in the configuration ({words.setting})", code="not_configured")
    if state is None:
        if device in _SILENT_WHEN_WELL or not known:
            return None
        return Check(device, "warn", f"{label_fr} : pas encore d'état (démarrage en cours ?)",
                     f"{label_en}: no state yet (still starting?)", _RESTART_FR, _RESTART_EN,
                     code=f"{device}_starting")
    current, (detail_fr, detail_en) = state.get("state"), _with(state.get("detail"))
    if device == "storage" and current == "full":
        return Check(device, "fail",
                     f"lectures refusées : la partition de données est pleine{detail_fr}",
                     f"reads refused: the data partition is full{detail_en}",
                     "libérez de la place (journalctl --vacuum-size, du -xsh /var/lib/borne/*)",
                     "free some space (journalctl --vacuum-size, du -xsh /var/lib/borne/*)",
                     code="storage_full")
    if current in ("available", "partial"):
        return Check(device, "ok", f"{label_fr} {words.ready_fr}{detail_fr}",
                     f"{label_en} ready{detail_en}")
    if current == "unavailable" and device not in ("api", "storage"):
        return Check(device, "fail", f"{label_fr} indisponible{detail_fr}",
                     f"{label_en} unavailable{detail_en}", words.gone_fr, words.gone_en,
                     code=f"{device}_unavailable" if known else "device_unavailable")
    return Check(device, "fail", f"{label_fr} en erreur{detail_fr}", f"{label_en} failed{detail_en}",
                 words.broken_fr, words.broken_en,
                 code=f"{device}_error" if known else "device_error")


def device_checks(devices: Mapping[str, Mapping[str, Any]], configured: Mapping[str, bool], *,
                  slots: int | None) -> list[Check]:
    """One check per device, from the daemon's ``devices`` states (``core.devices``).

    ``configured`` comes from :func:`configured_devices`; ``slots`` is the number
    of reader slots the daemon sees (None: do not judge the readers).
    """
    checks = _pcsc_checks(devices.get("pcsc"), slots) if configured.get("pcsc", True) else []
    others = [d for d in _DEVICES if d != "pcsc"]
    others += sorted(set(devices) - set(others) - _NOT_A_DEVICE - {"pcsc"})
    for device in others:
        check = _device_check(device, devices.get(device), configured.get(device, True))
        if check is not None:
            checks.append(check)
    return checks
