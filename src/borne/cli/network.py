"""``borne network list|forget|window``: the box's Wi-Fi networks, on the box.

Through the control socket (physical presence at the box): list the Wi-Fi networks
NetworkManager keeps for the box, forget one by its id, or open the provisioning window
(the next Wi-Fi code shown to the camera or the scanner within the window joins without
the button: for a box whose button is out of reach). Never a password.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..config import load_config_for_tools
from ..control.client import call
from ..network.commands import WINDOW_S
from .common_options import integer_between

__all__ = ["add_parser", "network_command"]

_WORDS = {
    "fr": {"none": "Aucun réseau Wi-Fi enregistré.", "active": "actif", "auto": "auto",
           "forgotten": "Réseau Wi-Fi {ssid} oublié.",
           "window": "Le prochain code Wi-Fi montré dans les {s} s est rejoint sans le bouton."},
    "en": {"none": "No Wi-Fi network kept.", "active": "active", "auto": "auto",
           "forgotten": "Wi-Fi network {ssid} forgotten.",
           "window": "The next Wi-Fi code shown within {s} s joins without the button."},
}


def add_parser(commands: Any) -> None:
    """``borne network list|forget ID|window SECONDS``."""
    network = commands.add_parser("network", help="the box's Wi-Fi networks (on the box)")
    sub = network.add_subparsers(dest="network_command", required=True, metavar="NETWORKCOMMAND")
    sub.add_parser("list", help="the Wi-Fi networks the box keeps (never a password)")
    forget = sub.add_parser("forget", help="forget a kept Wi-Fi network")
    forget.add_argument("id", metavar="ID", help="its id, as `borne network list` shows it")
    window = sub.add_parser("window", help="the next Wi-Fi code shown joins without the button")
    window.add_argument("seconds", metavar="SECONDS", type=integer_between(*WINDOW_S),
                        help=f"how long the window stays open ({WINDOW_S[0]}..{WINDOW_S[1]})")


def _printable(text: str) -> str:
    # An SSID is whatever a phone sent: never let it drive the terminal.
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def network_command(args: argparse.Namespace, *, language: str) -> int:
    """Run ``borne network ...`` against the running daemon; 0 on success."""
    words = _WORDS.get(language, _WORDS["fr"])
    socket = load_config_for_tools(args.config).control_socket
    if args.network_command == "forget":
        result = call(socket, "network.forget", {"id": args.id})
        print(words["forgotten"].format(ssid=_printable(result["ssid"])))
        return 0
    if args.network_command == "window":
        result = call(socket, "network.window", {"seconds": args.seconds})
        print(words["window"].format(s=result["seconds"]))
        return 0
    rows = call(socket, "network.list")
    if not rows:
        print(words["none"])
    for row in rows:
        flags = [words["active"]] * bool(row["active"]) + [words["auto"]] * bool(row["autoconnect"])
        print(f"{row['id']:<36}  {_printable(row['ssid']):<32}  {row['priority']:>4}  "
              f"{' '.join(flags)}".rstrip())
    return 0
