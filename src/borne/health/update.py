"""The system's version, its booted slot and where an update stands, as the daemon says it.

Judged from the daemon's update status (``update`` in the control socket's ``status``,
:class:`borne.update.state.UpdateStatus`): ``borne doctor`` prints it. A box without
RAUC (the simulator, a development machine) is ``not_configured``, not a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .check import Check

__all__ = ["check_update"]


def check_update(status: Mapping[str, Any] | None) -> Check | None:
    """One check from the daemon's update status (None: a daemon too old to say)."""
    if status is None:
        return None
    state = status.get("state")
    if state == "unavailable":
        return Check("update", "ok", "mises à jour indisponibles sur cette borne (pas de RAUC)",
                     "updates unavailable on this box (no RAUC)", code="not_configured")
    where_fr = (f"système {status.get('system_version') or '?'}, "
                f"emplacement {status.get('booted_slot') or '?'}")
    where_en = (f"system {status.get('system_version') or '?'}, "
                f"slot {status.get('booted_slot') or '?'}")
    if state == "trial":
        return Check("update", "warn", f"{where_fr} : à l'essai, pas encore validé",
                     f"{where_en}: on trial, not committed yet",
                     "attendez borne-update-commit (journalctl -u borne-update-commit)",
                     "wait for borne-update-commit (journalctl -u borne-update-commit)",
                     code="update_trial")
    if state == "rolled_back":
        return Check("update", "warn", f"{where_fr} : la mise à jour a été annulée au démarrage",
                     f"{where_en}: the update was rolled back at boot",
                     "journalctl -u borne-update-commit dit pourquoi ; corrigez puis réinstallez",
                     "journalctl -u borne-update-commit says why; fix it, then install again",
                     code="update_rolled_back")
    if state == "failed":
        error = status.get("last_error") or "update_failed"
        return Check("update", "warn", f"{where_fr} : échec de la dernière installation ({error})",
                     f"{where_en}: the last install failed ({error})",
                     "journalctl -u borne dit pourquoi ; réessayez avec un paquet signé",
                     "journalctl -u borne says why; try again with a signed bundle",
                     code="update_error")
    held = status.get("reboot_held_by") or []
    if held:
        return Check("update", "ok", f"{where_fr} ; {status.get('pending_version')} installée, "
                     f"redémarrage retenu par : {', '.join(held)}",
                     f"{where_en}; {status.get('pending_version')} installed, reboot held by: "
                     f"{', '.join(held)}")
    return Check("update", "ok", f"{where_fr} ; mise à jour : {state}",
                 f"{where_en}; update: {state}")
