"""``--config``, ``--lang`` and ``--debug`` wherever people type them.

The docs and the issues write ``borne serve --config F`` and ``borne sim run
--config F`` as often as ``borne --config F serve``; argparse accepts an option
only on the parser that declares it, so the same two options are added to every
sub-command under the top one. A sub-command's value is stored only when given
(``SUPPRESS``), so it never hides one given before the sub-command; given in both
places, the later one (after the sub-command) wins, as a person reading the line
would expect.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

__all__ = ["CONFIG_HELP", "DEBUG_HELP", "LANG_HELP", "accept_common_options_everywhere",
           "integer_between"]

CONFIG_HELP = "configuration file (default /etc/borne/borne.toml if present)"
LANG_HELP = "language of messages"
DEBUG_HELP = "on a failure, print the Python traceback too (for a bug report)"
#: Commands that run on a workstation and read no box configuration: ``--config``
#: there would be a promise the command does not keep (``--lang`` still applies).
WORKSTATION_COMMANDS = frozenset({"client", "bridge"})


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:  # argparse keeps sub-commands as a sub-parsers action
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _add(parser: argparse.ArgumentParser, *, with_config: bool) -> None:
    if with_config:
        parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                            help=CONFIG_HELP)
    parser.add_argument("--lang", choices=("fr", "en"), default=argparse.SUPPRESS, help=LANG_HELP)
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    for _name, child in _subparsers(parser):
        _add(child, with_config=with_config)


def accept_common_options_everywhere(top: argparse.ArgumentParser) -> None:
    """Give every sub-command of ``top`` (at every depth) the top's ``--config``, ``--lang``, ``--debug``.

    ``top`` declares both itself, with their defaults; call this once every
    sub-command has been added.
    """
    for name, child in _subparsers(top):
        _add(child, with_config=name not in WORKSTATION_COMMANDS)


def integer_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer from ``low`` to ``high``, or a usage error that says so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse
