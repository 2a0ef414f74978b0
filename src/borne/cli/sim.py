"""``borne sim ...``: run the simulated box and put test cards in and out of it."""

from __future__ import annotations

import argparse

from ..control.client import call

__all__ = ["sim"]


def sim(args: argparse.Namespace, *, language: str) -> int:
    """Dispatch a ``borne sim`` sub-command."""
    from ..sim.runner import run_sim, sim_config, sim_socket

    if args.sim_command == "run":
        return run_sim(args.config)
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
        print(f"apCV ({shown['channel']}): {shown['size']} bytes")  # type: ignore[index]
    elif args.sim_command == "prescription":
        shown = ask("prescription", number=args.number, channel=args.channel)
        print(f"ordonnance ({shown['channel']}): {args.number}")  # type: ignore[index]
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
        ask("button", hold_s=4.0 if args.long else 0.1)
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
