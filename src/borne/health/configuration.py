"""The configuration file: read as ``borne doctor`` finds it, and as the running daemon took it.

A broken or missing file does not keep the box down: ``borne serve`` then runs
on the built-in defaults and records why in ``core.config_problem`` (a
:class:`~borne.errors.BorneError`, or None). These checks say so.
"""

from __future__ import annotations

from typing import Any

from ..config import Config, load_config
from ..errors import BorneError
from .check import Check

__all__ = ["check_config_file", "check_config_problem"]

_FIX_FR = ("corrigez le fichier à l'endroit indiqué (clé, syntaxe TOML), puis redémarrez le "
           "service (systemctl restart borne)")
_FIX_EN = ("fix the file where it says (key, TOML syntax), then restart the daemon "
           "(systemctl restart borne)")


def check_config_file(path: str | None) -> tuple[Config, Check]:
    """Read the configuration as ``borne serve`` would.

    Returns the config to check the rest with: the file's, or the built-in
    defaults the daemon falls back to when the file is refused.
    """
    try:
        config = load_config(path)
    except BorneError as error:
        return Config(), Check(
            "config", "fail",
            error.message("fr") + " ; le service tourne avec les réglages par défaut",
            error.message("en") + "; the daemon runs on the built-in defaults",
            _FIX_FR, _FIX_EN, code="config_invalid")
    where_fr = config.source or "aucun fichier, réglages par défaut"
    where_en = config.source or "no file, built-in defaults"
    return config, Check("config", "ok", f"lue : {where_fr}", f"loaded: {where_en}")


def _message(problem: Any, language: str) -> str:
    return problem.message(language) if isinstance(problem, BorneError) else str(problem)


def check_config_problem(problem: Any, source: str | None) -> Check:
    """The running daemon's config: the file it read, or why it fell back to defaults.

    ``problem`` is ``core.config_problem`` (read with ``getattr(core,
    "config_problem", None)``), ``source`` the file the daemon's config came from.
    """
    if problem is None:
        return Check("config", "ok", f"lue : {source or 'aucun fichier, réglages par défaut'}",
                     f"loaded: {source or 'no file, built-in defaults'}")
    return Check("config", "fail",
                 f"réglages par défaut, car le fichier a été refusé : {_message(problem, 'fr')}",
                 f"fell back to defaults because: {_message(problem, 'en')}",
                 _FIX_FR, _FIX_EN, code="config_fallback")
