"""Every error's message is in one language: French, or English, never a French frame around
an English detail ("Demande d'appairage invalide : the code is digits only", issue 15).

- The catalogue's words: the French has no English function word, the English no French one
  (nor a French accent).
- Every bilingual detail written in the source (``Message(fr, en)``): the same.
- ``BorneError.message("fr")`` never holds an English-only detail; ``ConfigError`` names the
  file and the key in the message's language.

A word list cannot read a sentence: it catches the words that glue one together ("the", "is",
"de", "est"), which is what a detail left in the other language always has.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import borne
from borne.error_catalogue import MESSAGES, Message
from borne.errors import BorneError, ConfigError

SOURCE = Path(borne.__file__).parent

ENGLISH = {"the", "is", "are", "not", "of", "to", "and", "with", "for", "from", "this", "that",
           "your", "you", "be", "been", "has", "have", "again", "unknown", "invalid", "cannot",
           "does", "no", "or", "in", "at", "by", "its", "it", "must", "already", "found",
           "missing", "only", "too", "read", "box", "there", "which", "was", "were", "than"}
FRENCH = {"le", "la", "les", "des", "du", "de", "un", "une", "est", "sont", "pas", "avec",
          "pour", "sur", "dans", "ce", "cette", "votre", "vous", "et", "ou", "au", "aux", "ne",
          "que", "qui", "sans", "déjà", "été", "être"}
ACCENTED = re.compile(r"[àâçéèêëîïôûùüÿœ]", re.IGNORECASE)
#: What is no language's: commands, settings, code, placeholders.
NEUTRAL = re.compile(r"`[^`]*`|\[[a-z_]+\][^ ]*|--[a-z-]+|borne [a-z]+( [a-z]+)?( --[a-z]+)?|"
                     r"apt(-get)? install [a-z0-9 -]+|\{[^}]*\}|[a-z_]+\.[a-z_.]+|[A-Z_]{2,}")


def words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-zÀ-ÿœ]+", NEUTRAL.sub(" ", text))]


def foreign(text: str, language: str) -> list[str]:
    """The words of ``text`` that belong to the other language."""
    if language == "fr":
        return [w for w in words(text) if w in ENGLISH]
    return [w for w in words(text) if w in FRENCH] + ACCENTED.findall(NEUTRAL.sub(" ", text))


def test_the_word_lists_catch_the_vendors_sentence():
    assert foreign("Demande d'appairage invalide : the code is digits only", "fr") == \
        ["the", "is", "only"]
    assert foreign("Invalid pairing request: le code ne contient que des chiffres", "en") == \
        ["le", "ne", "que", "des"]
    assert foreign("Dernier poste administrateur (borne pair open --admin)", "fr") == []


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_each_catalogue_message_is_in_its_language(code):
    words_ = MESSAGES[code]
    assert foreign(words_.fr, "fr") == [], words_.fr
    assert foreign(words_.en, "en") == [], words_.en


def _literal(node: ast.expr) -> str | None:
    """The text of a string literal or an f-string (its placeholders as ``{}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def bilingual_literals() -> list[tuple[str, str, str]]:
    """Every ``Message(fr, en)`` written in the source: (where, French, English)."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Message" and len(node.args) == 2):
                fr, en = (_literal(arg) for arg in node.args)
                if fr is not None and en is not None:
                    found.append((f"{path.relative_to(SOURCE)}:{node.lineno}", fr, en))
    return found


def test_every_bilingual_detail_of_the_source_is_in_its_two_languages():
    found = bilingual_literals()
    assert len(found) > 40  # the walker sees them (config, pairing, bridge, control, sim...)
    wrong = [(where, fr, foreign(fr, "fr"), en, foreign(en, "en")) for where, fr, en in found
             if foreign(fr, "fr") or foreign(en, "en")]
    assert wrong == []


def test_an_english_only_detail_stays_out_of_a_french_message():
    error = BorneError("the code is digits only", code="pairing_bad_request")
    assert error.message("fr") == "Demande d'appairage invalide"
    assert error.message("en") == "Invalid pairing request: the code is digits only"
    assert str(error) == error.detail == "the code is digits only"  # the log's words
    both = BorneError(Message("le code ne contient que des chiffres", "the code is digits only"),
                      code="pairing_bad_request")
    assert both.message("fr") == ("Demande d'appairage invalide : "
                                  "le code ne contient que des chiffres")
    assert both.detail == "the code is digits only"
    same = BorneError(Message.same("/run/borne/control.sock"), code="control_unavailable")
    assert same.message("fr").endswith(" : /run/borne/control.sock")


def test_a_config_error_names_its_file_and_key_in_the_messages_language():
    english_only = ConfigError("must be positive", file="/etc/borne/borne.toml", key="camera.fps")
    assert english_only.message("fr") == ("Configuration invalide : fichier "
                                          "/etc/borne/borne.toml, clé camera.fps")
    assert english_only.message("en") == ("Invalid configuration: must be positive "
                                          "(file /etc/borne/borne.toml, key camera.fps)")
    both = ConfigError(Message("doit être positif", "must be positive"), key="camera.fps")
    assert both.message("fr") == "Configuration invalide : doit être positif (clé camera.fps)"
    assert both.reason == Message("doit être positif", "must be positive")
    assert ConfigError("x").message("fr") == "Configuration invalide"


def test_the_pairing_code_refusal_is_french_throughout():
    from borne.secure_channel.pairing import PairingClient

    with pytest.raises(BorneError) as refused:
        PairingClient("12a456")
    assert refused.value.message("fr") == ("Demande d'appairage invalide : le code ne contient "
                                           "que des chiffres")
    assert refused.value.message("en") == "Invalid pairing request: the code is digits only"


def test_the_cli_says_the_vendors_refusal_in_one_language(tmp_path):
    import subprocess
    import sys

    def pair(language: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "borne.cli.main", "--lang", language,
                               "client", "pair", "--box", "https://127.0.0.1:9", "--code", "48a913",
                               "--name", "Comptoir", "--dir", str(tmp_path / language)],
                              capture_output=True, text=True, timeout=60)

    french, english = pair("fr"), pair("en")
    assert (french.returncode, english.returncode) == (2, 2)
    assert french.stderr == ("borne: Demande d'appairage invalide : le code ne contient que des "
                             "chiffres [pairing_bad_request]\n")
    assert english.stderr == ("borne: Invalid pairing request: the code is digits only "
                              "[pairing_bad_request]\n")
