"""The box as a USB smart-card reader, as the daemon says it (``usb`` in its status).

``borne doctor`` prints it: off is not a problem; a reader configured on a board
without a USB device port, or whose gadget was not set up, is a warning with what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .check import Check

__all__ = ["check_usb"]


def check_usb(status: Mapping[str, Any] | None) -> Check | None:
    """One check from the daemon's USB reader status (None: off, or a daemon too old)."""
    if status is None or status.get("mode") == "off":
        return None
    state, detail = status.get("state"), status.get("detail") or "?"
    name = status.get("reader_name") or "?"
    if state == "unsupported":
        return Check("usb", "warn", f"lecteur USB « {name} » : pas de port USB esclave ({detail})",
                     f"USB reader \"{name}\": no USB device port ({detail})",
                     "Pi Zero 2 W, 4, 5 ou CM4 ; systemctl status borne-usb-gadget",
                     "Pi Zero 2 W, 4, 5 or CM4; systemctl status borne-usb-gadget",
                     code="usb_unsupported")
    if state == "error":
        return Check("usb", "fail", f"lecteur USB « {name} » : {detail}",
                     f"USB reader \"{name}\": {detail}",
                     "journalctl -u borne dit pourquoi", "journalctl -u borne says why",
                     code="usb_error")
    using = status.get("host_using") or []
    if state == "host_connected":
        in_use_fr = f", lecteurs utilisés : {', '.join(map(str, using))}" if using else ""
        in_use_en = f", slots in use: {', '.join(map(str, using))}" if using else ""
        return Check("usb", "ok", f"lecteur USB « {name} » : poste branché{in_use_fr}",
                     f"USB reader \"{name}\": workstation connected{in_use_en}")
    return Check("usb", "ok", f"lecteur USB « {name} » : prêt, aucun poste branché",
                 f"USB reader \"{name}\": ready, no workstation connected")
