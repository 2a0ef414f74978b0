"""``borne pair ...``, ``borne clients ...`` and ``borne mode``: on the box, through the control socket.

Being able to use the control socket (root or the ``borne`` group) counts as
physical presence at the box: that is what allows opening pairing or revoking.
"""

from __future__ import annotations

import argparse
import sys

from ..config import load_config_for_tools
from ..control.client import call

__all__ = ["box_admin"]

_WORDS = {
    "fr": {"code": "Code d'appairage : {code}  (valable {s} s)",
           "hint": "Sur le poste : borne client pair --box https://<borne>:8443 --code {code} --name <nom> --dir <dossier>",
           "none": "Aucun poste appairé.", "revoked": "Poste {id} révoqué ({n} flux fermés).",
           "closed": "Fenêtre d'appairage fermée.", "yes": "oui", "no": "non",
           "mode": "Mode : {mode}",
           "no_admin": "Attention : plus aucun poste administrateur. Pour en appairer un : "
                       "borne pair open --admin"},
    "en": {"code": "Pairing code: {code}  (valid {s} s)",
           "hint": "On the workstation: borne client pair --box https://<box>:8443 --code {code} --name <name> --dir <folder>",
           "none": "No paired workstation.", "revoked": "Workstation {id} revoked ({n} streams closed).",
           "closed": "Pairing window closed.", "yes": "yes", "no": "no",
           "mode": "Mode: {mode}",
           "no_admin": "Warning: no admin workstation is left. To pair one: "
                       "borne pair open --admin"},
}


def box_admin(args: argparse.Namespace, *, language: str) -> int:
    """Run a pairing or client-management command against the running daemon."""
    words = _WORDS.get(language, _WORDS["fr"])
    socket = load_config_for_tools(args.config).control_socket
    if args.command == "mode":
        result = call(socket, "mode", {"mode": args.mode})
        print(words["mode"].format(mode=result["mode"]))
        return 0
    if args.command == "pair":
        if args.pair_command == "open":
            result = call(socket, "pair_open", {"admin": args.admin})
            print(words["code"].format(code=result["code"], s=result["expires_in_s"]))
            print(words["hint"].format(code=result["code"]))
        else:
            call(socket, "pair_close")
            print(words["closed"])
        return 0
    if args.clients_command == "revoke":
        result = call(socket, "revoke", {"client_id": args.client_id})
        print(words["revoked"].format(id=result["client_id"], n=result["streams_closed"]))
        if result.get("admin") and result.get("admins_left") == 0:
            print(words["no_admin"], file=sys.stderr)
        return 0
    rows = call(socket, "clients")
    if not rows:
        print(words["none"])
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row.get("revoked_at") else "active"
        admin = " admin" if row.get("admin") else ""
        print(f"{row['client_id']:<16} {row['name']:<32} {state}{admin}")
    return 0
