"""Loading a test card: a bundled name or a card TOML file, built into a virtual chip."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from borne.errors import BorneError, ConfigError, Message
from borne.vpcd.responder import CardResponder

__all__ = ["CARD_NAMES", "load_card"]

_HERE = Path(__file__).parent

#: Names of the bundled test cards (file stems), sorted.
CARD_NAMES: tuple[str, ...] = tuple(sorted(p.stem for p in _HERE.glob("*.toml")))


def load_card(name_or_path: str | Path, **overrides: Any) -> CardResponder:
    """A fresh virtual chip for a bundled card name or a path to a card TOML file.

    ``overrides`` replace the file's ``[options]`` (``pull_after=3`` makes the card
    leave the reader at its third APDU); an unknown option is a ConfigError.
    """
    from borne.sim.cards.build import build_chip  # imports the chip only when used

    path = Path(name_or_path)
    if str(name_or_path) in CARD_NAMES:
        path = _HERE / f"{name_or_path}.toml"
    elif path.suffix != ".toml" or not path.is_file():
        raise BorneError(Message(f"pas de carte de test nommée {name_or_path!r}",
                                 f"no test card named {name_or_path!r}"), code="sim_unknown_card")
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"unreadable card file: {exc}", file=str(path)) from None
    if overrides:
        spec["options"] = {**spec.get("options", {}), **overrides}
    return build_chip(spec, source=str(path))
