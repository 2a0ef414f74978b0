"""A virtual card process: one simulator card plugged into a vpcd slot until SIGTERM.

Run as ``python -m borne.sim.card_process --port P --card NAME`` (or
``--factory MODULE:CALLABLE``): the card is a responder from :mod:`borne.sim.cards`
(or the factory's), carried to pcscd's vpcd driver by
:class:`borne.vpcd.card.VirtualCard`. SIGTERM removes the card.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
from typing import Any

from borne.errors import BorneError
from borne.vpcd.card import VirtualCard
from borne.vpcd.responder import CardResponder

__all__ = ["main"]


def _load_responder(card: str | None, factory: str | None, options: dict[str, Any]) -> CardResponder:
    if factory is not None:
        module_name, _, attribute = factory.partition(":")
        return getattr(importlib.import_module(module_name), attribute)(**options)
    from borne.sim.cards import load_card

    return load_card(card, **options)


def main(argv: list[str] | None = None) -> int:
    """Entry point of a virtual card process (see the module docstring).

    Prints ``ready`` on stdout once first connected to vpcd; SIGTERM or SIGINT
    removes the card and exits 0, as does the card pulling itself out. A card
    that cannot be loaded exits 2 with one line on stderr.
    """
    parser = argparse.ArgumentParser(prog="python -m borne.sim.card_process", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=lambda text: int(text, 0), required=True, help="vpcd slot port")
    parser.add_argument("--host", default="127.0.0.1")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--card", help="a test card name (borne.sim.cards.CARD_NAMES) or card file")
    source.add_argument("--factory", metavar="MODULE:CALLABLE", help="a callable returning a responder")
    parser.add_argument("--options", default="{}", help="JSON object of keyword arguments for the card")
    parser.add_argument("--wire-clock-hz", type=int, default=None,
                        help="benches: answer no faster than a real card clocked at this frequency")
    args = parser.parse_args(argv)
    options = json.loads(args.options)
    if not isinstance(options, dict):
        parser.error("--options must be a JSON object")
    try:
        responder = _load_responder(args.card, args.factory, options)
    except (BorneError, ImportError, AttributeError, TypeError, ValueError) as error:
        # One line on stderr: CardSlots shows it as the reason the insert failed.
        name = args.card or args.factory
        print(f"cannot load card {name}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2

    announced = False

    def ready() -> None:
        nonlocal announced
        if not announced:
            announced = True
            try:
                print("ready", flush=True)
            except OSError:
                pass  # nobody listens to our stdout any more: not our problem

    pace = None
    if args.wire_clock_hz:
        from borne.sim.wire_time import wire_seconds

        atr, hz = bytes(responder.atr), args.wire_clock_hz

        def pace(command: bytes, response: bytes) -> float:
            return wire_seconds(atr, command, response, hz)

    card = VirtualCard(responder, args.host, args.port, on_connect=ready, pace=pace)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: card.stop())
    card.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
