"""The ``[update]`` section: signed A/B updates through RAUC (see :mod:`borne.update`).

A leaf like every section: it imports nothing of borne but the errors and the
sections' base, so :mod:`borne.config` can read it without importing RAUC's client.
"""

from __future__ import annotations

from typing import Literal

from ..errors import ConfigError, Message
from ..section import Section

__all__ = ["UpdateConfig"]


class UpdateConfig(Section):
    """Where updates come from and how the box judges the system it booted.

    ``enabled``: ``auto`` turns updates on when RAUC's D-Bus name is on the bus (a
    Raspberry Pi image), ``on`` insists (its absence is reported as
    ``update_unavailable``), ``off`` never asks RAUC anything.
    """

    enabled: Literal["auto", "on", "off"] = "auto"
    #: The D-Bus address of RAUC's bus; "" is the system bus (tests give a private one).
    dbus_address: str = ""
    #: Where the USB sticks are mounted read-only, one directory per stick.
    usb_dir: str = "/run/borne-usb"
    #: Where bundles received over the API are kept until installed ("": <data_dir>/update).
    incoming_dir: str = ""
    #: The largest bundle taken (MiB).
    max_bundle_mb: int = 1024
    #: Seconds after a tried boot for the daemon to be ready and healthy before the new
    #: slot is marked bad and the box goes back to the old one.
    commit_deadline_s: float = 180.0
    #: The booted system's release file (``VERSION=`` and ``COMPATIBLE=``).
    release_file: str = "/etc/borne-release"

    def __post_init__(self) -> None:
        """Refuse a section that cannot work, naming the key."""
        if not 1 <= self.max_bundle_mb <= 16384:
            raise ConfigError(Message.same("1..16384"), key="update.max_bundle_mb")
        if not 10 <= self.commit_deadline_s <= 3600:
            raise ConfigError(Message.same("10..3600"), key="update.commit_deadline_s")
        if not self.release_file.startswith("/"):
            raise ConfigError(Message("chemin absolu attendu", "an absolute path"),
                              key="update.release_file")
