"""``borne doctor``: check what the box needs and say what to fix, in plain words."""

from __future__ import annotations

import grp
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, load_config
from ..errors import BorneError

__all__ = ["Check", "doctor", "run_checks"]


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``status`` is "ok", "warn" or "fail"; ``fix`` says what to do."""

    name: str
    status: str
    detail_fr: str
    detail_en: str
    fix_fr: str = ""
    fix_en: str = ""


def _check_config(path: str | None) -> tuple[Config | None, Check]:
    try:
        config = load_config(path)
    except BorneError as error:
        return None, Check("config", "fail", error.message("fr"), error.message("en"),
                           "corrigez la clé indiquée dans le fichier",
                           "fix the key named in the file")
    where = config.source or "défauts intégrés / built-in defaults"
    return config, Check("config", "ok", f"lue : {where}", f"loaded: {where}")


def _check_pcscd(config: Config) -> list[Check]:
    try:
        from smartcard import scard
    except ImportError as error:
        return [Check("pyscard", "fail", f"pyscard absent ({error})", f"pyscard missing ({error})",
                      "réinstallez borne (pip install pyscard)", "reinstall borne (pip install pyscard)")]
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        why = scard.SCardGetErrorMessage(hresult)
        return [Check("pcscd", "fail", f"pcscd ne répond pas ({why})", f"pcscd does not answer ({why})",
                      "apt-get install pcscd puis systemctl start pcscd",
                      "apt-get install pcscd, then systemctl start pcscd")]
    try:
        hresult, readers = scard.SCardListReaders(context, [])
    finally:
        scard.SCardReleaseContext(context)
    readers = list(readers) if hresult == scard.SCARD_S_SUCCESS else []
    checks = [Check("pcscd", "ok", "pcscd répond", "pcscd answers")]
    if readers:
        names = ", ".join(readers)
        checks.append(Check("readers", "ok", f"{len(readers)} lecteur(s) : {names}",
                            f"{len(readers)} reader(s): {names}"))
    else:
        checks.append(Check("readers", "warn", "aucun lecteur de cartes", "no card reader",
                            "branchez un lecteur PC/SC (CCID) ; vérifiez `lsusb`",
                            "plug in a PC/SC (CCID) reader; check `lsusb`"))
    return checks


def _check_data_dir(config: Config) -> Check:
    path = Path(config.daemon.data_dir)
    if not path.exists():
        return Check("data_dir", "warn", f"{path} n'existe pas encore", f"{path} does not exist yet",
                     f"créé au démarrage ; ou : install -d -m 0700 -o borne {path}",
                     f"created at start; or: install -d -m 0700 -o borne {path}")
    if not os.access(path, os.W_OK):
        return Check("data_dir", "fail", f"{path} n'est pas accessible en écriture",
                     f"{path} is not writable", f"chown borne {path}", f"chown borne {path}")
    free_mb = shutil.disk_usage(path).free // (1024 * 1024)
    if free_mb < 50:
        return Check("data_dir", "fail", f"{path} : plus que {free_mb} Mo libres",
                     f"{path}: only {free_mb} MB free", "libérez de la place sur la partition de données",
                     "free space on the data partition")
    return Check("data_dir", "ok", f"{path} : {free_mb} Mo libres", f"{path}: {free_mb} MB free")


def _check_daemon(config: Config) -> Check:
    from ..control.client import call

    try:
        call(config.control_socket, "ping", timeout=3.0)
    except BorneError as error:
        return Check("daemon", "warn", f"le service ne répond pas ({error.code})",
                     f"the daemon does not answer ({error.code})",
                     "systemctl start borne (ou : borne serve)", "systemctl start borne (or: borne serve)")
    return Check("daemon", "ok", f"le service répond sur {config.control_socket}",
                 f"the daemon answers on {config.control_socket}")


def _check_group(config: Config) -> Check:
    try:
        grp.getgrnam(config.control.group)
    except KeyError:
        return Check("group", "warn", f"groupe {config.control.group} absent : seul root pilote la borne",
                     f"group {config.control.group} missing: only root can drive the box",
                     f"groupadd --system {config.control.group}", f"groupadd --system {config.control.group}")
    return Check("group", "ok", f"groupe {config.control.group} présent",
                 f"group {config.control.group} exists")


def run_checks(config_path: str | None) -> list[Check]:
    """Every check, in the order a person would fix things."""
    config, first = _check_config(config_path)
    checks = [first]
    if config is None:
        return checks
    checks += _check_pcscd(config)
    checks.append(_check_data_dir(config))
    checks.append(_check_group(config))
    checks.append(_check_daemon(config))
    return checks


def doctor(config_path: str | None, *, language: str) -> int:
    """Print every check; exit 1 if any failed."""
    checks = run_checks(config_path)
    for check in checks:
        detail = check.detail_en if language == "en" else check.detail_fr
        fix = check.fix_en if language == "en" else check.fix_fr
        mark = {"ok": "OK", "warn": "WARN" if language == "en" else "ATTENTION",
                "fail": "FAIL" if language == "en" else "ÉCHEC"}[check.status]
        print(f"[{mark:9}] {check.name:9} {detail}")
        if fix and check.status != "ok":
            print(f"{'':22}-> {fix}")
    return 1 if any(c.status == "fail" for c in checks) else 0
