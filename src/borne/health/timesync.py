"""Clock synchronisation, as the kernel reports it.

The sync state itself comes from :func:`borne.runtime.clock.kernel_clock_synchronised`
(``adjtimex(2)``: ``TIME_ERROR`` / ``STA_UNSYNC`` until an NTP client such as
systemd-timesyncd has disciplined the clock; see ``man 2 adjtimex``). This
module only turns that answer into words, so it takes it as an argument.
"""

from __future__ import annotations

from .check import Check

__all__ = ["check_clock"]


def check_clock(synchronised: bool, wall_iso: str, source: str | None = None) -> Check:
    """Warn while the wall clock is not synchronised (a Raspberry Pi has no battery-backed clock).

    ``source`` ``"client"``: the daemon's clock was set by a paired workstation (no NTP).
    """
    if synchronised and source == "client":
        return Check("clock", "ok", f"horloge réglée par le poste appairé, sans NTP ({wall_iso})",
                     f"clock set by the paired workstation, no NTP ({wall_iso})")
    if synchronised:
        return Check("clock", "ok", f"horloge synchronisée ({wall_iso})",
                     f"clock synchronised ({wall_iso})")
    return Check(
        "clock", "warn",
        f"horloge non synchronisée ({wall_iso}) : heures du journal et de l'écran peut-être "
        "fausses, certificats peut-être refusés",
        f"clock not synchronised ({wall_iso}): journal and screen times may be wrong, "
        "certificates may be refused",
        "la borne se met à l'heure par le réseau (NTP) : vérifiez son accès au réseau (UDP 123) ; "
        "timedatectl timesync-status dit où en est la synchronisation",
        "the box sets its clock from the network (NTP): check its network access (UDP 123); "
        "timedatectl timesync-status says how synchronisation is going",
        code="clock_unsynchronised")
