"""Certificate expiry: the box's CA, its HTTPS server certificate, and paired workstations'.

The box's own files live in the data directory (``ca.crt``, ``server.crt``: see
:mod:`borne.secure_channel.ca`). The server certificate renews itself 30 days
before its end (at start and every 12 hours); the CA never does, because every
paired workstation pins it. A certificate that is "not yet valid" almost always
means the box's clock is behind (a Raspberry Pi has no battery-backed clock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .check import Check

__all__ = ["CertificateFiles", "check_certificate", "check_client_certs"]

#: What each of the box's certificates is called, and what to do when it is wrong.
_ROLES: dict[str, dict[str, str]] = {
    "ca": {
        "name": "ca_cert",
        "label_fr": "l'autorité de certification de la borne",
        "label_en": "the box's certificate authority",
        "renew_fr": "arrêtez borne, supprimez ca.key et ca.crt dans {dir}, redémarrez-le, puis "
                    "appairez à nouveau chaque poste (borne pair open)",
        "renew_en": "stop borne, remove ca.key and ca.crt from {dir}, start it again, then pair "
                    "every workstation again (borne pair open)",
        "invalid_fr": "restaurez ca.crt depuis une sauvegarde ; sinon " ,
        "invalid_en": "restore ca.crt from a backup; otherwise ",
    },
    "server": {
        "name": "server_cert",
        "label_fr": "le certificat HTTPS de la borne",
        "label_en": "the box's HTTPS certificate",
        "renew_fr": "redémarrez le service, qui en émet un nouveau (systemctl restart borne) ; "
                    "si le problème reste : journalctl -u borne",
        "renew_en": "restart the daemon, which issues a new one (systemctl restart borne); "
                    "if it stays: journalctl -u borne",
        "invalid_fr": "supprimez server.crt et server.key dans {dir} puis ",
        "invalid_en": "remove server.crt and server.key from {dir}, then ",
    },
}
_CLOCK_FR = ("l'horloge de la borne est en retard : vérifiez son accès au réseau (NTP) ; "
             "timedatectl timesync-status")
_CLOCK_EN = ("the box's clock is behind: check its network access (NTP); "
             "timedatectl timesync-status")

Loader = Callable[[Path], Any]


def _load(path: Path) -> Any:
    from cryptography import x509  # late: `borne doctor` without certificates does not need it

    return x509.load_pem_x509_certificate(path.read_bytes())


class CertificateFiles:
    """Loads certificates, parsing a file again only when it changed (the daemon asks often)."""

    def __init__(self) -> None:
        self._seen: dict[Path, tuple[tuple[int, int, int], Any]] = {}

    def __call__(self, path: Path) -> Any:
        stat = path.stat()  # FileNotFoundError, PermissionError: the caller reports them
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        known = self._seen.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        certificate = _load(path)
        self._seen[path] = (signature, certificate)
        return certificate


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def check_certificate(path: Path, role: str, *, now: datetime, warn_days: int,
                      load: Loader = _load) -> Check:
    """Whether the box's ``role`` certificate ("ca" or "server") at ``path`` is valid now.

    ``now`` is an aware UTC datetime. Warns ``warn_days`` before the end; fails
    once expired or while not yet valid. A file not created yet is fine: the
    daemon creates both when its API first starts.
    """
    words = _ROLES[role]
    name, label_fr, label_en = words["name"], words["label_fr"], words["label_en"]
    folder = str(path.parent)
    renew_fr, renew_en = words["renew_fr"].format(dir=folder), words["renew_en"].format(dir=folder)
    try:
        certificate = load(path)
    except FileNotFoundError:
        return Check(name, "ok", f"{label_fr} : pas encore créé (il l'est au démarrage de l'API)",
                     f"{label_en}: not created yet (it is when the API starts)",
                     code="cert_not_created")
    except PermissionError:
        return Check(name, "warn", f"{path} illisible pour cet utilisateur",
                     f"{path} is not readable by this user",
                     "lancez borne doctor en root (sudo borne doctor)",
                     "run borne doctor as root (sudo borne doctor)", code="cert_unreadable")
    except (OSError, ValueError) as error:
        return Check(name, "fail", f"{path} n'est pas un certificat lisible ({type(error).__name__})",
                     f"{path} is not a readable certificate ({type(error).__name__})",
                     words["invalid_fr"].format(dir=folder) + renew_fr,
                     words["invalid_en"].format(dir=folder) + renew_en, code="cert_invalid")
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if now < start:
        return Check(name, "fail", f"{label_fr} n'est valable qu'à partir du {_day(start)}",
                     f"{label_en} is only valid from {_day(start)}", _CLOCK_FR, _CLOCK_EN,
                     code="cert_not_yet_valid")
    left = (end - now).days
    if now >= end:
        return Check(name, "fail", f"{label_fr} a expiré le {_day(end)}",
                     f"{label_en} expired on {_day(end)}", renew_fr, renew_en, code="cert_expired")
    if left < warn_days:
        return Check(name, "warn", f"{label_fr} expire dans {left} jour(s), le {_day(end)}",
                     f"{label_en} expires in {left} day(s), on {_day(end)}", renew_fr, renew_en,
                     code="cert_expiring")
    return Check(name, "ok", f"{label_fr} : valable jusqu'au {_day(end)} ({left} jours)",
                 f"{label_en}: valid until {_day(end)} ({left} days)")


def check_client_certs(records: Iterable[Any], *, now: datetime, warn_days: int) -> Check:
    """Paired workstations whose certificate expires soon or has expired (revoked ones aside).

    ``records`` are :class:`~borne.secure_channel.clients.ClientRecord` or their
    ``to_dict()`` (what the control socket's ``clients`` call returns).
    """
    expired: list[str] = []
    expiring: list[tuple[int, str]] = []
    active = 0
    for record in records:
        get = record.get if isinstance(record, dict) else (lambda key, r=record: getattr(r, key))
        if get("revoked_at"):
            continue
        active += 1
        end = datetime.fromisoformat(get("not_after"))
        if end <= now:
            expired.append(get("name"))
        elif (end - now).days < warn_days:
            expiring.append(((end - now).days, get("name")))
    fix_fr = ("appairez ce(s) poste(s) à nouveau : borne pair open sur la borne, puis "
              "borne client pair sur le poste")
    fix_en = ("pair the workstation(s) again: borne pair open on the box, then borne client pair "
              "on the workstation")
    if expired:
        names = ", ".join(f"« {n} »" for n in expired)
        return Check("clients", "warn", f"certificat expiré : {names} ne peut plus se connecter",
                     f"certificate expired: {', '.join(expired)} can no longer connect",
                     fix_fr, fix_en, code="client_cert_expired")
    if expiring:
        days = min(d for d, _ in expiring)
        names = [n for _, n in sorted(expiring)]
        return Check("clients", "warn",
                     f"certificat bientôt expiré ({days} jour(s)) : "
                     + ", ".join(f"« {n} »" for n in names),
                     f"certificate expiring ({days} day(s)): {', '.join(names)}",
                     fix_fr, fix_en, code="client_cert_expiring")
    if not active:
        return Check("clients", "ok", "aucun poste appairé", "no paired workstation")
    return Check("clients", "ok", f"{active} poste(s) appairé(s), certificats valables",
                 f"{active} paired workstation(s), certificates valid")
