"""``borne client journal``: collect the box's offline journal on the workstation, decrypt, print, acknowledge.

Page by page, oldest first: each page is decrypted with this workstation's key
(``client.key`` in ``--dir``), printed, flushed, and only then acknowledged, so a
cut connection or a crash loses nothing: the next run starts again from the
first record not acknowledged. A record that does not decrypt is reported on
stderr and left on the box (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["collect", "describe"]

_PAGE = 500
_WORDS = {
    "fr": {"vitale": "carte Vitale", "cps": "CPS", "apcv": "appli carte Vitale",
           "prescription": "ordonnance numérique", "unsynced": "horloge non synchronisée",
           "born": "né(e) le", "bytes": "octets",
           "dropped": "données effacées (session passée)",
           "done": "{n} enregistrement(s) reçu(s), {a} acquitté(s)",
           "bad": "enregistrement {seq} illisible, laissé sur la borne : {why}"},
    "en": {"vitale": "carte Vitale", "cps": "CPS", "apcv": "apCV presentation",
           "prescription": "e-prescription", "unsynced": "clock not synchronised",
           "born": "born", "bytes": "bytes", "dropped": "payload dropped (session over)",
           "done": "{n} record(s) received, {a} acknowledged",
           "bad": "record {seq} unreadable, left on the box: {why}"},
}


def describe(record: dict[str, Any], language: str) -> str:
    """One line for a person: seq, time (and whether it can be trusted), what was read."""
    words = _WORDS[language]
    body = record["body"]
    when = record["wall"] + ("" if record["wall_synced"] else f" ({words['unsynced']})")
    what = words.get(record["kind"], record["kind"])
    if record["kind"] == "vitale":
        # A field the card did not give is null: "?".
        people = [f"{b['surname'] or '?'} {b['first_name'] or '?'}, {words['born']} "
                  f"{b['birth_date'] or '?'}, NIR {b['nir'] or '?'}"
                  for b in body["card"].get("beneficiaries", [])]
        what += ": " + "; ".join(people)
    elif record["kind"] == "cps":
        holder = body["card"].get("holder") or {}
        what += f": {holder.get('surname', '?')} {holder.get('first_name', '')}".rstrip()
        if body["card"].get("profession"):
            what += f" ({body['card']['profession']})"
    elif record["kind"] == "prescription":
        what += f": {body.get('number')}"
    elif record["kind"] == "apcv" and body.get("payload_dropped"):
        what += f": {body.get('channel')}, {words['dropped']}"
    elif record["kind"] == "apcv":
        size = len(body.get("payload_b64", "")) * 3 // 4
        what += f": {body.get('channel')}, ~{size} {words['bytes']}"
    return f"#{record['seq']}  {when}  {what}"


async def collect(args: argparse.Namespace, language: str) -> int:
    """Fetch every waiting record, print it decrypted, acknowledge it (unless ``--no-ack``)."""
    from ..client.api import BoxClient, mtls_context
    from ..client.store import WorkstationFiles
    from ..journal.errors import JournalError
    from ..client.journal_reader import JournalReader

    files = WorkstationFiles(Path(args.dir))
    reader = JournalReader.from_directory(args.dir, language,
                                          allow_unsigned=getattr(args, "accept_unsigned", False))
    url = args.box or files.read_box(language)["url"]
    words = _WORDS[language]
    received = acked = 0
    failed = False
    after = 0
    async with BoxClient(url, mtls_context(files, language), language=language) as box:
        while True:
            page = await box.journal(after=after, limit=_PAGE)
            if not page:
                break
            good = []
            for item in page:
                try:
                    opened = reader.open(item).to_dict()
                except JournalError as error:
                    failed = True
                    print(words["bad"].format(seq=item.get("seq"), why=error.message(language)),
                          file=sys.stderr)
                    continue
                print(json.dumps(opened, ensure_ascii=False) if args.json
                      else describe(opened, language))
                good.append(opened["seq"])
            sys.stdout.flush()  # printed before acknowledged: nothing is lost in between
            received += len(good)
            if good and not args.no_ack:
                acked += (await box.ack(good))["acked"]
            after = page[-1]["seq"]
    print(words["done"].format(n=received, a=acked), file=sys.stderr)
    return 1 if failed else 0
