"""The simulator's USB QR scanner: "type" a code into the ``keylog:FILE`` twin.

The daemon configured with ``[readers] scanner = "keylog:FILE"`` follows FILE;
:func:`type_code` appends the key events a real scanner set to ``layout``
would send for a code, then Enter, a few milliseconds apart as a scanner types.
"""

from __future__ import annotations

import json
import os
import random
import time

from ..readers.qr.keymaps import Layout, keystrokes_for

__all__ = ["type_code"]


def type_code(path: str | os.PathLike[str], text: str, layout: str | Layout, *,
              start: float | None = None, seed: int | None = None) -> float:
    """Append the key events typing ``text`` then Enter to the keylog ``path``.

    Events are stamped from ``start`` (default: now, on the wall clock, as the
    kernel stamps real key events) 2 to 5 ms apart. Returns the time of the last
    event, so a caller can place the next code (``start=last + 10`` for a pause).
    Raises :class:`~borne.readers.qr.keymaps.UntypableCharacter` for a
    character the layout cannot type, before writing anything.
    """
    rng = random.Random(seed)
    t = time.time() if start is None else start
    lines = []
    for index, (code, value) in enumerate(keystrokes_for(text, layout, enter=True)):
        if index:
            t += rng.uniform(0.002, 0.005)
        lines.append(json.dumps({"t": round(t, 6), "code": code, "value": value}))
    # Appended in one go, as a scanner sends a code in one burst; a reader that
    # catches half a line keeps it until the rest arrives.
    with open(path, "a", encoding="utf-8") as keylog:
        keylog.write("\n".join(lines) + "\n")
    return t
