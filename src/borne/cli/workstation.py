"""``borne client ...``: try the API from a billing workstation in one command."""

from __future__ import annotations

import argparse
import asyncio
import json

__all__ = ["client_command"]

#: Seconds of silence after which ``client events`` counts the stream as cut (the box sends a
#: heartbeat every 15 s by default).
_STALL_S = 60.0


async def _run(args: argparse.Namespace, language: str) -> int:
    from ..client import BoxClient, pair

    if args.client_command == "pair":
        paired = await pair(args.box, code=args.code, name=args.name, directory=args.dir,
                            language=language)
        words = ("Appairé avec {url} : poste {id}, fichiers dans {dir}" if language == "fr"
                 else "Paired with {url}: workstation {id}, files in {dir}")
        print(words.format(url=paired.url, id=paired.client_id, dir=paired.directory))
        return 0
    if args.client_command == "journal":
        from .client_journal import collect

        return await collect(args, language)
    if args.client_command == "find":
        from .client_find import find

        return await find(args, language)
    if args.client_command == "update":
        from .client_update import update

        return await update(args, language)
    async with BoxClient.from_directory(args.dir, language=language) as box:
        if args.client_command == "status":
            print(json.dumps(await box.status(), ensure_ascii=False, indent=2))
        elif args.client_command == "readers":
            print(json.dumps(await box.readers(), ensure_ascii=False, indent=2))
        elif args.client_command == "update-state":
            print(json.dumps(await box.update_state(), ensure_ascii=False, indent=2))
        elif args.client_command == "card":
            print(json.dumps(await box.card(args.slot), ensure_ascii=False, indent=2))
        elif args.client_command == "events":
            # Once now, so a wrong address or a box that is not there fails at once (the
            # stream itself retries for ever); a silent stream is a cut after 4 heartbeats.
            await box.status()
            async for event in box.events(after=args.after, stall_s=_STALL_S):
                print(json.dumps({"seq": event.seq, "type": event.type, "data": event.data},
                                 ensure_ascii=False), flush=True)
    return 0


def client_command(args: argparse.Namespace, *, language: str) -> int:
    """Run a workstation-side command; a failure raises :class:`~borne.client.errors.BoxError`
    (the box's refusal, or what kept it from answering), which ``borne`` prints as one line."""
    return asyncio.run(_run(args, language))


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``borne client`` sub-commands."""
    client = commands.add_parser("client", help="workstation side: pair with a box and call its API")
    sub = client.add_subparsers(dest="client_command", required=True, metavar="CLIENTCOMMAND")
    pair = sub.add_parser("pair", help="pair this workstation with a box")
    pair.add_argument("--box", required=True, help="https://HOST:8443")
    pair.add_argument("--code", required=True, help="the 6-digit code shown on the box")
    pair.add_argument("--name", required=True, help="this workstation's name (e.g. Comptoir 1)")
    pair.add_argument("--dir", required=True, help="folder for client.key, client.crt, ca.crt")
    from .client_find import add_find_parser

    add_find_parser(sub)
    from .client_update import add_update_parser

    add_update_parser(sub)
    for name, text in (("status", "GET /v1/status"), ("readers", "GET /v1/readers"),
                       ("events", "follow the event stream (resumes after cuts)"),
                       ("card", "GET /v1/readers/SLOT/card")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--dir", required=True, help="the folder given to `client pair`")
        if name == "card":
            command.add_argument("slot")
        if name == "events":
            command.add_argument("--after", type=int, help="resume after this sequence number")
    journal = sub.add_parser("journal", help="collect the box's offline journal: fetch, decrypt "
                                             "with this workstation's key, print in order, acknowledge")
    journal.add_argument("--dir", required=True, help="the folder given to `client pair`")
    journal.add_argument("--box", help="https://HOST:8443 (default: the address paired with)")
    journal.add_argument("--no-ack", action="store_true",
                         help="leave the records on the box (print only)")
    journal.add_argument("--json", action="store_true", help="one JSON object per record")
    journal.add_argument("--accept-unsigned", action="store_true",
                         help="also open records the box wrote before it signed them (once, after "
                              "updating the box: they prove nothing; marked signed: false)")
