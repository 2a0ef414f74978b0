"""What a configuration section is: the one base of ``borne.config``'s structs and of the
sections the subsystems own (``apcv/settings.py``, ``mdns/settings.py``...).

It imports nothing of borne, so a subsystem's settings can use it while the
configuration stays a leaf of the import graph.
"""

from __future__ import annotations

import msgspec

__all__ = ["Section"]


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every config section: immutable, unknown keys refused, fields by name only.

    A section checks its own values in ``__post_init__`` (from a file or built in code),
    raising :class:`~borne.errors.ConfigError` with the dotted key as the file writes it.
    """
