"""Entry point of the ``borne`` command.

Each sub-command imports what it needs when it runs, so ``borne status`` stays
quick on a Raspberry Pi Zero.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ..errors import BorneError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="borne", description=(
        "Firmware of the borne reader box (CPS, carte Vitale, appli carte Vitale)."))
    parser.add_argument("--config", metavar="PATH",
                        help="configuration file (default /etc/borne/borne.toml if present)")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("serve", help="run the daemon in the foreground")
    status = commands.add_parser("status", help="what the running daemon sees now")
    status.add_argument("--json", action="store_true", help="print the state as JSON")
    commands.add_parser("doctor", help="check pcscd, readers, config and data directory")

    sim = commands.add_parser("sim", help="the simulated box (virtual cards, private pcscd)")
    sim_commands = sim.add_subparsers(dest="sim_command", required=True, metavar="SIMCOMMAND")
    sim_commands.add_parser("run", help="start the simulated box in the foreground")
    insert = sim_commands.add_parser("insert", help="put a test card in a slot")
    insert.add_argument("slot", type=int, help="slot number: 0, 1 contact; 2 contactless")
    insert.add_argument("card", help="test card name (see `borne sim cards`) or a card file")
    insert.add_argument("--pull-after", type=int, metavar="N",
                        help="the card leaves the reader at its Nth APDU (mid-read removal)")
    remove = sim_commands.add_parser("remove", help="take the card out of a slot")
    remove.add_argument("slot", type=int)
    sim_commands.add_parser("cards", help="list the test cards")
    sim_commands.add_parser("slots", help="list the simulated slots and what they hold")
    return parser


def _language(args: argparse.Namespace) -> str:
    if args.lang:
        return args.lang
    try:
        from ..config import load_config

        return load_config(args.config).daemon.language
    except BorneError:
        return "fr"


def _fail(error: BorneError, language: str) -> int:
    text = getattr(error, "server_message", None) or error.message(language)
    print(f"borne: {text} [{error.code}]", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``borne`` command; returns the process exit code."""
    args = _parser().parse_args(argv)
    language = "fr"
    try:
        language = _language(args)
        if args.command == "serve":
            from .serve import serve

            return serve(args.config)
        if args.command == "status":
            from .status_view import status

            return status(args.config, as_json=args.json, language=language)
        if args.command == "doctor":
            from .doctor import doctor

            return doctor(args.config, language=language)
        if args.command == "sim":
            from .sim import sim

            return sim(args, language=language)
    except BorneError as error:
        return _fail(error, language)
    except KeyboardInterrupt:
        return 130
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
