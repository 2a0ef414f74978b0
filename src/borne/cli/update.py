"""``borne update ...`` on the box: the update's status, an install from a file, the reboot,
and the commit after a tried boot (``borne-update-commit.service``).

``status``, ``install`` and ``reboot`` go through the running daemon's control socket
(physical presence: the person at the box may allow a downgrade and force a reboot);
``commit`` talks to RAUC itself, since it judges the daemon.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "update_command"]

_WORDS = {
    "fr": {"status": "Système {system_version} (emplacement {booted_slot}) ; mise à jour : {state}",
           "pending": "Version en attente : {pending_version} ({progress} %)",
           "held": "Redémarrage retenu par : {held}",
           "error": "Dernière erreur : {last_error}",
           "accepted": "Paquet {version} vérifié : installation en cours (borne update status)",
           "reboot": "Redémarrage demandé."},
    "en": {"status": "System {system_version} (slot {booted_slot}); update: {state}",
           "pending": "Pending version: {pending_version} ({progress}%)",
           "held": "Reboot held by: {held}",
           "error": "Last error: {last_error}",
           "accepted": "Bundle {version} verified: installing (borne update status)",
           "reboot": "Reboot asked for."},
}


def add_parser(commands: Any) -> None:
    """``borne update status|install|reboot|commit``."""
    update = commands.add_parser("update", help="signed updates (RAUC): status, install, reboot")
    sub = update.add_subparsers(dest="update_command", required=True, metavar="UPDATECOMMAND")
    status = sub.add_parser("status", help="system version, booted slot, the update's state")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    install = sub.add_parser("install", help="check a bundle and install it in the background")
    install.add_argument("bundle", type=Path, help="the .raucb file")
    install.add_argument("--allow-downgrade", action="store_true",
                         help="install an older (or the same) version too")
    reboot = sub.add_parser("reboot", help="reboot into the installed update when nothing "
                                           "holds it (a card read, a lease, an apCV session)")
    reboot.add_argument("--force", action="store_true", help="reboot now, whatever holds it")
    sub.add_parser("commit", help="after a tried boot: mark the system good once the daemon is "
                                  "ready and healthy, else bad, and reboot into the old one")


def _print_status(status: dict[str, Any], words: dict[str, str]) -> None:
    shown = {k: ("?" if v is None else v) for k, v in status.items()}
    print(words["status"].format(**shown))
    if status.get("pending_version"):
        print(words["pending"].format(**shown))
    if status.get("reboot_held_by"):
        print(words["held"].format(held=", ".join(status["reboot_held_by"])))
    if status.get("last_error"):
        print(words["error"].format(**shown))


def update_command(args: argparse.Namespace, *, language: str) -> int:
    """Run ``borne update ...``; 0 on success (``commit``: 1 when the slot was marked bad)."""
    from ..config import load_config_for_tools

    words = _WORDS.get(language, _WORDS["fr"])
    config = load_config_for_tools(args.config)
    if args.update_command == "commit":
        return _commit(args, config)
    from ..control.client import call

    socket = config.control_socket
    if args.update_command == "install":
        result = call(socket, "update_install", {"path": str(args.bundle.resolve()),
                                                 "allow_downgrade": args.allow_downgrade},
                      timeout=120.0)
        print(words["accepted"].format(**result))
        return 0
    if args.update_command == "reboot":
        status = call(socket, "update_reboot", {"force": args.force})
        print(words["reboot"])
        _print_status(status, words)
        return 0
    status = call(socket, "update_status")
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        _print_status(status, words)
    return 0


def _commit(args: argparse.Namespace, config: Any) -> int:
    """0 once decided (committed, or marked bad with the reboot asked for, or not on
    trial); 1 when RAUC could not be asked: the unit's ``FailureAction=reboot`` then
    brings the old slot back."""
    from ..update.commit import commit_after_boot, daemon_ready
    from ..update.reboot_gate import request_reboot_file
    from .doctor import run_checks

    runtime = Path(config.daemon.runtime_dir)
    result = asyncio.run(commit_after_boot(
        address=config.update.dbus_address, deadline_s=config.update.commit_deadline_s,
        ready=lambda: daemon_ready(config.control_socket),
        checks=lambda: run_checks(args.config),
        reboot=lambda: request_reboot_file(runtime, "update commit: the tried system is bad")))
    return 1 if result.outcome == "unavailable" else 0
