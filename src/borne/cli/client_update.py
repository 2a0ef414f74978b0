"""``borne client update --dir D BUNDLE``: install an update on a box from an admin workstation.

Streams the bundle (``PUT /v1/update``), shows what is sent, then the install's progress (read
from ``GET /v1/update`` every half second: it works through any proxy and needs no stream),
then asks for the reboot into the new system (``--reboot``): ``when-idle`` (the default: the
box reboots as soon as no patient is at it), ``now`` (forced, an admin's decision). There is no
"install now, reboot later": the box reboots into an installed system by itself as soon as
nothing holds it (a box left on an installed, unbooted system is one more state to support).

Exit status: 0 installed (and the reboot asked for, if it was), 1 the install failed on the
box after it had accepted the bundle (``last_error`` says why), 2 refused or not reached
(``borne: <message> [<code>]``, as every command).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

__all__ = ["add_update_parser", "update"]

#: Seconds between two readings of the install's progress.
_POLL_S = 0.5
#: Longest wait for an install to end after its last progress (RAUC writes a slot of ~2 GB on
#: an SD card in a few minutes; a progress that stops moving that long is a stuck install).
_STALL_S = 900.0
_MB = 1024 * 1024

_WORDS = {
    "fr": {"sending": "Envoi de {name} ({mb:.0f} Mo)", "sent": "envoyé : {pct} %",
           "accepted": "Bundle {version} vérifié par la borne ; installation…",
           "progress": "installation : {pct} % {step}",
           "installed": "Version {version} installée.",
           "failed": "L'installation a échoué sur la borne : {error}",
           "stalled": "L'installation n'avance plus depuis {s:.0f} s : voir `borne client "
                      "update-state` ou l'écran de la borne",
           "held": "Redémarrage demandé ; il attend : {why}",
           "rebooting": "La borne redémarre sur la nouvelle version."},
    "en": {"sending": "Sending {name} ({mb:.0f} MB)", "sent": "sent: {pct} %",
           "accepted": "Bundle {version} vetted by the box; installing…",
           "progress": "installing: {pct} % {step}",
           "installed": "Version {version} installed.",
           "failed": "The install failed on the box: {error}",
           "stalled": "The install has not moved for {s:.0f} s: see `borne client "
                      "update-state` or the box's screen",
           "held": "Reboot asked for; it waits for: {why}",
           "rebooting": "The box reboots into the new version."},
}


class _Progress:
    """One line on stderr, rewritten on a terminal; every 10 % otherwise (a log)."""

    def __init__(self, words: dict[str, str]) -> None:
        self._words = words
        self._tty = sys.stderr.isatty()
        self._last = -1

    def show(self, key: str, pct: int, **more: Any) -> None:
        if pct == self._last or (not self._tty and pct // 10 == self._last // 10 and pct != 100):
            return
        self._last = pct
        text = self._words[key].format(pct=pct, **more)
        print(f"\r{text}" if self._tty else text, end="" if self._tty else "\n",
              file=sys.stderr, flush=True)

    def end(self) -> None:
        if self._tty and self._last >= 0:
            print(file=sys.stderr)
        self._last = -1


async def _wait_installed(box: Any, words: dict[str, str], progress: _Progress) -> dict[str, Any]:
    """Follow the install until it is no longer ``installing``; the last state read."""
    moved = time.monotonic()
    last = None
    while True:
        state = await box.update_state()
        if state["state"] != "installing":
            progress.end()
            return state
        if state["progress"] != last:
            last, moved = state["progress"], time.monotonic()
            progress.show("progress", state["progress"], step="")
        elif time.monotonic() - moved > _STALL_S:
            progress.end()
            print(words["stalled"].format(s=_STALL_S), file=sys.stderr)
            return state
        await asyncio.sleep(_POLL_S)


async def update(args: argparse.Namespace, language: str) -> int:
    """Upload, follow the install, ask for the reboot; the exit status (see the module)."""
    from pathlib import Path

    from ..client import BoxClient

    words = _WORDS[language]
    path = Path(args.bundle)
    progress = _Progress(words)
    async with BoxClient.from_directory(args.dir, language=language) as box:
        size = path.stat().st_size if path.is_file() else 0
        print(words["sending"].format(name=path.name, mb=size / _MB), file=sys.stderr)
        accepted = await box.update(
            path, allow_downgrade=args.allow_downgrade,
            sent=lambda done, total: progress.show("sent", done * 100 // max(total, 1)))
        progress.end()
        print(words["accepted"].format(version=accepted["version"]), file=sys.stderr)
        state = await _wait_installed(box, words, progress)
        if state["state"] not in ("installed", "rebooting"):
            print(words["failed"].format(error=state.get("last_error") or state["state"]),
                  file=sys.stderr)
            return 1
        print(words["installed"].format(version=accepted["version"]))
        if state["state"] == "rebooting":
            print(words["rebooting"])
            return 0
        after = await box.reboot(force=args.reboot == "now")
        held = after.get("reboot_held_by") or []
        print(words["held"].format(why=", ".join(held)) if held and after["state"] != "rebooting"
              else words["rebooting"])
    return 0


def add_update_parser(sub: argparse._SubParsersAction) -> None:
    """``borne client update`` and ``borne client update-state``."""
    command = sub.add_parser("update", help="install an update bundle on the box (admin "
                                            "workstation): upload, progress, reboot")
    command.add_argument("--dir", required=True, help="the folder given to `client pair`")
    command.add_argument("bundle", help="the signed RAUC bundle (.raucb)")
    command.add_argument("--allow-downgrade", action="store_true",
                         help="install even if older than the running version")
    command.add_argument("--reboot", choices=("when-idle", "now"), default="when-idle",
                         help="when-idle (default): as soon as no card, lease or apCV session "
                              "holds the box; now: at once (an admin's decision)")
    state = sub.add_parser("update-state", help="GET /v1/update: version, slot, update state")
    state.add_argument("--dir", required=True, help="the folder given to `client pair`")
