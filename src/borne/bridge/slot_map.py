"""The box's slots, numbered once and for all on this workstation (``bridge-slots.json``).

Billing software finds its readers by name, so box slot N must stay reader N whatever
the box lists now: a reader unplugged, a box rebooted with its readers found in another
order, cards inserted in any order. The bridge therefore keeps, in the pairing folder of
the box, which number each of the box's slot ids (``GET /v1/readers``: the id is made
from the box's PC/SC reader name, the same across reboots) was given:

- slots seen the first time are numbered in the order given (the bridge gives them in the
  order of their PC/SC names on the box, as ``GET /v1/readers`` lists them and as the
  bridge mapped them before it kept numbers, so an installed workstation keeps its
  readers), after the numbers already given;
- a number is never given to another slot, even when its slot is gone: a slot the box
  lacks keeps its number, and so its port and its reader on the workstation.

The file is written whole (temporary file, then rename) and holds ids only, no card data.
An installer may edit it with the bridge stopped (``{"slots": {"<slot id>": <number>}}``);
a file that cannot be read is refused, never silently renumbered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError, Message

__all__ = ["SLOT_MAP_NAME", "SlotMap"]

#: The file, in the workstation's pairing folder of the box.
SLOT_MAP_NAME = "bridge-slots.json"


class SlotMap:
    """Box slot id -> this workstation's number for it, kept in ``directory``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / SLOT_MAP_NAME
        self._numbers = self._load()

    @property
    def numbers(self) -> dict[str, int]:
        """Every slot id numbered so far, with its number (a copy)."""
        return dict(self._numbers)

    def slot_id(self, number: int) -> str | None:
        """The slot id holding ``number``, if one was given it."""
        return next((slot for slot, n in self._numbers.items() if n == number), None)

    def number(self, slot_ids: Iterable[str]) -> dict[str, int]:
        """The number of each of ``slot_ids``, numbering (and saving) the new ones in that order."""
        wanted = list(slot_ids)
        new = [slot for slot in dict.fromkeys(wanted) if slot not in self._numbers]
        if new:
            following = max(self._numbers.values(), default=-1) + 1
            for offset, slot in enumerate(new):
                self._numbers[slot] = following + offset
            self._save()
        return {slot: self._numbers[slot] for slot in wanted}

    def _load(self) -> dict[str, int]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise ConfigError(Message("illisible", f"cannot read: {error.strerror}"),
                              file=str(self.path)) from None
        try:
            slots = json.loads(raw)["slots"]
            numbers = {str(slot): number for slot, number in slots.items()}
            valid = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                        for n in numbers.values())
        except (ValueError, KeyError, TypeError, AttributeError):
            valid = False
        if not valid or len(set(numbers.values())) != len(numbers):
            raise ConfigError(Message('pas une table d\'emplacements : {"slots": {"<slot id>": '
                                      '<numéro>}} attendu, numéros à partir de 0, chacun une fois',
                                      'not a slot map: expected {"slots": {"<slot id>": <number>}} '
                                      "with numbers 0 and up, each once"), file=str(self.path))
        return numbers

    def _save(self) -> None:
        text = json.dumps({"slots": dict(sorted(self._numbers.items(), key=lambda i: i[1]))},
                          indent=2) + "\n"
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)
