"""``borne audit verify`` and ``borne audit show``: the audit journal for a person, read-only.

Both read ``<data_dir>/audit.db`` of the running box (:mod:`borne.cli.running_box`: the
daemon says where its data is, so the simulator's journal while it runs) without writing
to it, so they are safe while the daemon runs. A journal that cannot be read at all raises
:class:`~borne.errors.BorneError` ``audit_unavailable`` (the CLI prints it and
exits with 2). ``show`` prints a page (at most :data:`MAX_PAGE` entries) and says how many
follow and how to see them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..audit.trail import AuditEntry
from ..audit.verify import count_after, read_entries, verify

__all__ = ["MAX_PAGE", "audit_show", "audit_verify"]

#: Most entries ``audit show`` prints at once (what one read of the journal returns).
MAX_PAGE = 1000

# What went wrong at the broken entry, by VerifyResult.problem.
_PROBLEMS = {
    "modified": ("modifiée", "modified"),
    "missing": ("manquante (supprimée)", "missing (deleted)"),
    "out_of_order": ("ne suit pas l'entrée précédente (insérée, déplacée ou réécrite)",
                     "does not follow the previous entry (inserted, moved or rewritten)"),
    "unreadable": ("fichier endommagé à partir d'ici", "file damaged from here on"),
}


def _pick(language: str, fr: str, en: str) -> str:
    return en if language == "en" else fr


def audit_verify(db_path: Path, *, language: str) -> int:
    """Check the journal's hash chain and say so; 0 when intact, 1 when broken."""
    result = verify(db_path)
    if result.ok:
        print(_pick(language, f"Journal d'audit intact : {result.checked} entrées vérifiées",
                    f"Audit journal intact: {result.checked} entries checked"))
    else:
        fr, en = _PROBLEMS.get(result.problem or "", (result.reason, result.reason))
        print(_pick(language, f"Journal d'audit ROMPU à l'entrée {result.broken_at} : {fr}",
                    f"Audit journal BROKEN at entry {result.broken_at}: {en}"))
        print(_pick(language, f"{result.checked} entrées intactes avant elle",
                    f"{result.checked} intact entries before it"))
    if result.pruned_up_to:
        # The size cap ([audit] max_mb) deleted the oldest: say what the check started from.
        print(_pick(language, f"Les entrées 1 à {result.pruned_up_to} ont été supprimées "
                              "(taille maximale du journal) : la chaîne est vérifiée à partir "
                              f"de l'entrée {result.pruned_up_to + 1}",
                    f"Entries 1 to {result.pruned_up_to} were pruned (the journal's size cap): "
                    f"the chain is checked from entry {result.pruned_up_to + 1}"))
    if result.last_hash:
        # A chain cannot show that its last entries were cut off: this hash, noted
        # elsewhere, can.
        print(_pick(language, f"Empreinte de la dernière entrée intacte : {result.last_hash}",
                    f"Hash of the last intact entry: {result.last_hash}"))
    # Which box's journal this was: the simulator's and a real box's look alike.
    print(_pick(language, f"Fichier : {db_path}", f"File: {db_path}"))
    return 0 if result.ok else 1


def _printable(text: str | None) -> str:
    # Paths come from the network: never let them drive the terminal (escape sequences).
    if text is None:
        return "-"
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _line(entry: AuditEntry) -> str:
    wall = entry.wall + ("" if entry.wall_synced else "?")
    detail = json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""
    return "  ".join((f"{entry.seq:>6}", wall, _printable(entry.client_id), str(entry.status),
                      _printable(entry.action), _printable(entry.resource),
                      _printable(detail))).rstrip()


def audit_show(db_path: Path, *, after: int = 0, limit: int = 100, as_json: bool = False,
               language: str) -> int:
    """Print the entries after ``after``, ``limit`` at most (1 to :data:`MAX_PAGE`), as lines
    or a JSON list; then how many more there are and the ``--after`` that shows them (on
    stderr with ``as_json``, so the JSON stays whole). Returns 0."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    entries = read_entries(db_path, after=after, limit=limit)
    more = count_after(db_path, entries[-1].seq) if entries else 0
    if as_json:
        print(json.dumps([entry.to_dict() for entry in entries], ensure_ascii=False, indent=2))
    elif not entries:
        print(_pick(language, "Aucune entrée", "No entries"))
    else:
        print(_pick(language, "     n°  heure (UTC)  poste  statut  action  ressource  détail",
                    "    seq  time (UTC)  client  status  action  resource  detail"))
        for entry in entries:
            print(_line(entry))
        if any(not entry.wall_synced for entry in entries):
            print(_pick(language, "? : horloge non synchronisée à ce moment-là",
                        "?: the clock was not synchronised then"))
    if more:
        print(_pick(language, f"{more} de plus : --after {entries[-1].seq}",
                    f"{more} more: --after {entries[-1].seq}"),
              file=sys.stderr if as_json else sys.stdout)
    return 0
