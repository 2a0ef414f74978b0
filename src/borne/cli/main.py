"""Entry point of the ``borne`` command.

Each sub-command imports what it needs when it runs, so ``borne status`` stays
quick on a Raspberry Pi Zero.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from ..errors import BorneError
from .common_options import (
    CONFIG_HELP,
    DEBUG_HELP,
    LANG_HELP,
    accept_common_options_everywhere,
    integer_between,
)

__all__ = ["main"]

#: The simulator's commands (``borne sim ...``), a plug-in: a box image may leave
#: :mod:`borne.sim` out, and then ``borne`` simply has no ``sim`` command. Named as a
#: string so the box's code has no import of the simulator (tests/unit/test_import_graph.py).
SIMULATOR_CLI = "borne.sim.cli"


def _simulator_cli() -> ModuleType | None:
    """The simulator's CLI module, or None where the simulator is not installed."""
    if importlib.util.find_spec(SIMULATOR_CLI.rpartition(".")[0]) is None:
        return None
    return importlib.import_module(SIMULATOR_CLI)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="borne", description=(
        "Firmware of the borne reader box (CPS, carte Vitale, appli carte Vitale)."))
    parser.add_argument("--config", metavar="PATH", help=CONFIG_HELP)
    parser.add_argument("--lang", choices=("fr", "en"), help=LANG_HELP)
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("serve", help="run the daemon in the foreground")
    status = commands.add_parser("status", help="what the running daemon sees now")
    status.add_argument("--json", action="store_true", help="print the state as JSON")
    commands.add_parser("doctor", help="check config, pcscd and readers, devices, clock, disk, certificates")

    pair = commands.add_parser("pair", help="pair a billing workstation (on the box)")
    pair_commands = pair.add_subparsers(dest="pair_command", required=True, metavar="PAIRCOMMAND")
    pair_open = pair_commands.add_parser("open", help="open a 2-minute pairing window, print its code")
    pair_open.add_argument("--admin", action="store_true",
                           help="the workstation paired now may list and revoke the others")
    pair_commands.add_parser("close", help="close the pairing window")

    mode = commands.add_parser("mode", help="counter or mobile mode: print it, or switch (on the box)")
    mode.add_argument("mode", nargs="?", choices=["counter", "mobile"],
                      help="switch to this mode (kept across restarts)")
    clients = commands.add_parser("clients", help="paired workstations (on the box)")
    clients_commands = clients.add_subparsers(dest="clients_command", required=True,
                                              metavar="CLIENTSCOMMAND")
    clients_commands.add_parser("list", help="list paired workstations")
    revoke = clients_commands.add_parser("revoke", help="revoke a workstation at once")
    revoke.add_argument("client_id")

    audit = commands.add_parser("audit", help="the API audit journal (on the box)")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDITCOMMAND")
    audit_commands.add_parser("verify", help="check the hash chain; say where it breaks")
    show = audit_commands.add_parser("show", help="print journal entries, a page at a time")
    show.add_argument("--after", type=integer_between(0, 2**63 - 1), default=0,
                      help="the entries after this sequence number (0: from the first)")
    show.add_argument("--limit", type=integer_between(1, 1000), default=50,
                      help="entries per page, 1 to 1000 (50); the last line says how many "
                           "more there are and the --after that shows them")
    show.add_argument("--json", action="store_true",
                      help="a JSON list (how many more: on stderr)")

    from .update import add_parser as add_update_parser

    add_update_parser(commands)

    from .workstation import add_parser as add_client_parser

    add_client_parser(commands)

    from .bridge import add_parser as add_bridge_parser

    add_bridge_parser(commands)

    from .usb import add_parser as add_usb_parser

    add_usb_parser(commands)

    from .network import add_parser as add_network_parser

    add_network_parser(commands)
    simulator = _simulator_cli()
    if simulator is not None:
        simulator.add_parser(commands)
    accept_common_options_everywhere(parser)
    return parser


def _language(args: argparse.Namespace) -> str:
    if args.lang:
        return args.lang
    from ..config import load_config_or_defaults

    return load_config_or_defaults(args.config)[0].daemon.language


def _printable(text: str) -> str:
    # A message may carry what a server sent: never let it drive the terminal.
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _fail(text: str, code: str) -> int:
    print(f"borne: {_printable(text)} [{code}]", file=sys.stderr)
    return 2


def _failure(error: Exception, language: str, *, debug: bool, serving: bool = False) -> int:
    """The one line a failure prints, ``borne: <message> [<code>]``; the exit code 2.

    A :class:`BorneError` (the box's tools) or a workstation's
    :class:`~borne.client.errors.BoxError` says what to do in its message. Anything
    else is a bug of ``borne``: ``internal_error``, the exception's type on the line
    and its traceback with ``--debug`` (always for ``serve``: the daemon's crash goes to
    its log whole, where nobody reads it on a terminal).
    """
    from ..client.errors import BoxError
    from ..error_catalogue import message_for

    known = isinstance(error, (BorneError, BoxError))
    if debug or (serving and not known):
        traceback.print_exception(error, file=sys.stderr)
    if isinstance(error, BorneError):
        return _fail(getattr(error, "server_message", None) or error.message(language), error.code)
    if isinstance(error, BoxError):
        return _fail(error.message or message_for(error.code, language), error.code)
    hint = (" : relancez avec --debug pour le détail" if language != "en"
            else ": run again with --debug for the details")
    return _fail(f"{message_for('internal_error', language)} ({type(error).__name__}){hint}",
                 "internal_error")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``borne`` command; returns the process exit code (2: a failure, said on one line)."""
    args = _parser().parse_args(argv)
    language = args.lang or "fr"
    try:
        language = _language(args)
        return _run(args, language)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the last resort: one line, never a traceback (--debug: both)
        return _failure(error, language, debug=args.debug, serving=args.command == "serve")


def _run(args: argparse.Namespace, language: str) -> int:
    """The command ``args`` names."""
    if args.command == "serve":
        from .serve import serve

        return serve(args.config)
    if args.command == "status":
        from .status_view import status

        return status(args.config, as_json=args.json, language=language)
    if args.command == "doctor":
        from .doctor import doctor

        return doctor(args.config, language=language)
    if args.command in ("pair", "clients", "mode"):
        from .box_admin import box_admin

        return box_admin(args, language=language)
    if args.command == "update":
        from .update import update_command

        return update_command(args, language=language)
    if args.command == "client":
        from .workstation import client_command

        return client_command(args, language=language)
    if args.command == "audit":
        from ..audit.trail import AUDIT_DB_NAME
        from ..config import load_config_for_tools
        from .audit import audit_show, audit_verify
        from .running_box import box_data

        # The running daemon's journal (the simulator's while it runs), as `clients list`.
        database = box_data(load_config_for_tools(args.config)).data_dir / AUDIT_DB_NAME
        if args.audit_command == "verify":
            return audit_verify(database, language=language)
        return audit_show(database, after=args.after, limit=args.limit, as_json=args.json,
                          language=language)
    if args.command == "bridge":
        from .bridge import bridge

        return bridge(args, language=language)
    if args.command == "usb":
        from .usb import usb_command

        return usb_command(args, language=language)
    if args.command == "network":
        from .network import network_command

        return network_command(args, language=language)
    if args.command == "sim":
        return _simulator_cli().sim(args, language=language)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
