"""``borne audit verify`` and ``borne audit show``: the audit journal for a person, read-only.

Both read ``<data_dir>/audit.db`` without writing to it, so they are safe while
the daemon runs. A journal that cannot be read at all raises
:class:`~borne.errors.BorneError` ``audit_unavailable`` (the CLI prints it and
exits with 2).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..audit.trail import AuditEntry
from ..audit.verify import read_entries, verify

__all__ = ["audit_show", "audit_verify"]

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
    if result.last_hash:
        # A chain cannot show that its last entries were cut off: this hash, noted
        # elsewhere, can.
        print(_pick(language, f"Empreinte de la dernière entrée intacte : {result.last_hash}",
                    f"Hash of the last intact entry: {result.last_hash}"))
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
    """Print up to ``limit`` (1 to 1000) entries after ``after``, as lines or a JSON list; returns 0."""
    limit = min(max(limit, 1), 1000)  # a page, whatever a person typed
    entries = read_entries(db_path, after=after, limit=limit)
    if as_json:
        print(json.dumps([entry.to_dict() for entry in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print(_pick(language, "Aucune entrée", "No entries"))
        return 0
    print(_pick(language, "     n°  heure (UTC)  poste  statut  action  ressource  détail",
                "    seq  time (UTC)  client  status  action  resource  detail"))
    for entry in entries:
        print(_line(entry))
    if any(not entry.wall_synced for entry in entries):
        print(_pick(language, "? : horloge non synchronisée à ce moment-là",
                    "?: the clock was not synchronised then"))
    if len(entries) == limit:
        print(_pick(language, f"Suite : --after {entries[-1].seq}",
                    f"More: --after {entries[-1].seq}"))
    return 0
