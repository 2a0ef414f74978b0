"""``audit_verify`` and ``audit_show`` in a fresh process: what a person reads, and exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from borne.audit.trail import AUDIT_DB_NAME, AuditTrail
from borne.runtime.clock import Clock
from borne.cli.audit import audit_show, audit_verify
from borne.errors import BorneError


def run(function: str, db: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    args = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    code = (f"import sys; from pathlib import Path; from borne.cli.audit import {function}; "
            f"sys.exit({function}(Path({str(db)!r}), {args}))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)


@pytest.fixture
def journal_db(tmp_path: Path) -> Path:
    db = tmp_path / AUDIT_DB_NAME
    with AuditTrail(db, Clock()) as journal:
        for i in range(60):
            journal.record(client_id="poste-1", action="GET /v1/cards/{slot}",
                           resource=f"/v1/cards/{i % 2}", status=200 if i % 7 else 404,
                           detail={"client_name": "Comptoir 1"} if i == 0 else None)
        journal.record(client_id=None, action="GET /v1/\x1b[2Jx", resource="/v1/\x1b[2Jx",
                       status=401)
    return db


def test_intact_in_french_and_english(journal_db):
    french = run("audit_verify", journal_db, language="fr")
    assert french.returncode == 0, french.stderr
    assert french.stdout.splitlines()[0] == "Journal d'audit intact : 61 entrées vérifiées"
    assert "Empreinte de la dernière entrée intacte : " in french.stdout
    english = run("audit_verify", journal_db, language="en")
    assert english.returncode == 0
    assert english.stdout.splitlines()[0] == "Audit journal intact: 61 entries checked"


def test_broken_in_french_and_english(journal_db):
    db = sqlite3.connect(journal_db)
    with db:
        db.execute("UPDATE audit SET client_id = 'someone-else' WHERE seq = 42")
    db.close()
    french = run("audit_verify", journal_db, language="fr")
    assert french.returncode == 1
    assert french.stdout.splitlines()[0] == "Journal d'audit ROMPU à l'entrée 42 : modifiée"
    assert "41 entrées intactes avant elle" in french.stdout
    english = run("audit_verify", journal_db, language="en")
    assert english.returncode == 1
    assert english.stdout.splitlines()[0] == "Audit journal BROKEN at entry 42: modified"


def test_a_deleted_entry_in_both_languages(journal_db):
    db = sqlite3.connect(journal_db)
    with db:
        db.execute("DELETE FROM audit WHERE seq = 7")
    db.close()
    assert "à l'entrée 7 : manquante" in run("audit_verify", journal_db, language="fr").stdout
    assert "at entry 7: missing" in run("audit_verify", journal_db, language="en").stdout


def test_show_as_lines_escapes_what_came_from_the_network(journal_db):
    shown = run("audit_show", journal_db, after=55, limit=10, as_json=False, language="fr")
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["n°", "heure", "(UTC)", "poste", "statut", "action", "ressource",
                                "détail"]
    assert [line.split()[0] for line in lines[1:7]] == ["56", "57", "58", "59", "60", "61"]
    assert lines[7:] in ([], ["? : horloge non synchronisée à ce moment-là"])  # clock of the host
    assert "\x1b" not in shown.stdout and "/v1/\\x1b[2Jx" in shown.stdout
    paged = run("audit_show", journal_db, after=0, limit=3, as_json=False, language="en")
    assert paged.stdout.splitlines()[-1] == "58 more: --after 3"


def test_show_says_how_many_more_and_never_promises_more_at_the_end(journal_db):
    french = run("audit_show", journal_db, after=0, limit=1000, as_json=False, language="fr")
    assert [line.split()[0] for line in french.stdout.splitlines()[1:62]] == [
        str(n) for n in range(1, 62)]
    assert "de plus" not in french.stdout  # 61 entries: all shown, nothing said to follow
    exact = run("audit_show", journal_db, after=51, limit=10, as_json=False, language="fr")
    assert "de plus" not in exact.stdout  # the last page exactly full: nothing more
    page = run("audit_show", journal_db, after=10, limit=20, as_json=False, language="fr")
    assert page.stdout.splitlines()[-1] == "31 de plus : --after 30"
    as_json = run("audit_show", journal_db, after=10, limit=20, as_json=True, language="en")
    assert len(json.loads(as_json.stdout)) == 20  # the JSON stays whole...
    assert as_json.stderr == "31 more: --after 30\n"  # ...and the rest is said beside it


def test_show_as_json(journal_db):
    shown = run("audit_show", journal_db, after=0, limit=2, as_json=True, language="en")
    entries = json.loads(shown.stdout)
    assert [e["seq"] for e in entries] == [1, 2]
    assert entries[0]["detail"] == {"client_name": "Comptoir 1"}
    assert entries[1]["prev_hash"] == entries[0]["hash"]


def test_show_an_empty_journal(tmp_path, capsys):
    db = tmp_path / AUDIT_DB_NAME
    AuditTrail(db, Clock()).close()
    assert audit_show(db, language="fr") == 0
    assert capsys.readouterr().out == "Aucune entrée\n"


def test_a_missing_journal_is_an_error_with_its_code(tmp_path):
    with pytest.raises(BorneError) as error:
        audit_verify(tmp_path / AUDIT_DB_NAME, language="fr")
    assert error.value.code == "audit_unavailable"
    assert "Journal d'audit introuvable" in error.value.message("fr")
