"""``borne client find``: the boxes announcing themselves on this workstation's network (mDNS)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["add_find_parser", "find"]

_WORDS = {
    "fr": {"none": "Aucune borne trouvée en {t:g} s sur ce réseau (mDNS, _borne._tcp).",
           "paired": "la borne appairée dans {dir}", "level": "API niveau {level}"},
    "en": {"none": "No box found in {t:g} s on this network (mDNS, _borne._tcp).",
           "paired": "the box paired in {dir}", "level": "API level {level}"},
}


async def find(args: argparse.Namespace, language: str) -> int:
    """Browse for ``args.timeout`` seconds and print the boxes; exit code 1 when none."""
    from ..client.browse import ca_fingerprint, discover
    from ..client.errors import files_failure

    words = _WORDS.get(language, _WORDS["fr"])
    try:
        pinned = ca_fingerprint(Path(args.dir) / "ca.crt") if args.dir else None
    except (OSError, ValueError) as error:  # not a pairing folder, or its ca.crt is damaged
        raise files_failure(error, args.dir, language) from None
    boxes = await discover(args.timeout, language=language)
    if args.json:
        for box in boxes:
            print(json.dumps({**box.to_dict(), "paired": box.ca_sha256 == pinned}), flush=True)
    else:
        for box in boxes:
            notes = [words["level"].format(level=box.api_level)] if box.api_level else []
            if box.ca_sha256 == pinned:
                notes.append(words["paired"].format(dir=args.dir))
            print(f"{box.name}  {box.url}  {', '.join(box.addresses)}  "
                  f"CA sha256 {box.ca_sha256[:16]}…  {'; '.join(notes)}".rstrip())
        if not boxes:
            print(words["none"].format(t=args.timeout))
    return 0 if boxes else 1


def add_find_parser(sub: argparse._SubParsersAction) -> None:
    """The ``borne client find`` sub-command."""
    command = sub.add_parser("find", help="list the boxes announced on this network (mDNS)")
    command.add_argument("--timeout", type=float, default=3.0, help="seconds to listen (3)")
    command.add_argument("--dir", help="a pairing folder: mark the box whose CA it pinned")
    command.add_argument("--json", action="store_true", help="one JSON object per box")
