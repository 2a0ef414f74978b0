"""``borne sim ...``: run the simulated box and put test cards in and out of it.

Plugged into the ``borne`` command by :mod:`borne.cli.main` when the simulator is
installed (a box image may leave it out).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..control.client import call

__all__ = ["add_parser", "sim"]


def add_parser(commands: Any) -> None:
    """Add ``borne sim`` and its sub-commands to the ``borne`` command's sub-parsers."""
    sim = commands.add_parser("sim", help="the simulated box (virtual cards, private pcscd)")
    sim_commands = sim.add_subparsers(dest="sim_command", required=True, metavar="SIMCOMMAND")
    run = sim_commands.add_parser("run", help="start the simulated box in the foreground")
    run.add_argument("--listen", metavar="ADDRESS", type=_address,
                     help="the address its API listens on: 127.0.0.1 (default, this machine "
                          "only), 0.0.0.0 (every interface: billing software on another "
                          "machine can reach it, and so can the rest of the LAN)")
    insert = sim_commands.add_parser("insert", help="put a test card in a slot")
    insert.add_argument("slot", type=int, help="slot number: 0, 1 contact; 2 contactless")
    insert.add_argument("card", help="test card name (see `borne sim cards`) or a card file")
    insert.add_argument("--pull-after", type=int, metavar="N",
                        help="the card leaves the reader at its Nth APDU (mid-read removal)")
    remove = sim_commands.add_parser("remove", help="take the card out of a slot")
    remove.add_argument("slot", type=int)
    sim_commands.add_parser("cards", help="list the test cards")
    sim_commands.add_parser("slots", help="list the simulated slots and what they hold")
    apcv = sim_commands.add_parser("apcv", help="present a virtual appli carte Vitale")
    how = apcv.add_mutually_exclusive_group()
    how.add_argument("--qr", dest="channel", action="store_const", const="qr",
                     help="show its QR code to the virtual camera (default)")
    how.add_argument("--scanner", dest="channel", action="store_const", const="scanner",
                     help="scan its QR code with the virtual USB scanner")
    how.add_argument("--nfc", dest="channel", action="store_const", const="nfc",
                     help="tap the virtual phone on the NFC reader (nfcpy UDP twin)")
    how.add_argument("--contactless", dest="channel", action="store_const", const="contactless",
                     help="tap the virtual phone on the contactless PC/SC slot")
    apcv.add_argument("--payload-hex", help="the token to present (default: a new random one)")
    screen = sim_commands.add_parser("screen", help="what the box's screen shows now")
    screen.add_argument("--png", metavar="FILE", help="write it as a PNG at the panel's size")
    button = sim_commands.add_parser("button", help="press the box's button")
    button.add_argument("--long", action="store_true",
                        help="hold it down (opens the pairing window)")
    battery = sim_commands.add_parser(
        "battery", help="set the simulated battery's level (a mobile box; [battery] device = sim)")
    battery.add_argument("percent", type=int, help="0..100")
    charge = battery.add_mutually_exclusive_group()
    charge.add_argument("--charging", dest="charging", action="store_true",
                        help="the charger is plugged in")
    charge.add_argument("--discharging", dest="charging", action="store_false",
                        help="on battery (the default)")
    prescription = sim_commands.add_parser(
        "prescription", help="show an ordonnance numérique's QR code to the virtual camera")
    prescription.add_argument("number", help="the prescription number, e.g. 01S2TBPZ2JCNZZYGHZ")
    prescription.add_argument("--scanner", dest="channel", action="store_const", const="scanner",
                              default="qr", help="scan it with the virtual USB scanner instead")
    medicine = sim_commands.add_parser(
        "medicine", help="scan a medicine box's GS1 DataMatrix (the box ignores it, counts it)")
    medicine.add_argument("--qr", dest="channel", action="store_const", const="qr",
                          default="scanner", help="show it to the virtual camera instead")
    wifi = sim_commands.add_parser(
        "wifi", help="show a phone's \"share Wi-Fi\" QR code to the virtual camera "
                     "(then `borne sim button` confirms)")
    wifi.add_argument("--ssid", required=True, help="the network's name")
    wifi.add_argument("--password", help="its password (a test network's: it is on the command "
                                         "line); none for --security open")
    wifi.add_argument("--security", choices=("wpa", "sae", "open"), default="wpa",
                      help="WPA/WPA2-personal (default), WPA3-personal (sae), or open")
    wifi.add_argument("--hidden", action="store_true", help="a hidden network (H:true)")
    wifi.add_argument("--scanner", dest="channel", action="store_const", const="scanner",
                      default="qr", help="scan it with the virtual USB scanner instead")



_WORDS = {
    "fr": {"presented": "{what} : présentée, {event} {id}",
           "refused": "{what} : refusée par la borne, {code}",
           "nothing": "{what} : la borne n'a rien annoncé. Déjà présentée ? La caméra compte un "
                      "code une fois tant qu'il reste en vue, et de nouveau seulement après "
                      "{forget} s hors de vue ([camera] forget_after_s) ; le scanner compte "
                      "chaque lecture."},
    "en": {"presented": "{what}: presented, {event} {id}",
           "refused": "{what}: refused by the box, {code}",
           "nothing": "{what}: the box announced nothing. Already presented? The camera counts "
                      "a code once while it stays in view, and again only after {forget} s out "
                      "of view ([camera] forget_after_s); the scanner counts every scan."},
}


def _said(what: str, shown: Any, language: str) -> int:
    """Print what the box made of a code shown to it; 1 when it announced no presentation."""
    words = _WORDS.get(language, _WORDS["fr"])
    if shown.get("presentation_id"):
        print(words["presented"].format(what=what, event=shown["announced"],
                                        id=shown["presentation_id"]))
        return 0
    if shown.get("code"):
        print(words["refused"].format(what=what, code=shown["code"]), file=sys.stderr)
    else:
        print(words["nothing"].format(what=what, forget=shown.get("forget_after_s", "?")),
              file=sys.stderr)
    return 1
_NETWORK_WORDS = {
    "fr": {"network.offered": "Wi-Fi « {ssid} » proposé : appuyez (borne sim button) dans les "
                              "{expires_in_s} s",
           "network.joined": "network.joined : « {ssid} », adresse {address}",
           "network.failed": "network.failed : « {ssid} », {code}",
           "capture.error": "refusé par la borne, {code}",
           None: "la borne n'a rien annoncé"},
    "en": {"network.offered": "Wi-Fi \"{ssid}\" offered: press (borne sim button) within "
                              "{expires_in_s} s",
           "network.joined": "network.joined: \"{ssid}\", address {address}",
           "network.failed": "network.failed: \"{ssid}\", {code}",
           "capture.error": "refused by the box, {code}",
           None: "the box announced nothing"},
}


def _networked(answer: dict[str, Any], language: str) -> int:
    """Print what the box made of a Wi-Fi code or of the button confirming it; 1 unless it
    offered or joined."""
    words = _NETWORK_WORDS.get(language, _NETWORK_WORDS["fr"])
    announced = answer.get("announced")
    print(words[announced].format(**answer),
          file=sys.stdout if announced in ("network.offered", "network.joined") else sys.stderr)
    return 0 if announced in ("network.offered", "network.joined") else 1


def _address(text: str) -> str:
    """An IP address for ``--listen`` (``0.0.0.0``, ``::``, one of this machine's)."""
    import ipaddress

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None


def sim(args: argparse.Namespace, *, language: str) -> int:
    """Dispatch a ``borne sim`` sub-command."""
    from .runner import run_sim
    from .sim_config import sim_config, sim_socket

    if args.sim_command == "run":
        return run_sim(args.config, listen=args.listen)
    socket = sim_socket(sim_config(args.config))

    def ask(command: str, **payload: object) -> object:
        return call(socket, command, payload, timeout=30.0, unavailable_code="sim_unavailable")

    if args.sim_command == "insert":
        ask("insert", slot=args.slot, card=args.card, pull_after=args.pull_after)
        print(f"slot {args.slot}: {args.card}")
    elif args.sim_command == "remove":
        ask("remove", slot=args.slot)
        print(f"slot {args.slot}: -")
    elif args.sim_command == "cards":
        from ..sim.cards import CARD_NAMES

        print("\n".join(CARD_NAMES))
    elif args.sim_command == "apcv":
        shown = ask("apcv", channel=args.channel or "qr", payload_hex=args.payload_hex)
        return _said(f"apCV ({shown['channel']}, {shown['size']} B)", shown,  # type: ignore[index]
                     language)
    elif args.sim_command == "prescription":
        shown = ask("prescription", number=args.number, channel=args.channel)
        return _said(f"ordonnance ({shown['channel']}) {args.number}", shown,  # type: ignore[index]
                     language)
    elif args.sim_command == "medicine":
        shown = ask("medicine", channel=args.channel)
        print(f"boîte de médicament / medicine box ({shown['channel']})")  # type: ignore[index]
    elif args.sim_command == "wifi":
        shown = ask("wifi", ssid=args.ssid, password=args.password, security=args.security,
                    hidden=args.hidden, channel=args.channel)
        return _networked(shown, language)  # type: ignore[arg-type]
    elif args.sim_command == "screen":
        import base64
        import io
        from pathlib import Path

        shown = ask("screen")
        png = base64.b64decode(shown["png_b64"])  # type: ignore[index]
        if args.png:
            Path(args.png).write_bytes(png)
            print(f"{args.png}: {shown['width']}x{shown['height']}")  # type: ignore[index]
        else:
            from PIL import Image

            from ..display.terminal import to_text

            print(to_text(Image.open(io.BytesIO(png))))
    elif args.sim_command == "button":
        pressed = ask("button", hold_s=4.0 if args.long else 0.1)
        if "announced" in pressed:  # type: ignore[operator]
            return _networked(pressed, language)  # type: ignore[arg-type]
    elif args.sim_command == "battery":
        shown = ask("battery", percent=args.percent, charging=args.charging)
        box = shown["box"]  # type: ignore[index]
        how = "en charge / charging" if args.charging else "décharge / discharging"
        print(f"batterie simulée / simulated battery: {args.percent} % ({how}); la borne lit / "
              f"the box reads: {box['percent']} %, {box['state']}")
    elif args.sim_command == "slots":
        for row in ask("slots"):  # type: ignore[union-attr]
            print(f"{row['slot']}: {row['reader']:<22} {row['card'] or '-'}")
    return 0
